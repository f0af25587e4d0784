import { afterAll, describe, expect, it } from 'vitest';
import { digestChartSpec } from '../../src/charts/digest.ts';
import { createComputePool, runCompute } from '../../src/compute/pool.ts';
import { formatBatchExport } from '../../src/export/batch-format.ts';
import { diverseOrder, selectDiverse } from '../../src/findings/diverse.ts';
import { cosineDistance } from '../../src/findings/knn.ts';
import { createRandom } from '../../src/random.ts';

/** The pairwise definition the fast scan must reproduce pick for pick. */
function referencePicks(vectors: Float32Array[], n: number): number[] {
  const m = Math.min(vectors.length, 5 * n);
  const picked = [0];
  const nearest = vectors.slice(0, m).map((v) => cosineDistance(v, vectors[0]));
  while (picked.length < Math.min(n, m)) {
    let best = -1;
    for (let i = 0; i < m; i++) if (!picked.includes(i) && (best < 0 || nearest[i] > nearest[best])) best = i;
    picked.push(best);
    for (let i = 0; i < m; i++) nearest[i] = Math.min(nearest[i], cosineDistance(vectors[i], vectors[best]));
  }
  return picked;
}

describe('diverse selection, flat and fast', () => {
  it('picks what the pairwise greedy k-center picks', () => {
    const random = createRandom(11);
    const dim = 16;
    const vectors = Array.from({ length: 600 }, () =>
      Float32Array.from({ length: dim }, () => random() - 0.5),
    );
    const flat = new Float32Array(600 * dim);
    for (const [i, v] of vectors.entries()) flat.set(v, i * dim);
    expect(Array.from(diverseOrder({ data: flat, dim }, 100))).toEqual(referencePicks(vectors, 100));
    expect(
      selectDiverse(
        vectors.map((_, i) => i),
        vectors,
        100,
      ),
    ).toEqual(referencePicks(vectors, 100));
  });
});

describe('compute pool', () => {
  const pool = createComputePool({ threads: 1, idleTimeoutMs: 1000 });
  afterAll(() => pool.close());

  it('runs diverse picks in a worker thread with the same answer as inline', async () => {
    const random = createRandom(5);
    const data = Float32Array.from({ length: 400 * 8 }, () => random() - 0.5);
    const inline = await runCompute({}, 'diverse', { data: data.slice(), dim: 8, n: 40 });
    const copy = data.slice();
    const pooled = await runCompute(
      { compute: pool },
      'diverse',
      { data: copy, dim: 8, n: 40 },
      { transfer: [copy.buffer] },
    );
    expect(Array.from(pooled)).toEqual(Array.from(inline));
    // Transferred, not copied: the caller's buffer is gone.
    expect(copy.byteLength).toBe(0);
    expect(pool.stats().completed).toBeGreaterThanOrEqual(1);
  });

  it('renders the digest chart to PNG bytes in the pool', async () => {
    const png = await pool.run('chartPng', {
      spec: digestChartSpec({
        run: 'run-b',
        previous: 'run-a',
        metric: 'recall',
        classes: [{ name: 'cat', metric: 'recall', now: 0.5, before: 0.7, delta: -0.2 }],
      }),
    });
    expect(Buffer.from(png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
  });

  it('formats a batch export in the pool exactly as inline', async () => {
    const doc = {
      batch: 'b1',
      status: 'open',
      items: [
        { id: '=cmd', dataset: 'd', image_url: null, width: 8, height: 8, label: null, predicted: 'a,b' },
      ],
    };
    expect(await pool.run('batchExport', { doc, format: 'csv' })).toBe(formatBatchExport(doc, 'csv'));
  });

  it('rejects with the task error', async () => {
    await expect(pool.run('diverse', { data: new Float32Array(3), dim: 2, n: 1 })).rejects.toThrow(
      /not a multiple of dim 2/,
    );
  });
});
