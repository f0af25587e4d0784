import { describe, expect, it } from 'vitest';
import { fuseByRank } from '../../src/vectors/fusion.ts';

describe('fuseByRank', () => {
  it('sums 1/(60+rank) over lists and keeps the best distance', () => {
    const fused = fuseByRank([
      { rowIds: [3, 5, 7], distances: [0.1, 0.2, 0.3] },
      { rowIds: [5, 9], distances: [0.05, 0.4] },
    ]);
    expect(fused.map((f) => f.rowId)).toEqual([5, 3, 9, 7]);
    expect(fused[0].score).toBeCloseTo(1 / 62 + 1 / 61, 15);
    expect(fused[0].distance).toBe(0.05);
    expect(fused[1].score).toBeCloseTo(1 / 61, 15);
    // 9 and 7 both have rank 2 / rank 3 …: 9 is rank 2 in list 2 (1/62), 7 rank 3 in list 1 (1/63).
    expect(fused[2].score).toBeCloseTo(1 / 62, 15);
    expect(fused[3].score).toBeCloseTo(1 / 63, 15);
  });

  it('skips excluded ids and padding without spending a rank', () => {
    const fused = fuseByRank([{ rowIds: [1, -1, 2, 3], distances: [0, 9, 0.2, 0.3] }], {
      exclude: new Set([1]),
    });
    expect(fused.map((f) => [f.rowId, f.score])).toEqual([
      [2, 1 / 61],
      [3, 1 / 62],
    ]);
  });

  it('breaks score ties by distance, then row id', () => {
    const fused = fuseByRank([
      { rowIds: [4], distances: [0.3] },
      { rowIds: [2], distances: [0.3] },
      { rowIds: [8], distances: [0.1] },
    ]);
    expect(fused.map((f) => f.rowId)).toEqual([8, 2, 4]);
  });
});
