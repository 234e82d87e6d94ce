// CSV export of the dashboard's tables (RFC 4180): every field quoted, quotes doubled, lines
// ended by CRLF. A text starting with = + - @ (or a tab or carriage return) is prefixed with an
// apostrophe, so a spreadsheet opening the file reads it as text, never as a formula
// (OWASP "CSV injection"). Numbers are written as they are.

export type CsvValue = string | number | boolean | null | undefined

const FORMULA_START = /^[=+\-@\t\r]/

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '""'
  if (typeof value === 'number' || typeof value === 'boolean') return `"${String(value)}"`
  const text = FORMULA_START.test(value) ? `'${value}` : value
  return `"${text.replaceAll('"', '""')}"`
}

/** A header line and one line per row, CRLF-terminated. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = [header.map(csvField).join(',')]
  for (const row of rows) lines.push(row.map(csvField).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/** A file name of safe characters only: `inkstream-<what>-<from>-<to>.csv`. */
export function csvFilename(...parts: string[]): string {
  const name = ['inkstream', ...parts]
    .filter((p) => p.length > 0)
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
  return `${name}.csv`
}
