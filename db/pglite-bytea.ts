/** Postgres' type id of bytea. */
const BYTEA = 17;

/**
 * bytea to and from PGlite through Buffer's native hex codec. PGlite's own converts a byte at a
 * time in JavaScript: a page of 25k packed probability vectors (2.5 MB) took 0.55–0.9 s to read,
 * a 6 MB kNN part 6–8 s to write, all on the thread that serves requests. Values come back as
 * plain Uint8Arrays over a buffer of their own, as PGlite's own parser gives them.
 *
 * @example
 * const pglite = new PGlite(dataDir, { ...byteaCodec });
 */
export const byteaCodec = {
  parsers: {
    [BYTEA]: (text: string): Uint8Array => {
      // '\x' then two hex digits a byte.
      const bytes = Buffer.alloc((text.length - 2) >> 1);
      bytes.write(text.slice(2), 'hex');
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  },
  serializers: {
    [BYTEA]: (value: unknown): string => {
      if (!(value instanceof Uint8Array)) throw new Error('Invalid input for bytea type');
      return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
    },
  },
};
