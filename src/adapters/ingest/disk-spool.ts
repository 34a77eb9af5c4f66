// The agent's batches on disk until the monitor has them: one file per batch in a directory, so a restart,
// a crash or a week without the monitor loses nothing.
// - A batch is written to a temporary name, synced, then renamed (and the directory synced): a file
//   named *.batch.json is always whole. A temporary file left by a crash was never acknowledged as kept, and is removed at start.
// - Ids are `${epoch ms, 15 digits}-${sequence, 6 digits}` and never go backwards (a clock set back waits
//   for the newest id on disk), so name order is the order batches were added.
// - A refused batch moves to rejected/ beside a .reason.txt, for a person to read, fix and move back.
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BatchSpool } from '../../ports/ingest.ts'

const BATCH_SUFFIX = '.batch.json'
const TEMPORARY_PREFIX = '.writing-'
const REJECTED_DIR = 'rejected'
const ID_REGEX = /^(\d{15})-(\d{6})$/
const STAMP_DIGITS = 15
const SEQUENCE_DIGITS = 6

export interface DiskSpoolOptions {
  dir: string
  nowMs?: () => number
}

export function createDiskSpool(options: DiskSpoolOptions): BatchSpool {
  const { dir } = options
  const nowMs = options.nowMs ?? (() => Date.now())
  mkdirSync(join(dir, REJECTED_DIR), { recursive: true })
  removeTemporaries(dir)
  let last = newestId(dir)
  const pathOf = (id: string): string => join(dir, `${checkedId(id)}${BATCH_SUFFIX}`)
  return {
    add: async (body) => {
      last = nextId(last, nowMs())
      const id = formatId(last)
      await writeDurably(join(dir, `${TEMPORARY_PREFIX}${id}`), body)
      await rename(join(dir, `${TEMPORARY_PREFIX}${id}`), pathOf(id))
      await syncDirectory(dir)
      return id
    },
    ids: async () => listIds(dir),
    read: (id) => readFile(pathOf(id), 'utf8'),
    remove: (id) => rm(pathOf(id), { force: true }),
    setAside: async (id, reason) => {
      await writeFile(join(dir, REJECTED_DIR, `${checkedId(id)}.reason.txt`), `${reason}\n`)
      await rename(pathOf(id), join(dir, REJECTED_DIR, `${id}${BATCH_SUFFIX}`))
    },
  }
}

interface IdParts {
  stamp: number
  sequence: number
}

function nextId(last: IdParts | null, nowMs: number): IdParts {
  if (last === null || nowMs > last.stamp) return { stamp: nowMs, sequence: 0 }
  return { stamp: last.stamp, sequence: last.sequence + 1 }
}

function formatId(parts: IdParts): string {
  return `${String(parts.stamp).padStart(STAMP_DIGITS, '0')}-${String(parts.sequence).padStart(SEQUENCE_DIGITS, '0')}`
}

function checkedId(id: string): string {
  if (!ID_REGEX.test(id)) throw new Error(`spool: "${id}" is not a batch id`)
  return id
}

function listIds(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(BATCH_SUFFIX))
    .map((name) => name.slice(0, -BATCH_SUFFIX.length))
    .filter((id) => ID_REGEX.test(id))
    .sort()
}

function newestId(dir: string): IdParts | null {
  const id = listIds(dir).at(-1)
  const match = id === undefined ? null : ID_REGEX.exec(id)
  return match ? { stamp: Number(match[1]), sequence: Number(match[2]) } : null
}

function removeTemporaries(dir: string): void {
  for (const name of readdirSync(dir)) if (name.startsWith(TEMPORARY_PREFIX)) rmSync(join(dir, name), { force: true })
}

/** Written and synced to disk before the caller renames it into place. */
async function writeDurably(path: string, body: string): Promise<void> {
  const file = await open(path, 'w')
  try {
    await file.writeFile(body, 'utf8')
    await file.sync()
  } finally {
    await file.close()
  }
}

/** Makes the rename itself durable: a crash right after add() still finds the batch. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
