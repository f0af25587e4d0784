import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { embeddings } from '../../db/schema.ts';
import { createLogger } from '../../src/deps.ts';
import { ingestClassification, ingestEmbeddings } from '../../src/ingest/index.ts';
import { encodeNpy } from '../../src/ingest/npy.ts';
import { knnGraph } from '../../src/vectors/knn.ts';
import { type VectorService, createVectorService } from '../../src/vectors/service.ts';
import { findSimilar } from '../../src/vectors/similar.ts';
import { resolveExternalIds } from '../../src/store/vectors.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { scratch } from '../ingest/fixtures.ts';
import { clusters, seedRun } from './seed.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info', write: (l) => lines.push(l) }) };
}

const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
const cosDist = (a: number) => 1 - Math.cos((a * Math.PI) / 180);

describeEachDriver('vector index', (ctx) => {
  // One worker for the search tests, as the server has; the persistence test makes its own.
  let vectors: VectorService;
  beforeAll(() => {
    vectors = createVectorService({ dataDir: null, logger: createLogger({ level: 'silent' }) });
  });
  afterAll(() => vectors.close());
  const deps = () => testDeps(ctx().database, { vectors });

  it('is saved, loaded by a new service without rebuilding, and rebuilt when deleted or stale', async () => {
    const { db } = ctx().database;
    const dataDir = mkdtempSync(join(tmpdir(), 'loupe-vec-'));
    dirs.push(dataDir);
    const { runId, rowIds } = await seedRun(db, {
      name: 'persist',
      vectors: clusters(
        [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
        ],
        30,
        0.2,
        7,
      ),
    });

    const first = capture();
    const a = createVectorService({ dataDir, logger: first.logger });
    const infoA = await a.ensureIndex(db, runId);
    expect(infoA).toMatchObject({ count: 90, dim: 4, built: true, quantization: 'f32' });
    const q = Float32Array.from([0.9, 0.1, 0, 0]);
    const hitsA = await a.search(runId, q.slice(), 5);
    await a.close();
    expect(first.lines.some((l) => l.includes('vector index built'))).toBe(true);

    const second = capture();
    const b = createVectorService({ dataDir, logger: second.logger });
    const infoB = await b.ensureIndex(db, runId);
    expect(infoB).toMatchObject({ count: 90, dim: 4, built: false });
    expect(second.lines.some((l) => l.includes('vector index loaded'))).toBe(true);
    expect(second.lines.some((l) => l.includes('vector index built'))).toBe(false);
    const hitsB = await b.search(runId, q.slice(), 5);
    expect([...hitsB.keys]).toEqual([...hitsA.keys]);
    await b.close();

    unlinkSync(join(dataDir, 'indexes', `run-${runId}.usearch`));
    const c = createVectorService({ dataDir, logger: createLogger({ level: 'silent' }) });
    expect((await c.ensureIndex(db, runId)).built).toBe(true);
    // Same service, embeddings unchanged: a recheck keeps the open index.
    expect((await c.ensureIndex(db, runId, { recheck: true })).built).toBe(false);
    // One vector changes (same row ids, same count): the content hash notices.
    await db
      .update(embeddings)
      .set({ vector: Buffer.from(Float32Array.from([0, 0, 0, 1]).buffer) })
      .where(and(eq(embeddings.runId, runId), eq(embeddings.rowId, rowIds[0])));
    expect((await c.ensureIndex(db, runId, { recheck: true })).built).toBe(true);
    await c.close();

    const d = createVectorService({ dataDir, logger: createLogger({ level: 'silent' }) });
    expect((await d.ensureIndex(db, runId)).built).toBe(false);
    const moved = await d.search(runId, Float32Array.from([0, 0, 0, 1]), 1);
    expect(moved.keys[0]).toBe(rowIds[0]);
    await d.close();
  });

  it('stores a large index in bf16, saved and loaded as such, and still loads the f16 ones saved before', async () => {
    const { db } = ctx().database;
    const dataDir = mkdtempSync(join(tmpdir(), 'loupe-vec-'));
    dirs.push(dataDir);
    const centres = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ];
    const { runId, rowIds } = await seedRun(db, { name: 'compact', vectors: clusters(centres, 30, 0.2, 11) });
    const silent = createLogger({ level: 'silent' });
    // Every index counts as large here.
    const large = { dataDir, logger: silent, compactAboveBytes: 0 };

    const a = createVectorService(large);
    expect(await a.ensureIndex(db, runId)).toMatchObject({ count: 90, built: true, quantization: 'bf16' });
    const hits = await a.search(runId, Float32Array.from(centres[1]), 10);
    await a.close();
    // The ten nearest of a centre are rows of its cluster (the second 30).
    const ofSecondCluster = (keys: ArrayLike<number>) =>
      Array.from(keys).every((id) => rowIds.indexOf(id) >= 30 && rowIds.indexOf(id) < 60);
    expect(hits.keys).toHaveLength(10);
    expect(ofSecondCluster(hits.keys)).toBe(true);
    const b = createVectorService(large);
    expect(await b.ensureIndex(db, runId)).toMatchObject({ built: false, quantization: 'bf16' });
    expect([...(await b.search(runId, Float32Array.from(centres[1]), 10)).keys]).toEqual([...hits.keys]);
    await b.close();

    unlinkSync(join(dataDir, 'indexes', `run-${runId}.usearch`));
    const older = createVectorService({ ...large, quantization: 'f16' });
    expect(await older.ensureIndex(db, runId)).toMatchObject({ built: true, quantization: 'f16' });
    await older.close();
    const c = createVectorService(large);
    expect(await c.ensureIndex(db, runId)).toMatchObject({ built: false, quantization: 'f16' });
    expect(ofSecondCluster((await c.search(runId, Float32Array.from(centres[1]), 10)).keys)).toBe(true);
    await c.close();
  });

  it('takes the embeddings another process imported since it opened the index', async () => {
    const { database } = ctx();
    const files = scratch();
    try {
      const importer = testDeps(database);
      const probs = new Float32Array([0.8, 0.2, 0.3, 0.7, 0.6, 0.4, 0.1, 0.9, 0.5, 0.5]);
      await ingestClassification(importer, {
        run: 'later-vectors',
        probs: files.write('probs.npy', encodeNpy(probs, [5, 2])),
        labels: files.write('labels.npy', encodeNpy(new BigInt64Array([0n, 1n, 0n, 1n, 0n]), [5])),
        analyze: false,
      });
      const jsonl = (ids: string[]) =>
        ids.map((id) => JSON.stringify({ id, embedding: deg(Number(id) * 10) })).join('\n');
      const embed = (name: string, ids: string[]) =>
        ingestEmbeddings(importer, {
          run: 'later-vectors',
          path: files.write(name, jsonl(ids)),
          analyze: false,
        });
      await embed('first.jsonl', ['0', '1', '2']);
      const [run] = await rawRows<{ id: number }>(
        database.db,
        sql`select id from model_runs where name = 'later-vectors'`,
      );
      const searching = createVectorService({ dataDir: null, logger: createLogger({ level: 'silent' }) });
      try {
        expect(await searching.ensureIndex(database.db, run.id)).toMatchObject({ count: 3, built: true });
        // Unchanged: the open index is taken as it is.
        expect(await searching.ensureIndex(database.db, run.id)).toMatchObject({ count: 3, built: false });
        // The importer has no vector service of its own here: it is another process.
        await embed('second.jsonl', ['3', '4']);
        expect(await searching.ensureIndex(database.db, run.id)).toMatchObject({ count: 5, built: true });
        const ids = await resolveExternalIds(database.db, run.id, ['4']);
        const hits = await searching.search(run.id, Float32Array.from(deg(40)), 1);
        expect(hits.keys[0]).toBe(ids.get('4'));
      } finally {
        await searching.close();
      }
    } finally {
      files.cleanup();
    }
  });

  it('makes a check asked for while another open is under way after it, on the current embeddings', async () => {
    const { db } = ctx().database;
    const { runId, rowIds } = await seedRun(db, {
      name: 'in-flight',
      vectors: clusters(
        [
          [1, 0, 0],
          [0, 1, 0],
        ],
        10,
        0.2,
        3,
      ),
    });
    const v = createVectorService({ dataDir: null, logger: createLogger({ level: 'silent' }) });
    try {
      expect((await v.ensureIndex(db, runId)).count).toBe(20);
      // Another process drops a row's embedding; this one does not know yet.
      await db.delete(embeddings).where(and(eq(embeddings.runId, runId), eq(embeddings.rowId, rowIds[0])));
      const [plain, checked] = await Promise.all([
        v.ensureIndex(db, runId),
        v.ensureIndex(db, runId, { recheck: true }),
      ]);
      expect(plain).toMatchObject({ count: 20, built: false });
      expect(checked).toMatchObject({ count: 19, built: true });
      expect(checked.fingerprint?.count).toBe(19);
    } finally {
      await v.close();
    }
  });

  it('kNN graph matches brute force', async () => {
    const { database } = ctx();
    let s = 12345;
    const rand = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648 - 0.5;
    };
    const vectors = Array.from({ length: 60 }, () => Array.from({ length: 8 }, rand));
    const { runId, rowIds } = await seedRun(database.db, { name: 'knn', vectors });
    const k = 5;
    const g = await knnGraph(deps(), runId, { k });
    expect([...g.rowIds]).toEqual(rowIds);
    const f32 = vectors.map((v) => Float32Array.from(v));
    const cos = (a: Float32Array, b: Float32Array) => {
      let d = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < a.length; i++) {
        d += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
      }
      return 1 - d / Math.sqrt(na * nb);
    };
    for (let i = 0; i < vectors.length; i++) {
      const brute = f32
        .map((v, j) => ({ j, d: cos(f32[i], v) }))
        .filter((x) => x.j !== i)
        .sort((a, b) => a.d - b.d)
        .slice(0, k);
      expect([...g.indices.subarray(i * k, (i + 1) * k)]).toEqual(brute.map((x) => x.j));
      brute.forEach((x, j) => {
        expect(g.distances[i * k + j]).toBeCloseTo(x.d, 5);
      });
    }
  });

  it('kNN pads with -1 when the run has fewer than k other rows', async () => {
    const { database } = ctx();
    const { runId } = await seedRun(database.db, { name: 'tiny', vectors: [deg(0), deg(30), deg(80)] });
    const g = await knnGraph(deps(), runId, { k: 4 });
    expect([...g.indices]).toEqual([1, 2, -1, -1, 0, 2, -1, -1, 1, 0, -1, -1]);
    expect(g.distances[0]).toBeCloseTo(cosDist(30), 6);
    expect(g.distances[2]).toBe(Number.POSITIVE_INFINITY);
  });

  it('a wide search keeps the best k of its breadth, in order, whatever the breadth', async () => {
    const { database } = ctx();
    const angles = [0, 10, 25, 45, 70, 100, 140, 185];
    const { runId, rowIds } = await seedRun(database.db, { name: 'breadth', vectors: angles.map(deg) });
    await vectors.ensureIndex(database.db, runId);
    const q = Float32Array.from([...deg(12), ...deg(160)]);
    for (const breadth of [undefined, 1, 3, 100]) {
      const hits = await vectors.search(runId, q, 3, breadth === undefined ? {} : { breadth });
      expect(hits.k).toBe(3);
      expect([...hits.counts]).toEqual([3, 3]);
      // Nearest to 12°: 10°, 0°, 25°; to 160°: 140°, 185°, 100°.
      expect([...hits.keys]).toEqual([1, 0, 2, 6, 7, 5].map((i) => rowIds[i]));
      expect(hits.distances[0]).toBeCloseTo(cosDist(2), 6);
      expect(hits.distances[5]).toBeCloseTo(cosDist(60), 6);
    }
  });

  it('find-similar fuses by rank, excludes the selection and honours unlabeledOnly', async () => {
    const { database } = ctx();
    const angles = [0, 10, 20, 35, 40, 52, 90];
    const { runId } = await seedRun(database.db, {
      name: 'similar',
      vectors: angles.map(deg),
      labeled: angles.map((a) => a !== 20 && a !== 52),
    });
    const ids = await resolveExternalIds(database.db, runId, ['r0', 'r4', 'nope']);
    expect(ids.has('nope')).toBe(false);
    const selection = [ids.get('r0')!, ids.get('r4')!];
    // Query 0°: 10,20,35,52,90 (ranks 1..5); query 40°: 35,52,20,10,90. RRF, c = 60:
    // 35: 1/63+1/61, 10: 1/61+1/64, 20: 1/62+1/63, 52: 1/64+1/62, 90: 2/65.
    const all = await findSimilar(deps(), { runId, rowIds: selection, limit: 10 });
    expect(all.items.map((i) => i.id)).toEqual(['r3', 'r1', 'r2', 'r5', 'r6']);
    const expected = [cosDist(5), cosDist(10), cosDist(20), cosDist(12), cosDist(50)];
    all.items.forEach((item, i) => {
      expect(item.distance).toBeCloseTo(expected[i], 5);
    });
    expect(all.items.map((i) => i.labeled)).toEqual([true, true, false, false, true]);

    const two = await findSimilar(deps(), { runId, rowIds: selection, limit: 2 });
    expect(two.items.map((i) => i.id)).toEqual(['r3', 'r1']);

    const unlabeled = await findSimilar(deps(), { runId, rowIds: selection, limit: 10, unlabeledOnly: true });
    expect(unlabeled.items.map((i) => i.id)).toEqual(['r2', 'r5']);
    expect(unlabeled.items.every((i) => !i.labeled)).toBe(true);

    await expect(findSimilar(deps(), { runId, rowIds: [999999] })).rejects.toThrow(
      /no embedding for row id\(s\) 999999/,
    );
  });

  it('over-fetches for unlabeledOnly until limit unlabeled rows are found', async () => {
    const { database } = ctx();
    // 40 labeled rows close to the query, then 3 unlabeled ones further away.
    const angles = [0, ...Array.from({ length: 40 }, (_, i) => 1 + i * 0.5), 60, 61, 62];
    const { runId, rowIds } = await seedRun(database.db, {
      name: 'overfetch',
      vectors: angles.map(deg),
      labeled: angles.map((a) => a < 60),
    });
    const res = await findSimilar(deps(), { runId, rowIds: [rowIds[0]], limit: 2, unlabeledOnly: true });
    expect(res.items.map((i) => i.id)).toEqual(['r41', 'r42']);
  });

  it('says clearly when a run has no embeddings', async () => {
    const { database } = ctx();
    const { runId } = await seedRun(database.db, { name: 'empty', vectors: [] });
    await expect(knnGraph(deps(), runId)).rejects.toThrow(`run ${runId} has no embeddings`);
  });

  it('names the run, row and expected size when a stored vector is malformed', async () => {
    const { db } = ctx().database;
    const { runId, rowIds } = await seedRun(db, { name: 'bad-bytes', vectors: [deg(0), deg(10), deg(20)] });
    await db
      .update(embeddings)
      .set({ vector: Buffer.alloc(12) })
      .where(and(eq(embeddings.runId, runId), eq(embeddings.rowId, rowIds[1])));
    await expect(knnGraph(deps(), runId)).rejects.toThrow(
      `embeddings of run ${runId}, row ${rowIds[1]}: vector has 12 bytes, expected 8 (dim 2 × float32)`,
    );
    await db
      .update(embeddings)
      .set({ dim: 3, vector: Buffer.alloc(12) })
      .where(and(eq(embeddings.runId, runId), eq(embeddings.rowId, rowIds[1])));
    await expect(knnGraph(deps(), runId)).rejects.toThrow(
      `embeddings of run ${runId}: mixed dimensions (2 and 3); expected one dimension per run`,
    );
  });
});
