// Reads Timestream's Query result format: each row is Data[] in ColumnInfo order, each scalar a string in
// ScalarValue or NullValue: true. Rows become name → string | null, and typed readers check what they read.
import type { QueryResponse } from '@aws-sdk/client-timestream-query'

export type ResultRow = ReadonlyMap<string, string | null>

/** The page's rows by column name. Throws on a row shaped unlike its ColumnInfo. */
export function rowsOf(page: Pick<QueryResponse, 'ColumnInfo' | 'Rows'>): ResultRow[] {
  const names = (page.ColumnInfo ?? []).map((column, index) => column.Name ?? `_col${index}`)
  return (page.Rows ?? []).map((row, rowIndex) => {
    const data = row.Data ?? []
    if (data.length !== names.length) throw new TypeError(`row ${rowIndex} has ${data.length} values for ${names.length} columns`)
    return new Map(
      data.map((datum, index): [string, string | null] => {
        if (datum.NullValue === true) return [names[index] as string, null]
        if (datum.ScalarValue === undefined) throw new TypeError(`column ${names[index]} of row ${rowIndex} is not a scalar`)
        return [names[index] as string, datum.ScalarValue]
      }),
    )
  })
}

export function text(row: ResultRow, column: string): string {
  const value = nullableText(row, column)
  if (value === null) throw new TypeError(`column ${column} is null`)
  return value
}

export function nullableText(row: ResultRow, column: string): string | null {
  const value = row.get(column)
  if (value === undefined) throw new TypeError(`the result has no column ${column}`)
  return value
}

export function integer(row: ResultRow, column: string): number {
  const value = nullableInteger(row, column)
  if (value === null) throw new TypeError(`column ${column} is null`)
  return value
}

export function nullableInteger(row: ResultRow, column: string): number | null {
  const value = nullableText(row, column)
  if (value === null) return null
  const parsed = Number(value)
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(parsed)) throw new TypeError(`column ${column} is not an integer: ${value}`)
  return parsed
}

export function double(row: ResultRow, column: string): number {
  const value = nullableDouble(row, column)
  if (value === null) throw new TypeError(`column ${column} is null`)
  return value
}

export function nullableDouble(row: ResultRow, column: string): number | null {
  const value = nullableText(row, column)
  if (value === null) return null
  const parsed = Number(value)
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new TypeError(`column ${column} is not a number: ${value}`)
  return parsed
}
