import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { IngestError, fileLabel } from './errors.ts';
import { requireInputFile } from './input-file.ts';

/** Element types we read, as numpy spells them without the byte-order character. */
export type NpyDtype = 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';

export type NpyArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

export interface NpyHeader {
  dtype: NpyDtype;
  /** As written in the file, e.g. `<f4`. */
  descr: string;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
  itemSize: number;
  version: 1 | 2 | 3;
}

const ITEM_SIZE: Record<NpyDtype, number> = {
  f4: 4,
  f8: 8,
  i1: 1,
  i2: 2,
  i4: 4,
  i8: 8,
  u1: 1,
  u2: 2,
  u4: 4,
  u8: 8,
  b1: 1,
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** What the header needs to hold at most; real headers are 128 bytes or a little more. */
const MAX_HEADER = 65536 + 12;

/** A shape as numpy prints it: `(10000,)`, `(1797, 16)`. */
export function shapeText(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function parseDescr(descr: string, file: string): NpyDtype {
  const order = descr[0];
  const kind = descr.slice(1) as NpyDtype;
  if (descr === '|O' || descr.endsWith('O') || descr.endsWith('O8'))
    throw new IngestError(
      `${file}: dtype ${descr} is an object array (pickled Python objects), expected a numeric dtype such as <f4, <f8, <i8 or <u2`,
    );
  if (!(kind in ITEM_SIZE))
    throw new IngestError(
      `${file}: dtype ${descr} is not supported, expected one of <f4 <f8 <i8 <i4 <i2 |i1 <u4 <u2 |u1 |b1`,
    );
  if (order === '>' && ITEM_SIZE[kind] > 1)
    throw new IngestError(
      `${file}: dtype ${descr} is big-endian, expected little-endian <${kind} (convert with arr.astype('<${kind}'))`,
    );
  if (order !== '<' && order !== '|' && order !== '>')
    throw new IngestError(`${file}: dtype ${descr} has byte order '${order}', expected '<' or '|'`);
  return kind;
}

/**
 * Parse the header of a `.npy` file (format versions 1, 2 and 3) from its first bytes.
 *
 * @example
 * const h = parseNpyHeader(readFileSync('x.npy').subarray(0, 4096), 'x.npy');
 */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new IngestError(`${file}: not a .npy file (expected the magic string \\x93NUMPY at byte 0)`);
  const major = bytes[6];
  if (major !== 1 && major !== 2 && major !== 3)
    throw new IngestError(`${file}: .npy format version ${major}.${bytes[7]}, expected 1.0, 2.0 or 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenSize) throw new IngestError(`${file}: truncated .npy header`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenSize;
  // numpy writes a plain array's header in under 200 bytes; a huge one is not a file we can use.
  if (start + headerLen > MAX_HEADER)
    throw new IngestError(
      `${file}: .npy header is ${headerLen} bytes long, expected at most ${MAX_HEADER - start} (save a plain numeric array with np.save)`,
    );
  if (bytes.length < start + headerLen)
    throw new IngestError(`${file}: truncated .npy header (expected ${headerLen} header bytes)`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(start, start + headerLen),
  );
  const descrMatch = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(text);
  if (!descrMatch) {
    if (/['"]descr['"]\s*:\s*\[/.test(text))
      throw new IngestError(`${file}: structured dtype (record array), expected a plain numeric array`);
    throw new IngestError(`${file}: header has no 'descr' field: ${text.trim()}`);
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortran) throw new IngestError(`${file}: header has no 'fortran_order' field: ${text.trim()}`);
  if (fortran[1] === 'True')
    throw new IngestError(
      `${file}: array is in Fortran (column-major) order, expected C order (save with np.ascontiguousarray(arr))`,
    );
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeMatch) throw new IngestError(`${file}: header has no 'shape' field: ${text.trim()}`);
  const shape = shapeMatch[1]
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter(Boolean)
    .map((s) => {
      const n = Number(s);
      if (!Number.isSafeInteger(n) || n < 0)
        throw new IngestError(`${file}: bad shape entry '${s}' in header`);
      return n;
    });
  const dtype = parseDescr(descrMatch[2], file);
  return {
    dtype,
    descr: descrMatch[2],
    shape,
    dataOffset: start + headerLen,
    itemSize: ITEM_SIZE[dtype],
    version: major,
  };
}

function view(dtype: NpyDtype, buffer: ArrayBuffer, offset: number, length: number): NpyArray {
  switch (dtype) {
    case 'f4':
      return new Float32Array(buffer, offset, length);
    case 'f8':
      return new Float64Array(buffer, offset, length);
    case 'i1':
      return new Int8Array(buffer, offset, length);
    case 'i2':
      return new Int16Array(buffer, offset, length);
    case 'i4':
      return new Int32Array(buffer, offset, length);
    case 'i8':
      return new BigInt64Array(buffer, offset, length);
    case 'u1':
    case 'b1':
      return new Uint8Array(buffer, offset, length);
    case 'u2':
      return new Uint16Array(buffer, offset, length);
    case 'u4':
      return new Uint32Array(buffer, offset, length);
    case 'u8':
      return new BigUint64Array(buffer, offset, length);
  }
}

/** Element i as a JS number (64-bit integers beyond 2^53 lose precision, as in JSON). */
export function numberAt(data: NpyArray, i: number): number {
  const v = data[i];
  return typeof v === 'bigint' ? Number(v) : v;
}

/** A chunk as float64, copying only when it is not float64 already. */
export function toFloat64(data: NpyArray): Float64Array {
  if (data instanceof Float64Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, Number);
  return Float64Array.from(data);
}

/**
 * A `.npy` file read in row chunks, so a 1M-row file never becomes 1M JS objects: each chunk is
 * a typed array over a fresh buffer holding `count × cols` elements in C order.
 */
export interface NpyReader {
  path: string;
  /** Base name, for error messages. */
  file: string;
  header: NpyHeader;
  /** shape[0]. */
  rows: number;
  /** Product of shape[1:], 1 for a 1-D array. */
  cols: number;
  readRows(start: number, count: number): NpyArray;
  /** The raw little-endian bytes of rows [start, start + count). */
  readBytes(start: number, count: number): Buffer;
  close(): void;
}

/**
 * Open a `.npy` file, check its header, its size and (when given) its number of dimensions.
 *
 * @example
 * const r = openNpy('pred_probs.npy', { ndim: 2 });
 * const first = r.readRows(0, 1000); // Float64Array of 1000 × r.cols
 * r.close();
 */
export function openNpy(path: string, { ndim }: { ndim?: number } = {}): NpyReader {
  const file = fileLabel(path);
  requireInputFile(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new IngestError(
      `${file}: cannot open (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, MAX_HEADER));
    readSync(fd, head, 0, head.length, 0);
    const header = parseNpyHeader(head, file);
    if (ndim !== undefined && header.shape.length !== ndim) {
      const want =
        ndim === 1 ? 'a 1-D array (N,)' : `a ${ndim}-D array (${['N', 'K', 'D'].slice(0, ndim).join(', ')})`;
      throw new IngestError(
        `${file}: shape ${shapeText(header.shape)} has ${header.shape.length} dimensions, expected ${want}`,
      );
    }
    const rows = header.shape.length ? header.shape[0] : 1;
    const cols = header.shape.slice(1).reduce((a, b) => a * b, 1);
    const need = rows * cols * header.itemSize;
    const have = size - header.dataOffset;
    if (have < need)
      throw new IngestError(
        `${file}: truncated: shape ${shapeText(header.shape)} of ${header.descr} needs ${need} data bytes, the file has ${Math.max(have, 0)}`,
      );
    const rowBytes = cols * header.itemSize;
    const readBytes = (start: number, count: number): Buffer => {
      if (start < 0 || count < 0 || start + count > rows)
        throw new RangeError(`${file}: rows [${start}, ${start + count}) outside [0, ${rows})`);
      // A fresh ArrayBuffer keeps typed-array views aligned (pooled Buffers may not be).
      const out = Buffer.from(new ArrayBuffer(count * rowBytes));
      let done = 0;
      while (done < out.length) {
        const n = readSync(fd, out, done, out.length - done, header.dataOffset + start * rowBytes + done);
        if (n === 0)
          throw new IngestError(
            `${file}: truncated while reading row ${start + Math.floor(done / rowBytes)}`,
          );
        done += n;
      }
      return out;
    };
    return {
      path,
      file,
      header,
      rows,
      cols,
      readBytes,
      readRows(start, count) {
        const bytes = readBytes(start, count);
        return view(header.dtype, bytes.buffer as ArrayBuffer, bytes.byteOffset, count * cols);
      },
      close() {
        closeSync(fd);
      },
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Read a whole `.npy` file (fine for labels and other small arrays).
 *
 * @example
 * const { data, header } = readNpy('labels.npy', { ndim: 1 });
 */
export function readNpy(path: string, opts: { ndim?: number } = {}): { header: NpyHeader; data: NpyArray } {
  const r = openNpy(path, opts);
  try {
    return { header: r.header, data: r.readRows(0, r.rows) };
  } finally {
    r.close();
  }
}

const DTYPE_OF: [new (...args: never[]) => NpyArray, string][] = [
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
  [Int8Array, '|i1'],
  [Int16Array, '<i2'],
  [Int32Array, '<i4'],
  [BigInt64Array, '<i8'],
  [Uint8Array, '|u1'],
  [Uint16Array, '<u2'],
  [Uint32Array, '<u4'],
  [BigUint64Array, '<u8'],
];

/**
 * Encode a typed array as `.npy` bytes (C order, little-endian), as numpy.save writes them.
 *
 * @example
 * writeFileSync('probs.npy', encodeNpy(new Float32Array([0.2, 0.8]), [1, 2]));
 */
export function encodeNpy(
  data: NpyArray,
  shape: number[],
  { version = 1, descr }: { version?: 1 | 2 | 3; descr?: string } = {},
): Buffer {
  const d = descr ?? DTYPE_OF.find(([ctor]) => data instanceof ctor)?.[1];
  if (!d) throw new Error('encodeNpy: unsupported array type');
  let dict = `{'descr': '${d}', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  const lenSize = version === 1 ? 2 : 4;
  const pre = 8 + lenSize;
  // numpy pads the header with spaces so the data starts on a 64-byte boundary.
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - pre - 1, ' ') + '\n';
  const head = Buffer.alloc(pre);
  Buffer.from(MAGIC).copy(head, 0);
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(dict.length, 8);
  else head.writeUInt32LE(dict.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), body]);
}
