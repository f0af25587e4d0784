/**
 * CSV for spreadsheets and labeling tools: a header, then one line per record, RFC 4180 quoting,
 * and text starting with = + - @ (but not a negative number) prefixed with ' so a spreadsheet
 * shows it instead of running it as a formula.
 *
 * @example
 * toCsv(['id', 'note'], [{ id: '7', note: '=HYPERLINK("x")' }]); // "id,note\n7,\"'=HYPERLINK(\"\"x\"\")\"\n"
 */
export function toCsv<C extends string>(columns: readonly C[], records: Record<C, unknown>[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const r of records) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = v instanceof Date ? v.toISOString() : String(v);
  if (/^[=+@\t\r]/.test(s) || (s.startsWith('-') && !/^-\d+(\.\d+)?$/.test(s))) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * A stored image URL as a labeling tool outside the board can open it: relative paths resolved
 * against the board's public URL when one is known.
 *
 * @example
 * absoluteUrl('/media/digits/7.svg', 'https://loupe.example.com'); // "https://loupe.example.com/media/digits/7.svg"
 */
export function absoluteUrl(url: string | null, base: string | undefined): string | null {
  if (url === null || !base || /^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  return new URL(url, base.endsWith('/') ? base : `${base}/`).toString();
}
