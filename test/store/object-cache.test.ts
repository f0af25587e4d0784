import { describe, expect, it } from 'vitest';
import { createObjectCache } from '../../src/store/object-cache.ts';
import { type PackLine, decodeRun, decodedBytes, packRun } from '../../src/store/object-pack.ts';

const line = (rowId: number): PackLine => ({
  rowId,
  predId: rowId * 10,
  annId: null,
  label: 0,
  score: 0.5,
  iou: 0,
  codes: 'k',
  involved: [null],
});
const decoded = (n: number) =>
  decodeRun(
    packRun(
      Array.from({ length: n }, (_, i) => line(i + 1)),
      () => 0,
    ).chunks,
  );

describe('the decoded-run cache', () => {
  it('keeps a run while its generation is the stored one, per database handle', async () => {
    const cache = createObjectCache();
    const db = {};
    let loads = 0;
    const load = async () => {
      loads++;
      return decoded(3);
    };
    const a = await cache.get(db, 1, 7, load);
    expect(await cache.get(db, 1, 7, load)).toBe(a);
    expect(loads).toBe(1);
    expect(await cache.get(db, 1, 8, load)).not.toBe(a);
    expect(loads).toBe(2);
    await cache.get({}, 1, 8, load); // another handle: its own run 1
    expect(loads).toBe(3);
  });

  it('holds at most maxBytes, dropping the least recently used run (the newest stays even if larger)', async () => {
    const size = decodedBytes(decoded(100));
    const cache = createObjectCache({ maxBytes: 2 * size });
    const db = {};
    for (const run of [1, 2]) await cache.get(db, run, 1, async () => decoded(100));
    await cache.get(db, 1, 1, async () => decoded(100)); // run 1 used last
    await cache.get(db, 3, 1, async () => decoded(100));
    expect(cache.stats()).toEqual({ runs: 2, bytes: 2 * size });
    let loads = 0;
    const counted = async () => {
      loads++;
      return decoded(100);
    };
    await cache.get(db, 1, 1, counted);
    expect(loads).toBe(0);
    await cache.get(db, 2, 1, counted);
    expect(loads).toBe(1);
    await cache.get(db, 4, 1, async () => decoded(1000));
    expect(cache.stats().runs).toBe(1);
  });

  it('does not keep a failed load', async () => {
    const cache = createObjectCache();
    const db = {};
    await expect(cache.get(db, 1, 1, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(cache.stats().runs).toBe(0);
    expect((await cache.get(db, 1, 1, async () => decoded(2))).n).toBe(2);
  });
});
