/**
 * A problem with the user's input: the message names the file, where in it, the field, what was
 * found and what was expected. The CLI prints the message alone (no stack) and exits with 1.
 *
 * @example
 * throw new IngestError('pred_probs.npy: row 17 sums to 0.9132, expected 1 ± 0.001');
 */
export class IngestError extends Error {
  override name = 'IngestError';
}

/** The file name as users typed it is too long in messages; the base name is what they recognise. */
export function fileLabel(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

/** Shorten a value for an error message. */
export function show(value: unknown): string {
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
