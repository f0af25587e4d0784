import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Where the shared public data lives (see ../shared/data/README.md beside the repository). */
export const SHARED_DATA = new URL('../../../shared/data/', import.meta.url).pathname;

export interface Npy {
  shape: number[];
  data: Float64Array | Float32Array | Int32Array;
}

/**
 * Read a little-endian, C-order .npy file (float64, float32, uint16, int64, int32) — enough for the
 * shared data sets used by the findings tests and benchmark.
 */
export function readNpy(path: string): Npy {
  const buf = readFileSync(path);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order is not supported`);
  const n = shape.reduce((a, b) => a * b, 1);
  const bytes = buf.subarray(start);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (descr) {
    case '<f8':
      return { shape, data: Float64Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, true)) };
    case '<f4':
      return { shape, data: Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, true)) };
    case '<u2':
      return { shape, data: Int32Array.from({ length: n }, (_, i) => view.getUint16(i * 2, true)) };
    case '<i4':
      return { shape, data: Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true)) };
    case '<i8':
      return { shape, data: Int32Array.from({ length: n }, (_, i) => Number(view.getBigInt64(i * 8, true))) };
    default:
      throw new Error(`${path}: dtype ${descr} is not supported`);
  }
}

/** The digits CSV (64 pixels then the label per line, gzip). */
export function readDigitsLabels(path: string): Int32Array {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').trim().split('\n');
  return Int32Array.from(lines, (line, i) => {
    const cells = line.split(',');
    const v = Number(cells[cells.length - 1]);
    if (!Number.isInteger(v))
      throw new Error(`${path}:${i + 1}: expected an integer label in the last column`);
    return v;
  });
}
