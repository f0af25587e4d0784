import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/deps.ts';
import { computeProjection } from '../../src/projection/compute.ts';
import { createRandom } from '../../src/random.ts';
import { stratifiedSample } from '../../src/projection/sample.ts';
import { listProjection, saveProjection } from '../../src/store/projections.ts';
import { type VectorService, createVectorService } from '../../src/vectors/service.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { clusters, seedRun } from '../vectors/seed.ts';

describe('createRandom', () => {
  it('is mulberry32: same seed, same stream, in [0, 1)', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    // mulberry32(42) reference stream.
    expect(xs.slice(0, 3)).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    expect(createRandom(43)()).not.toBe(xs[0]);
  });
});

describe('stratifiedSample', () => {
  it('takes every row when the sample is as large as the data', () => {
    expect(stratifiedSample([1, null, 0], 5, createRandom(1))).toEqual([0, 1, 2]);
  });

  it('allocates by label share, at least one per class, by largest remainder', () => {
    // 80 of class 0, 15 of class 1, 5 of class 2; sample 10 → quotas 8, 1.5 → 2 (remainder), 0.5 → 1 (minimum)
    // floor: 8, 1, 1 (min) = 10; remainder pass adds nothing since all are placed.
    const labels = [...Array(80).fill(0), ...Array(15).fill(1), ...Array(5).fill(2)];
    const picked = stratifiedSample(labels, 10, createRandom(3));
    expect(picked).toHaveLength(10);
    expect(new Set(picked).size).toBe(10);
    const count = (c: number) => picked.filter((p) => labels[p] === c).length;
    expect([count(0), count(1), count(2)]).toEqual([8, 1, 1]);
    expect(picked).toEqual([...picked].sort((a, b) => a - b));
  });

  it('gives the unlabeled stratum its share and is reproducible per seed', () => {
    const labels = [...Array(30).fill(null), ...Array(30).fill(0), ...Array(40).fill(1)];
    const a = stratifiedSample(labels, 20, createRandom(9));
    expect(a.filter((p) => labels[p] === null)).toHaveLength(6);
    expect(a.filter((p) => labels[p] === 0)).toHaveLength(6);
    expect(a.filter((p) => labels[p] === 1)).toHaveLength(8);
    expect(stratifiedSample(labels, 20, createRandom(9))).toEqual(a);
    expect(stratifiedSample(labels, 20, createRandom(10))).not.toEqual(a);
  });
});

describeEachDriver('projection', (ctx) => {
  let vectors: VectorService;
  beforeAll(() => {
    vectors = createVectorService({ dataDir: null, logger: createLogger({ level: 'silent' }) });
  });
  afterAll(() => vectors.close());
  const deps = () => testDeps(ctx().database, { vectors });

  it('gives pinned coordinates for a tiny fixed input and seed, and lists them with class names', async () => {
    const { db } = ctx().database;
    const vecs = clusters(
      [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
      ],
      8,
      0.3,
      5,
    );
    const labels = vecs.map((_, i) => Math.floor(i / 8));
    const predicted = labels.map((l, i) => (i === 3 ? (l + 1) % 3 : l));
    const { runId, rowIds } = await seedRun(db, { name: 'tiny-umap', vectors: vecs, labels, predicted });
    const res = await computeProjection(deps(), runId, { seed: 42, nNeighbors: 5, nEpochs: 90 });
    expect(res.fitted.every(Boolean)).toBe(true);
    const again = await computeProjection(deps(), runId, {
      seed: 42,
      nNeighbors: 5,
      nEpochs: 90,
      save: false,
    });
    expect([...again.coords]).toEqual([...res.coords]);
    const pinned = [...res.coords.slice(0, 6)].map((v) => Number(v.toFixed(4)));
    expect(pinned).toEqual(PINNED);

    const { points } = await listProjection(db, runId);
    expect(points).toHaveLength(24);
    expect(points[0]).toMatchObject({
      rowId: rowIds[0],
      id: 'r0',
      fitted: true,
      label: 'a',
      predicted: 'a',
      correct: true,
    });
    expect(points[3]).toMatchObject({ label: 'a', predicted: 'b', correct: false });
    expect(points[0].x).toBeCloseTo(res.coords[0], 5);
    expect(points[23]).toMatchObject({ id: 'r23', label: 'c' });
  });

  it('keeps well-separated clusters apart, for fitted and transformed points', async () => {
    const { db } = ctx().database;
    const centers = [
      [5, 0, 0, 0, 0, 0],
      [0, 5, 0, 0, 0, 0],
      [0, 0, 5, 0, 0, 0],
    ];
    const vecs = clusters(centers, 40, 1, 11);
    const labels = vecs.map((_, i) => Math.floor(i / 40));
    const { runId } = await seedRun(db, { name: 'sep-umap', vectors: vecs, labels });
    const res = await computeProjection(deps(), runId, { sample: 60, seed: 7, nNeighbors: 10, nEpochs: 150 });
    expect(res.fitted.filter(Boolean)).toHaveLength(60);
    const pts = labels.map((_, i) => [res.coords[i * 2], res.coords[i * 2 + 1]]);
    const centroid = (c: number) => {
      const own = pts.filter((_, i) => labels[i] === c && res.fitted[i]);
      return [own.reduce((s, p) => s + p[0], 0) / own.length, own.reduce((s, p) => s + p[1], 0) / own.length];
    };
    const cents = [0, 1, 2].map(centroid);
    const d = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
    // Every point, fitted or placed, lies nearer its own class centroid than any other.
    pts.forEach((p, i) => {
      const own = d(p, cents[labels[i]]);
      for (let c = 0; c < 3; c++) if (c !== labels[i]) expect(own).toBeLessThan(d(p, cents[c]));
    });
    const { points } = await listProjection(db, runId);
    expect(points.filter((p) => !p.fitted)).toHaveLength(60);
  });

  it('a failed save leaves the previous projection in place', async () => {
    const { db } = ctx().database;
    const { runId, rowIds } = await seedRun(db, {
      name: 'save-umap',
      vectors: [
        [1, 0],
        [0, 1],
      ],
    });
    await saveProjection(db, runId, {
      rowIds,
      coords: Float32Array.from([1, 2, 3, 4]),
      fitted: [true, false],
    });
    await expect(
      saveProjection(db, runId, {
        rowIds,
        coords: Float32Array.from([5, 6, 7, Number.NaN]),
        fitted: [true, true],
      }),
    ).rejects.toThrow(`saveProjection: row ${rowIds[1]} has a non-finite coordinate`);
    // A failure inside the transaction (a row that does not exist) rolls the delete back too.
    await expect(
      saveProjection(db, runId, {
        rowIds: [rowIds[0], 987654],
        coords: Float32Array.from([5, 6, 7, 8]),
        fitted: [true, true],
      }),
    ).rejects.toThrow();
    const { points } = await listProjection(db, runId);
    expect(points.map((p) => [p.x, p.y, p.fitted])).toEqual([
      [1, 2, true],
      [3, 4, false],
    ]);
  });

  it('refuses a run with too few rows, naming the limit', async () => {
    const { db } = ctx().database;
    const { runId } = await seedRun(db, {
      name: 'few-umap',
      vectors: [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
    });
    await expect(computeProjection(deps(), runId)).rejects.toThrow(
      /3 embedded rows; a projection needs more than nNeighbors=15/,
    );
  });
});

// Pinned from a run of this code (umap-js 1.4, usearch 2.26, seed 42): a change here means the layout changed.
const PINNED = [2.554, 1.4584, 2.8131, 1.6254, 2.964, 0.7303];
