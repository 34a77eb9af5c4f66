// Pure renderers for the generated config files. scripts/write-config-schema.ts writes them;
// test/core/config.test.ts checks that the committed copies equal what these return.
import type { z } from 'zod'
import { configJsonSchema } from '../src/core/config.ts'

type JsonSchema = z.core.JSONSchema.JSONSchema

export const GENERATE_COMMAND = 'npx tsx scripts/write-config-schema.ts'

/** Repo-relative path → renderer, for the writer script and the drift test alike. */
export const GENERATED_CONFIG_FILES: ReadonlyArray<{ path: string; render: () => string }> = [
  { path: 'schema/config.schema.json', render: renderConfigSchemaJson },
  { path: 'docs/configuration.md', render: renderConfigDocs },
]

export function renderConfigSchemaJson(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`
}

interface Block {
  /** Where the block sits in a config, like 'targets[].sites[]'; '' for the top level. */
  path: string
  schema: JsonSchema
  description: string | undefined
  /** The discriminator value when the block is one variant of a union, like 'netns'. */
  variant?: string
}

export function renderConfigDocs(): string {
  const schema = configJsonSchema()
  const intro = [
    '# Configuration',
    '',
    `> Generated from the zod schema in \`src/core/config.ts\` by \`${GENERATE_COMMAND}\`. Do not edit by hand:`,
    '> change the `.describe()` texts there and run the command again.',
    '',
    'A config is one JSON file. For validation and completion in editors, point its `"$schema"` at',
    '[`schema/config.schema.json`](../schema/config.schema.json) (a path relative to the config file).',
    'Examples: [`examples/`](../examples/). In the tables, *required* fields have no default and',
    '*optional* ones may be left out.',
  ]
  const blocks = collectBlocks('', schema, schema.description)
  return `${[...intro, ...blocks.flatMap(renderBlock)].join('\n')}\n`
}

function collectBlocks(path: string, schema: JsonSchema, description: string | undefined): Block[] {
  const variants = objectVariants(schema)
  if (variants !== undefined) {
    return variants.flatMap((variant) => [
      { path, schema: variant, description, variant: discriminatorOf(variant) },
      ...childBlocks(path, variant),
    ])
  }
  if (schema.type !== 'object') return []
  return [{ path, schema, description }, ...childBlocks(path, schema)]
}

function childBlocks(path: string, schema: JsonSchema): Block[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) => {
    const child = asSchema(property)
    const items = arrayItems(child)
    return items === undefined
      ? collectBlocks(childPath(path, name), child, child.description)
      : collectBlocks(`${childPath(path, name)}[]`, items, items.description ?? child.description)
  })
}

function renderBlock(block: Block): string[] {
  const title = block.path === '' ? 'Top level' : `\`${block.path}\``
  const variantNote = block.variant === undefined ? '' : ` with \`kind: "${block.variant}"\``
  const rows = Object.entries(block.schema.properties ?? {}).map(([name, property]) =>
    renderRow(block, name, asSchema(property)),
  )
  return [
    '',
    `## ${title}${variantNote}`,
    '',
    block.description ?? '',
    '',
    '| Field | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...rows,
  ]
}

function renderRow(block: Block, name: string, property: JsonSchema): string {
  const cells = [
    `\`${name}\``,
    typeCell(childPath(block.path, name), property),
    defaultCell(property, block.schema.required?.includes(name) ?? false),
    property.description ?? '',
  ]
  return `| ${cells.map(escapeCell).join(' | ')} |`
}

function typeCell(path: string, property: JsonSchema): string {
  const type = blockReference(path, property) ?? `\`${typeText(property)}\``
  const constraints = constraintText(property)
  return constraints === '' ? type : `${type}, ${constraints}`
}

/** 'object[], see `targets[].sites[]`' when the property is documented in a block of its own. */
function blockReference(path: string, property: JsonSchema): string | undefined {
  const items = arrayItems(property)
  const [nested, suffix] = items === undefined ? [property, ''] : [items, '[]']
  const isBlock = nested.type === 'object' || objectVariants(nested) !== undefined
  return isBlock ? `object${suffix}, see \`${path}${suffix}\`` : undefined
}

function typeText(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  if (schema.enum !== undefined) return schema.enum.map((value) => JSON.stringify(value)).join(' | ')
  const variants = schema.anyOf ?? schema.oneOf
  if (variants !== undefined) return variants.map(typeText).join(' | ')
  const items = arrayItems(schema)
  if (items !== undefined) {
    const itemText = typeText(items)
    return itemText.includes(' | ') ? `(${itemText})[]` : `${itemText}[]`
  }
  if (schema.type === 'string' && schema.format !== undefined) return schema.format
  return String(schema.type ?? 'any')
}

function constraintText(schema: JsonSchema): string {
  const { minimum, maximum, minItems, minLength } = schema
  const parts: string[] = []
  if (minimum !== undefined && maximum !== undefined) parts.push(`${minimum}..${maximum}`)
  else if (minimum !== undefined) parts.push(`≥ ${minimum}`)
  else if (maximum !== undefined) parts.push(`≤ ${maximum}`)
  if (minItems !== undefined) parts.push(`at least ${minItems} item${minItems === 1 ? '' : 's'}`)
  if (minLength !== undefined) parts.push(minLength === 1 ? 'non-empty' : `at least ${minLength} characters`)
  return parts.join(', ')
}

function defaultCell(property: JsonSchema, isRequired: boolean): string {
  if (property.default !== undefined) return `\`${JSON.stringify(property.default)}\``
  return isRequired ? 'required' : 'optional'
}

function objectVariants(schema: JsonSchema): JsonSchema[] | undefined {
  const variants = (schema.oneOf ?? schema.anyOf)?.map(asSchema)
  return variants?.every((variant) => variant.type === 'object') ? variants : undefined
}

function discriminatorOf(variant: JsonSchema): string | undefined {
  const kind = variant.properties?.['kind']
  return kind === undefined ? undefined : String(asSchema(kind).const)
}

function arrayItems(schema: JsonSchema): JsonSchema | undefined {
  return schema.type === 'array' && schema.items !== undefined && !Array.isArray(schema.items)
    ? asSchema(schema.items)
    : undefined
}

// The generator never emits boolean schemas for this config; treat one as "anything".
function asSchema(schema: z.core.JSONSchema._JSONSchema): JsonSchema {
  return typeof schema === 'boolean' ? {} : schema
}

function childPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ')
}
