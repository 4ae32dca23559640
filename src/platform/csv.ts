// CSV files we hand out (usage exports, settlement statements), RFC 4180 quoting.

/**
 * One CSV field. Text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a leading tab/CR) gets a
 * leading `'`: model names, upstream error messages and descriptions are not ours and may carry `=HYPERLINK(…)`.
 * Numbers and booleans are written as they are.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
