import { afterAll, expect, it } from 'vitest';
import { createLogger } from '../../src/deps.ts';
import { createRandom } from '../../src/random.ts';
import { ORDERED_FROM } from '../../src/vectors/insertion-order.ts';
import { createVectorService } from '../../src/vectors/service.ts';

const vectors = createVectorService({ dataDir: null, logger: createLogger({ level: 'silent' }) });
afterAll(() => vectors.close());

it('builds a large index from rows sorted by class, each row found under its own key', async () => {
  const dim = 16;
  const classes = 8;
  const n = ORDERED_FROM + 2_000;
  const random = createRandom(5);
  const data = new Float32Array(n * dim);
  // A file sorted by class, in pages of 5,000 as the embeddings table is read.
  for (let i = 0; i < n; i++) {
    const c = Math.floor((i * classes) / n);
    for (let j = 0; j < dim; j++) data[i * dim + j] = (j % classes === c ? 1 : 0) + 0.2 * (random() - 0.5);
  }
  const pages = [];
  for (let s = 0; s < n; s += 5_000) {
    const m = Math.min(5_000, n - s);
    pages.push({
      rowIds: Float64Array.from({ length: m }, (_, i) => 100 + s + i),
      vectors: data.slice(s * dim, (s + m) * dim),
      dim,
    });
  }
  await vectors.buildFrom(1, pages, { dim, count: n, quantization: 'bf16' });
  const probes = Array.from({ length: 300 }, () => Math.floor(random() * n));
  const queries = new Float32Array(probes.length * dim);
  for (const [q, row] of probes.entries()) queries.set(data.subarray(row * dim, (row + 1) * dim), q * dim);
  const hits = await vectors.search(1, queries, 1);
  expect(Array.from(hits.keys)).toEqual(probes.map((row) => 100 + row));
  for (const d of hits.distances) expect(d).toBeLessThan(1e-3);
});
