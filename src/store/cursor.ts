/**
 * Keyset page tokens: base64url JSON handed out as `nextCursor` and read back by the next request.
 * Every list (errors, mislabels, rework) encodes and decodes through here, so a token that is
 * not one of ours is always the same CursorError, which the board answers with a 400 naming
 * the `cursor` field and the CLI prints as a message.
 */

export class CursorError extends Error {
  override name = 'CursorError';
  /** The request field at fault. */
  readonly field = 'cursor';
}

/** The longest token we ever hand out is well under this; longer input is not ours. */
const MAX_CURSOR_CHARS = 1024;

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Decode a token and check its shape with `check` (null = not ours); anything else throws a
 * CursorError that says what to do.
 *
 * @example
 * const [run, rank] = decodeCursor(raw, (v) => (isPair(v) ? v : null));
 */
export function decodeCursor<T>(raw: string, check: (value: unknown) => T | null): T {
  let parsed: unknown = null;
  if (raw.length <= MAX_CURSOR_CHARS && /^[A-Za-z0-9_-]+$/.test(raw)) {
    try {
      parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    } catch {
      parsed = null;
    }
  }
  const value = parsed === null ? null : check(parsed);
  if (value === null)
    throw new CursorError(
      `cursor ${JSON.stringify(clip(raw))}: not a page token (pass the nextCursor of the previous page)`,
    );
  return value;
}
