import { closeSync, openSync, writeSync } from 'node:fs';
import { encodeNpy, readNpy as readNpyFile } from '../../src/ingest/npy.ts';

/** Where the shared public data lives (`../shared/data` beside the repository). */
export const SHARED_DATA = new URL('../../../shared/data/', import.meta.url).pathname;

export interface Npy {
  shape: number[];
  data: Float64Array | Float32Array | Int32Array;
}

/** The product's .npy reader, with integer arrays widened to Int32Array as the pure functions take them. */
export function readNpy(path: string): Npy {
  const { header, data } = readNpyFile(path);
  if (data instanceof Float64Array || data instanceof Float32Array) return { shape: header.shape, data };
  return { shape: header.shape, data: Int32Array.from(data as ArrayLike<number | bigint>, Number) };
}

/**
 * Write an N × … `.npy` in chunks of rows (the header, then each chunk `fill` returns), so a
 * benchmark's generator never holds the whole array.
 *
 * @example
 * writeNpyChunks('labels.npy', new Int32Array(0), [n], (rows) => new Int32Array(rows));
 */
export function writeNpyChunks(
  path: string,
  proto: Float32Array | Int32Array,
  shape: number[],
  fill: (rows: number) => Float32Array | Int32Array,
  chunk = 65536,
): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, encodeNpy(proto.subarray(0, 0) as Float32Array, shape));
    for (let s = 0; s < shape[0]; s += chunk) {
      const c = fill(Math.min(chunk, shape[0] - s));
      writeSync(fd, new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    }
  } finally {
    closeSync(fd);
  }
}
