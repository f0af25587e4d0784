import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IngestError } from '../../src/ingest/errors.ts';
import { type NpyArray, encodeNpy, openNpy, parseNpyHeader, readNpy } from '../../src/ingest/npy.ts';

const dir = mkdtempSync(join(tmpdir(), 'loupe-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** A .npy header exactly as numpy writes it, for hand-made broken files. */
function header(dict: string, version = 1): Buffer {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const text = dict.padEnd(total - pre - 1, ' ') + '\n';
  const b = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(b);
  if (version === 1) b.writeUInt16LE(text.length, 8);
  else b.writeUInt32LE(text.length, 8);
  return Buffer.concat([b, Buffer.from(text, 'latin1')]);
}

describe('npy reader', () => {
  const cases: [string, NpyArray][] = [
    ['<f4', new Float32Array([0.5, -1.25, 3e-8, 1e30, 0, 7])],
    ['<f8', new Float64Array([0.1, 0.2, 0.30000000000000004, -1e-300, 2 ** 60, Math.PI])],
    ['<i8', new BigInt64Array([0n, -1n, 5n, 2n ** 40n, -(2n ** 40n), 9n])],
    ['<i4', new Int32Array([0, -1, 2147483647, -2147483648, 3, 4])],
    ['<i2', new Int16Array([0, -1, 32767, -32768, 3, 4])],
    ['|i1', new Int8Array([0, -1, 127, -128, 3, 4])],
    ['<u2', new Uint16Array([0, 1, 65535, 9, 3, 4])],
    ['<u4', new Uint32Array([0, 1, 4294967295, 9, 3, 4])],
    ['|u1', new Uint8Array([0, 1, 255, 9, 3, 4])],
  ];
  for (const [descr, data] of cases) {
    for (const version of [1, 2, 3] as const) {
      it(`round-trips ${descr} (format ${version}.0) as 2 × 3`, () => {
        const p = file(`rt-${descr.slice(1)}-${version}.npy`, encodeNpy(data, [2, 3], { version }));
        const { header: h, data: back } = readNpy(p, { ndim: 2 });
        expect(h.descr).toBe(descr);
        expect(h.shape).toEqual([2, 3]);
        expect(h.version).toBe(version);
        expect(Array.from(back as ArrayLike<unknown>)).toEqual(Array.from(data as ArrayLike<unknown>));
        expect(back.constructor).toBe(data.constructor);
      });
    }
  }

  it('accepts <u1 as well as |u1, and reads row chunks', () => {
    const bytes = encodeNpy(new Uint8Array([1, 2, 3, 4, 5, 6]), [3, 2], { descr: '<u1' });
    const r = openNpy(file('u1.npy', bytes), { ndim: 2 });
    expect([r.rows, r.cols]).toEqual([3, 2]);
    expect(Array.from(r.readRows(1, 2) as Uint8Array)).toEqual([3, 4, 5, 6]);
    r.close();
  });

  it('reads the real header numpy wrote for a published file', () => {
    const h = parseNpyHeader(
      header("{'descr': '<u2', 'fortran_order': False, 'shape': (10000,), }"),
      'labels.npy',
    );
    expect(h).toMatchObject({ dtype: 'u2', shape: [10000], dataOffset: 128, version: 1 });
  });

  const bad: [string, Buffer, RegExp, number?][] = [
    [
      'fortran.npy',
      Buffer.concat([header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"), Buffer.alloc(16)]),
      /^fortran\.npy: array is in Fortran \(column-major\) order, expected C order/,
    ],
    [
      'object.npy',
      Buffer.concat([header("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"), Buffer.alloc(16)]),
      /^object\.npy: dtype \|O is an object array .* expected a numeric dtype/,
    ],
    [
      'bigendian.npy',
      Buffer.concat([header("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }"), Buffer.alloc(16)]),
      /^bigendian\.npy: dtype >f8 is big-endian, expected little-endian <f8/,
    ],
    [
      'truncated.npy',
      Buffer.concat([
        header("{'descr': '<f8', 'fortran_order': False, 'shape': (10, 3), }"),
        Buffer.alloc(239),
      ]),
      /^truncated\.npy: truncated: shape \(10, 3\) of <f8 needs 240 data bytes, the file has 239$/,
    ],
    [
      'wrongdim.npy',
      Buffer.concat([header("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"), Buffer.alloc(16)]),
      /^wrongdim\.npy: shape \(4,\) has 1 dimensions, expected a 2-D array \(N, K\)$/,
      2,
    ],
    [
      'strings.npy',
      Buffer.concat([header("{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }"), Buffer.alloc(20)]),
      /^strings\.npy: dtype <U5 is not supported/,
    ],
    ['notnpy.npy', Buffer.from('id,label\n1,2\n'), /^notnpy\.npy: not a \.npy file/],
  ];
  for (const [name, bytes, message, ndim] of bad) {
    it(`refuses ${name} with a clear error`, () => {
      const p = file(name, bytes);
      expect(() => readNpy(p, { ndim })).toThrow(IngestError);
      expect(() => readNpy(p, { ndim })).toThrow(message);
    });
  }
});
