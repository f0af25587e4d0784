import { describe, expect, it } from 'vitest';
import { type BatchMatches, Index, MetricKind, ScalarKind } from 'usearch';
import { createRandom } from '../../src/random.ts';
import { addRows, searchThreads } from '../../src/vectors/add-threads.ts';

const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
// The rows of the vector index test that once came back short: 41 near 0°, 3 near 60°.
const angles = [0, ...Array.from({ length: 40 }, (_, i) => 1 + i * 0.5), 60, 61, 62];

function small() {
  return new Index({
    dimensions: 2,
    metric: MetricKind.Cos,
    quantization: ScalarKind.F32,
    connectivity: 16,
    expansion_add: 64,
    expansion_search: 64,
    multi: false,
  });
}

describe('addRows', () => {
  it('fills a small index so that a search over all of it finds every row, build after build', () => {
    const keys = BigUint64Array.from(angles, (_, i) => BigInt(i + 1));
    const vectors = new Float32Array(angles.flatMap(deg));
    // Two-thread inserts lost a row in about one build of twenty-five here: three hundred builds show it.
    for (let build = 0; build < 300; build++) {
      const index = small();
      addRows(index, keys, vectors, 2);
      const found = index.search(new Float32Array(deg(0)), angles.length, 1);
      expect(found.keys.length).toBe(angles.length);
    }
  });

  it('lets a batch search ask for more threads than a small index was filled with', () => {
    const index = small();
    addRows(index, BigUint64Array.from([1n, 2n, 3n]), new Float32Array([1, 0, 0, 1, 1, 1]), 2);
    expect(searchThreads(index, 2)).toBe(1);
    expect(searchThreads(index, 0)).toBe(1);
    const hits = index.search(
      new Float32Array([1, 0, 0, 1]),
      2,
      searchThreads(index, 2),
    ) as unknown as BatchMatches;
    expect(Array.from(hits.counts, Number)).toEqual([2, 2]);
    // An index this module never filled (loaded from a file) keeps what it is asked.
    expect(searchThreads(small(), 2)).toBe(2);
  });

  it('crosses SERIAL_ADD_BELOW in batches that do not grow the capacity, on the thread it has contexts for', () => {
    const index = small();
    const random = createRandom(7);
    // 1,250 a batch: at 8,750 rows (capacity 16,384, reserved for one thread) the next batch
    // reaches 10,000 and asks for two threads, which usearch refused before it grew again.
    for (let b = 0; b < 16; b++) {
      const keys = BigUint64Array.from({ length: 1250 }, (_, i) => BigInt(b * 1250 + i + 1));
      const vectors = Float32Array.from({ length: 2500 }, () => random() - 0.5);
      addRows(index, keys, vectors, 2);
    }
    expect(index.size()).toBe(20_000);
    // Past 16,384 the capacity grew for two threads: a two-thread search is allowed again.
    expect(searchThreads(index, 2)).toBe(2);
  });
});
