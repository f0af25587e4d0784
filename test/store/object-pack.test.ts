import { describe, expect, it } from 'vitest';
import {
  CHUNK,
  type PackLine,
  annIdAt,
  argsort,
  decodeRun,
  gtLabelAt,
  packRun,
  rowIndex,
} from '../../src/store/object-pack.ts';

const byComparison = (key: Float64Array) =>
  Array.from({ length: key.length }, (_, i) => i).sort((a, b) => key[a] - key[b] || a - b);

describe('argsort', () => {
  it('orders by key, then by id, as a comparison sort does, signs and ties included', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pool = [-1, 0, -0, 1, 0.5, 1e-300, -2.5, 0.25];
    for (const n of [0, 1, 2, 17, 5000]) {
      const key = Float64Array.from({ length: n }, (_, i) =>
        i % 3 === 0 ? pool[i % pool.length] : rand() * 2 - 1,
      );
      expect([...argsort(key)]).toEqual(byComparison(key));
    }
  });
});

describe('packed object outcomes', () => {
  // Two images: a tp that turns into a loc error at the second threshold, a bkg fp, and the box.
  const lines: PackLine[] = [
    {
      rowId: 11,
      predId: 101,
      annId: null,
      label: 2,
      score: 0.9,
      iou: 0.6,
      codes: 'ol',
      involved: [501, 501],
    },
    {
      rowId: 12,
      predId: 102,
      annId: null,
      label: 1,
      score: 0.3,
      iou: 0,
      codes: 'kk',
      involved: [null, null],
    },
    { rowId: 11, predId: null, annId: 501, label: 2, score: null, iou: 0.6, codes: 'ol', involved: null },
    {
      rowId: 11,
      predId: 103,
      annId: null,
      label: 3,
      score: 0.9,
      iou: 0.7,
      codes: 'cc',
      involved: [501, 501],
    },
  ];

  it('decode gives back every line, its involved box and the two orders', () => {
    const { chunks, masks } = packRun(lines, (a) => (a === 501 ? 2 : -1));
    expect(masks).toEqual(
      new Map([
        [11, 0b11],
        [12, 0b11],
      ]),
    );
    const d = decodeRun(chunks);
    expect(d.n).toBe(4);
    expect([...d.rowId]).toEqual([11, 12, 11, 11]);
    expect([...d.id]).toEqual([101, 102, 501, 103]);
    expect(Number.isNaN(d.score[2])).toBe(true);
    expect(String.fromCharCode(...d.codes.subarray(2, 4))).toBe('kk');
    expect([annIdAt(d, 0, 1), gtLabelAt(d, 0, 1), annIdAt(d, 1, 0), gtLabelAt(d, 1, 0)]).toEqual([
      501,
      2,
      null,
      null,
    ]);
    expect([annIdAt(d, 2, 0), gtLabelAt(d, 2, 0), gtLabelAt(d, 3, 0)]).toEqual([501, 2, 2]);
    // (coalesce(score, −1), id): the box, 0.3, then the two 0.9 in id order.
    expect([...d.byScore]).toEqual([2, 1, 0, 3]);
    expect([...d.byIou]).toEqual([1, 0, 2, 3]);
    expect([...(rowIndex(d).get(11) ?? [])]).toEqual([0, 2, 3]);
  });

  it('objects of rows deleted since the write drop out of the orders', () => {
    const d = decodeRun(packRun(lines, () => 2).chunks, new Set([12]));
    expect([...d.byScore]).toEqual([1]);
    expect([...rowIndex(d).keys()]).toEqual([12]);
  });

  it('a run larger than a chunk decodes from its chunks in any order', () => {
    const many: PackLine[] = Array.from({ length: CHUNK + 3 }, (_, i) => ({
      rowId: i % 5,
      predId: i + 1,
      annId: null,
      label: 0,
      score: (i % 7) / 7,
      iou: 0.5,
      codes: 'k',
      involved: [null],
    }));
    const { chunks } = packRun(many, () => 0);
    expect(chunks.length).toBe(2);
    const d = decodeRun([...chunks].reverse());
    expect(d.id[CHUNK + 2]).toBe(CHUNK + 3);
    expect([...d.byScore]).toEqual(byComparison(Float64Array.from(many, (l) => l.score as number)));
  });

  it('refuses lines it cannot store', () => {
    expect(() => packRun([{ ...lines[0], iou: Number.NaN }], () => 2)).toThrow(
      /object outcome 0: expected finite/,
    );
    expect(() => packRun([lines[0], { ...lines[1], codes: 'k' }], () => 2)).toThrow(
      /1 outcome codes, expected 2/,
    );
  });
});
