/**
 * Postgres binary COPY encoding (PGCOPY): tuples are written into large buffers that the store
 * streams to `COPY … FROM STDIN (FORMAT binary)` (Postgres) or hands to PGlite as one blob per
 * chunk. Binary avoids printing and re-parsing every float, and ships float32 vectors as they are.
 */

/** The 11-byte signature, a zero flags word and a zero header-extension length. */
export const COPY_HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** The file trailer: a field count of -1. */
export const COPY_TRAILER = Buffer.from([0xff, 0xff]);

const FLOAT4_OID = 700;

/**
 * Appends tuples field by field; `take()` hands back the bytes written so far, in buffers of
 * roughly `chunkBytes` each.
 *
 * @example
 * const w = new CopyWriter();
 * w.row(2); w.int4(1); w.text('a');
 * const chunks = w.take();
 */
export class CopyWriter {
  private buf: Buffer;
  private pos = 0;
  private out: Buffer[] = [];
  private readonly chunkBytes: number;

  constructor({ chunkBytes = 1 << 22 }: { chunkBytes?: number } = {}) {
    this.chunkBytes = chunkBytes;
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Bytes waiting in finished chunks plus the current one. */
  get size(): number {
    return this.out.reduce((a, b) => a + b.length, 0) + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) this.out.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(this.chunkBytes, n));
    this.pos = 0;
  }

  /** Start a tuple of `fields` fields. */
  row(fields: number): void {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(fields, this.pos);
  }

  null(): void {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(-1, this.pos);
  }

  int4(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeInt32BE(4, this.pos);
    this.pos = this.buf.writeInt32BE(v, this.pos);
  }

  int4OrNull(v: number | null | undefined): void {
    if (v === null || v === undefined) this.null();
    else this.int4(v);
  }

  /** An int8 from a safe integer (row ids). */
  int8(v: number): void {
    this.ensure(12);
    this.pos = this.buf.writeInt32BE(8, this.pos);
    this.pos = this.buf.writeInt32BE(Math.floor(v / 2 ** 32), this.pos);
    this.pos = this.buf.writeUInt32BE(v >>> 0, this.pos);
  }

  float8(v: number): void {
    this.ensure(12);
    this.pos = this.buf.writeInt32BE(8, this.pos);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
  }

  float8OrNull(v: number | null | undefined): void {
    if (v === null || v === undefined) this.null();
    else this.float8(v);
  }

  bool(v: boolean): void {
    this.ensure(5);
    this.pos = this.buf.writeInt32BE(1, this.pos);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  text(s: string): void {
    this.ensure(4 + s.length * 3);
    const n = this.buf.write(s, this.pos + 4, 'utf8');
    this.buf.writeInt32BE(n, this.pos);
    this.pos += 4 + n;
  }

  textOrNull(s: string | null | undefined): void {
    if (s === null || s === undefined) this.null();
    else this.text(s);
  }

  /** jsonb's binary form is a version byte (1) followed by the JSON text. */
  jsonbOrNull(v: unknown): void {
    if (v === null || v === undefined) {
      this.null();
      return;
    }
    const s = JSON.stringify(v);
    this.ensure(5 + s.length * 3);
    this.buf[this.pos + 4] = 1;
    const n = this.buf.write(s, this.pos + 5, 'utf8');
    this.buf.writeInt32BE(n + 1, this.pos);
    this.pos += 5 + n;
  }

  bytea(bytes: Uint8Array): void {
    this.ensure(4 + bytes.length);
    this.pos = this.buf.writeInt32BE(bytes.length, this.pos);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A float32 vector as bytea, little-endian (the embeddings column's storage format). */
  float32LE(values: ArrayLike<number>, offset: number, length: number): void {
    this.ensure(4 + length * 4);
    this.pos = this.buf.writeInt32BE(length * 4, this.pos);
    for (let i = 0; i < length; i++) this.pos = this.buf.writeFloatLE(values[offset + i], this.pos);
  }

  /** A one-dimensional `real[]` from values[offset .. offset + length). */
  float4Array(values: ArrayLike<number>, offset: number, length: number): void {
    const bytes = 20 + length * 8;
    this.ensure(4 + bytes);
    const b = this.buf;
    let p = b.writeInt32BE(bytes, this.pos);
    p = b.writeInt32BE(1, p); // ndim
    p = b.writeInt32BE(0, p); // no nulls
    p = b.writeInt32BE(FLOAT4_OID, p);
    p = b.writeInt32BE(length, p);
    p = b.writeInt32BE(1, p); // lower bound
    for (let i = 0; i < length; i++) {
      p = b.writeInt32BE(4, p);
      p = b.writeFloatBE(values[offset + i], p);
    }
    this.pos = p;
  }

  /** The finished bytes (without COPY header or trailer); the writer starts afresh. */
  take(): Buffer[] {
    if (this.pos > 0) {
      this.out.push(this.buf.subarray(0, this.pos));
      this.buf = Buffer.allocUnsafe(this.chunkBytes);
      this.pos = 0;
    }
    const out = this.out;
    this.out = [];
    return out;
  }
}
