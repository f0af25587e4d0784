import { readFileSync } from 'node:fs';

/** Just enough of the .npy format (v1/v2 header, little-endian, C order) for the published files. */
export function readNpy(path: string): { shape: number[]; data: Float64Array | Uint16Array } {
  const buf = readFileSync(path);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const body = buf.subarray(start + headerLen);
  const copy = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  if (descr === '<f8') return { shape, data: new Float64Array(copy) };
  if (descr === '<u2') return { shape, data: new Uint16Array(copy) };
  throw new Error(`${path}: unsupported dtype ${descr}`);
}
