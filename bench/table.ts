// Plain-text tables and number formatting shared by the benchmark scripts.

/** Aligned columns: the first `leftColumns` columns left-aligned, the others right-aligned. */
export function renderTable(header: string[], rows: string[][], leftColumns = 1): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const render = (cells: string[]): string =>
    cells
      .map((cell, column) => (column < leftColumns ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd()
  return [render(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(render)].join('\n')
}

/** A fixed-point number, or '-' for NaN and infinities (a missing measurement). */
export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-'
}

/** Like fixed(), with an explicit '+' on non-negative values: for differences. */
export function signed(value: number, digits: number): string {
  return Number.isFinite(value) && value >= 0 ? `+${value.toFixed(digits)}` : fixed(value, digits)
}
