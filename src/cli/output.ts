import type { CliIo } from './context.ts';

/** Print one JSON document on stdout, nothing else. */
export function printJson(io: CliIo, doc: unknown): void {
  io.out(`${JSON.stringify(doc, null, 2)}\n`);
}

/**
 * Render rows as an aligned text table.
 *
 * @example
 * printTable(ctx.io, [{ name: 'a', n: 1 }], ['name', 'n']);
 */
export function formatTable(rows: Record<string, unknown>[], columns: string[]): string {
  const fixed = columns.map((c) => FRACTIONS.has(c) || rows.some((r) => isFraction(r[c])));
  const cells = rows.map((r) => columns.map((c, i) => formatCell(r[c], fixed[i])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function printTable(io: CliIo, rows: Record<string, unknown>[], columns: string[]): void {
  io.out(`${formatTable(rows, columns)}\n`);
}

/** Columns that hold fractions: a whole 0 or 1 in them still prints as 0.0000, so columns line up across runs. */
const FRACTIONS = new Set(['score', 'confidence', 'distance', 'precision', 'recall', 'f1']);

const isFraction = (v: unknown) => typeof v === 'number' && !Number.isInteger(v);

function formatCell(v: unknown, fixed: boolean): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return fixed ? v.toFixed(4) : String(v);
  return String(v);
}
