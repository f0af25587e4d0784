import { readNpy as readNpyFile } from '../../src/ingest/npy.ts';

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
