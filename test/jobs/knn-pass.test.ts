import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { embeddings, labelFlags, rowScores } from '../../db/schema.ts';
import { type ComputePool, createComputePool } from '../../src/compute/pool.ts';
import { loadConfig } from '../../src/config.ts';
import { type Deps, createLogger } from '../../src/deps.ts';
import { computeFindings } from '../../src/findings/index.ts';
import { KNN_CHUNK, KNN_PASS, knnPassJob } from '../../src/jobs/knn-pass.ts';
import { pipelineHandlers, runPipelineNow } from '../../src/jobs/pipeline.ts';
import { createJobRunner } from '../../src/jobs/runner.ts';
import { createRandom } from '../../src/random.ts';
import { claimJob, enqueueJobs, listJobs } from '../../src/store/jobs.ts';
import { createLabelVersion } from '../../src/store/label-versions.ts';
import { type VectorService, createVectorService } from '../../src/vectors/service.ts';
import { insertClassification } from '../findings/fixtures.ts';
import { insertEmbeddings } from '../helpers/builder.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';

/** Three clusters of 16-d points, labels by cluster with every 23rd row given a wrong one. */
function clusteredRun(rows: number) {
  const random = createRandom(11);
  const dim = 16;
  const centres = Array.from({ length: 3 }, () => Array.from({ length: dim }, () => random() - 0.5));
  const labels: number[] = [];
  const probs: number[][] = [];
  const vectors: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    vectors.push(centres[c].map((x) => x + 0.25 * (random() - 0.5)));
    labels.push(i % 23 === 0 ? (c + 1) % 3 : c);
    const p = [0.1 + 0.2 * random(), 0.1 + 0.2 * random(), 0.1 + 0.2 * random()];
    p[c] += 0.8 * random();
    const s = p[0] + p[1] + p[2];
    probs.push(p.map((x) => x / s));
  }
  return { classNames: ['a', 'b', 'c'], labels, probs, vectors };
}

/** The run's embeddings imported again, each row now in the next row's cluster. */
async function shiftEmbeddings(db: Deps['db'], runId: number, rowIds: number[], vectors: number[][]) {
  await db.delete(embeddings).where(eq(embeddings.runId, runId));
  await insertEmbeddings(
    db,
    runId,
    rowIds,
    vectors.map((_, i) => vectors[(i + 1) % vectors.length]),
  );
}

describeEachDriver('kNN pass split into chunk jobs', (ctx) => {
  let vectors: VectorService;
  const pool = createComputePool({ threads: 1, idleTimeoutMs: 1000 });
  beforeAll(() => {
    vectors = createVectorService({ dataDir: null, logger: testDeps(ctx().database).logger });
  });
  afterAll(async () => {
    await vectors?.close();
    await pool.close();
  });
  const chunkedDeps = (): Deps =>
    testDeps(ctx().database, {
      vectors,
      config: loadConfig({ LOUPE_DEMO: '0', LOUPE_KNN_CHUNK_ROWS: '70' }),
    });

  async function findingsOf(runId: number) {
    const { db } = ctx().database;
    const scores = await db
      .select({ rowId: rowScores.rowId, nd: rowScores.neighbourDisagreement, lq: rowScores.labelQuality })
      .from(rowScores)
      .where(eq(rowScores.runId, runId))
      .orderBy(asc(rowScores.rowId));
    const flags = await db
      .select({ rowId: labelFlags.rowId, score: labelFlags.score, evidence: labelFlags.evidence })
      .from(labelFlags)
      .where(eq(labelFlags.runId, runId))
      .orderBy(asc(labelFlags.rowId));
    return { scores, flags };
  }

  /** The rows a pass searches (those the findings keep neighbour evidence for), and its chunks of 70. */
  const searchedIn = (found: Awaited<ReturnType<typeof findingsOf>>) => {
    const rows = found.scores.filter((s) => s.nd !== null).map((s) => s.rowId);
    return { rows, chunks: Math.ceil(rows.length / 70) };
  };

  it('folds the same neighbour evidence into the findings as one kNN pass, with progress on the pass', async () => {
    // As in serve: the pass's confident learning over every row, and each computation of the
    // findings, run in a pool thread.
    const tasks: string[] = [];
    const compute: ComputePool = {
      ...pool,
      run: (name, input, transfer) => {
        tasks.push(name);
        return pool.run(name, input, transfer);
      },
    };
    const deps = { ...chunkedDeps(), compute };
    const { runId } = await insertClassification(deps.db, { name: 'chunked', ...clusteredRun(400) });
    // The reference: the whole pass at once.
    await computeFindings(deps, runId);
    const whole = await findingsOf(runId);
    // Neighbour evidence is kept for the rows it can change, fewer than the run has.
    const searched = searchedIn(whole);
    expect(searched.rows.length).toBeGreaterThan(70);
    expect(searched.rows.length).toBeLessThan(400);
    expect(whole.flags.every((f) => searched.rows.includes(f.rowId))).toBe(true);
    expect(whole.flags.some((f) => f.evidence.includes('nearest neighbours'))).toBe(true);

    // What the analysis of a large run stores first: no neighbour evidence yet.
    await computeFindings(deps, runId, {}, { neighbours: { deferred: true } });
    expect((await findingsOf(runId)).scores.every((s) => s.nd === null)).toBe(true);

    const [pass] = await enqueueJobs(deps.database, [knnPassJob(runId)]);
    const runner = createJobRunner(deps, { handlers: pipelineHandlers(deps), pollMs: 20 });
    expect(await runner.drain({ runId })).toEqual({ ran: 1 + searched.chunks, failed: 0 });
    expect(await findingsOf(runId)).toEqual(whole);

    const jobs = (await listJobs(deps.database)).filter((j) => j.run === 'chunked');
    expect(jobs.map((j) => [j.kind, j.state, j.progress])).toEqual([
      ['knn', 'done', 1],
      ...Array.from({ length: searched.chunks }, () => ['knn-chunk', 'done', 1]),
    ]);
    // The chunks searched those rows and no other.
    const payloads = await rawRows<{ rowIds: number[] }>(
      deps.db,
      sql`select payload->'rowIds' as "rowIds" from jobs where parent_id = ${pass} order by id`,
    );
    expect(payloads.flatMap((p) => p.rowIds)).toEqual(searched.rows);
    const [children] = await rawRows<{ n: number; parts: number }>(
      deps.db,
      sql`select (select count(*)::int from jobs where parent_id = ${pass}) as n,
                 (select count(*)::int from knn_parts) as parts`,
    );
    // Chunks of at most 70 rows; their parts are gone once folded in.
    expect(children).toEqual({ n: searched.chunks, parts: 0 });
    expect(tasks).toEqual([
      'classifyFindings', // the whole pass at once
      'classifyFindings', // deferred
      'neighbourCandidates',
      'classifyFindings', // the fold
    ]);
  });

  it('frees the index before the fold when its drain has a vector service of its own (loupe ingest)', async () => {
    const lines: string[] = [];
    // No vector service given: runPipelineNow makes one for the drain, as the CLI's ingest does.
    const deps: Deps = {
      ...chunkedDeps(),
      vectors: undefined,
      logger: createLogger({ level: 'info', write: (line) => lines.push(line) }),
    };
    const { runId } = await insertClassification(deps.db, { name: 'own-service', ...clusteredRun(300) });
    await computeFindings({ ...deps, vectors }, runId);
    const whole = await findingsOf(runId);
    await computeFindings(deps, runId, {}, { neighbours: { deferred: true } });
    await enqueueJobs(deps.database, [knnPassJob(runId)]);
    const { chunks } = searchedIn(whole);
    expect(await runPipelineNow(deps, runId, { kinds: [KNN_PASS, KNN_CHUNK] })).toEqual({
      ran: 1 + chunks,
      failed: 0,
    });
    expect(await findingsOf(runId)).toEqual(whole);
    const released = lines.findIndex((l) => l.includes('vector indexes released before the fold'));
    const folded = lines.map((l) => l.includes('findings computed')).lastIndexOf(true);
    expect(released).toBeGreaterThan(-1);
    expect(folded).toBeGreaterThan(released);

    // A service that also answers searches (serve's) keeps its index through the fold.
    lines.length = 0;
    await computeFindings(deps, runId, {}, { neighbours: { deferred: true } });
    await enqueueJobs(deps.database, [knnPassJob(runId)]);
    await runPipelineNow({ ...deps, vectors }, runId, { kinds: [KNN_PASS, KNN_CHUNK] });
    expect(await findingsOf(runId)).toEqual(whole);
    expect(lines.some((l) => l.includes('released'))).toBe(false);
    expect((await vectors.ensureIndex(deps.db, runId)).built).toBe(false);
  });

  it('gives a split run its metrics and findings before its index, which the pass then builds', async () => {
    // Every index the jobs open or build, seen through the vector service they are given.
    const opened: number[] = [];
    const watched: VectorService = {
      ...vectors,
      ensureIndex: (db, id, opts) => {
        opened.push(id);
        return vectors.ensureIndex(db, id, opts);
      },
    };
    const deps = { ...chunkedDeps(), vectors: watched };
    const { runId } = await insertClassification(deps.db, { name: 'answers-first', ...clusteredRun(150) });
    await enqueueJobs(deps.database, [{ kind: 'index', runId }]);
    const all = pipelineHandlers(deps);
    const first = createJobRunner(deps, { handlers: { index: all.index, analyze: all.analyze }, pollMs: 20 });
    expect(await first.drain({ runId })).toEqual({ ran: 2, failed: 0 });
    // Answers are there (metrics, flags by confident learning); the index is not built yet.
    const [run] = await rawRows<{ metrics: unknown }>(
      deps.db,
      sql`select metrics from model_runs where id = ${runId}`,
    );
    expect(run.metrics).toMatchObject({ kind: 'classification' });
    expect((await findingsOf(runId)).scores.every((s) => s.nd === null && s.lq !== null)).toBe(true);
    expect(opened).toEqual([]);
    const queued = (await listJobs(deps.database)).filter((j) => j.run === 'answers-first');
    expect(queued.map((j) => [j.kind, j.state])).toEqual([
      ['index', 'done'],
      ['analyze', 'done'],
      ['knn', 'queued'],
      ['projection', 'queued'],
    ]);

    const rest = createJobRunner(deps, { handlers: all, pollMs: 20 });
    await rest.drain({ runId });
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.every((id) => id === runId)).toBe(true);
    // The evidence the pass folded in is what a search of every row gives.
    const folded = await findingsOf(runId);
    expect(folded.scores.some((s) => s.nd !== null)).toBe(true);
    await computeFindings(deps, runId);
    expect(await findingsOf(runId)).toEqual(folded);
  });

  it('goes from the index job to the pass when only the embeddings are new, and analyses again after a label change', async () => {
    const deps = chunkedDeps();
    const run = clusteredRun(150);
    const { runId, rowIds } = await insertClassification(deps.db, { name: 'embeddings-later', ...run });
    const { projection: _, ...handlers } = pipelineHandlers(deps);
    const runner = createJobRunner(deps, { handlers, pollMs: 20 });
    const ran = async () => {
      const jobs = (await listJobs(deps.database)).filter((j) => j.run === 'embeddings-later');
      return {
        analyses: jobs.filter((j) => j.kind === 'analyze').length,
        passes: jobs.filter((j) => j.kind === 'knn').length,
      };
    };
    await enqueueJobs(deps.database, [{ kind: 'index', runId }]);
    await runner.drain({ runId });
    expect(await ran()).toEqual({ analyses: 1, passes: 1 });

    // New embeddings (each row now in the next row's cluster), queued as their import queues them.
    await shiftEmbeddings(deps.db, runId, rowIds, run.vectors);
    await enqueueJobs(deps.database, [{ kind: 'index', runId }]);
    await runner.drain({ runId });
    expect(await ran()).toEqual({ analyses: 1, passes: 2 });
    const folded = await findingsOf(runId);
    await computeFindings(deps, runId);
    expect(await findingsOf(runId)).toEqual(folded);
    // The pass came after the index job, with the projection the analysis would have queued (one
    // waiting projection per run: the first one's is still queued).
    const queued = (await listJobs(deps.database)).filter(
      (j) => j.run === 'embeddings-later' && j.state === 'queued',
    );
    expect(queued.map((j) => j.kind)).toEqual(['projection']);

    // Labels changed since the analysis: the next index job is followed by the analysis again.
    await createLabelVersion(deps.db, {
      dataset: 'embeddings-later',
      source: 'correction',
      actor: 'U1',
      changes: [{ op: 'relabel', externalId: 'r1', label: 'c' }],
    });
    await enqueueJobs(deps.database, [{ kind: 'index', runId }]);
    await runner.drain({ runId });
    expect(await ran()).toEqual({ analyses: 2, passes: 3 });
  });

  it('has its chunks search the embeddings the pass split, not an index opened before a re-import', async () => {
    const deps = chunkedDeps();
    const run = clusteredRun(150);
    const { runId, rowIds } = await insertClassification(deps.db, { name: 're-imported', ...run });
    // Another process (a server that answered a find-similar) opened the run's index, then the
    // embeddings were imported again: each row now sits in the next row's cluster.
    const server = createVectorService({ dataDir: null, logger: deps.logger });
    try {
      await server.ensureIndex(deps.db, runId);
      await shiftEmbeddings(deps.db, runId, rowIds, run.vectors);
      await computeFindings(deps, runId);
      const whole = await findingsOf(runId);
      await computeFindings(deps, runId, {}, { neighbours: { deferred: true } });

      // The pass runs here; its chunks run on the server.
      const [pass] = await enqueueJobs(deps.database, [knnPassJob(runId)]);
      const onServer = pipelineHandlers({ ...deps, vectors: server });
      const runner = createJobRunner(deps, {
        handlers: { ...pipelineHandlers(deps), [KNN_CHUNK]: onServer[KNN_CHUNK] },
        pollMs: 20,
      });
      expect(await runner.drain({ runId })).toEqual({ ran: 1 + searchedIn(whole).chunks, failed: 0 });
      expect(await findingsOf(runId)).toEqual(whole);

      // A chunk of a pass split before the embeddings changed again fails, and says why.
      const [{ payload }] = await rawRows<{ payload: { fingerprint: Record<string, unknown> } }>(
        deps.db,
        sql`select payload from jobs where parent_id = ${pass} order by id limit 1`,
      );
      expect(payload.fingerprint).toMatchObject({ count: 150, dim: 16 });
      const [orphan] = await enqueueJobs(deps.database, [
        {
          kind: KNN_CHUNK,
          runId,
          payload: { ...payload, fingerprint: { ...payload.fingerprint, hash: '1' } },
          maxAttempts: 1,
        },
      ]);
      const lone = createJobRunner(deps, { handlers: { [KNN_CHUNK]: onServer[KNN_CHUNK] }, pollMs: 20 });
      const why =
        /its index holds other embeddings than its pass .*the embeddings changed since its pass began/;
      await expect(lone.drain({ runId })).rejects.toThrow(why);
      const failed = (await listJobs(deps.database)).find((j) => j.id === orphan);
      expect(failed).toMatchObject({ state: 'failed', error: expect.stringMatching(why) });
    } finally {
      await server.close();
    }
  });

  it('retries a chunk that failed and one whose worker died holding it', async () => {
    const deps = chunkedDeps();
    const { runId } = await insertClassification(deps.db, { name: 'crashy', ...clusteredRun(450) });
    await computeFindings(deps, runId);
    const whole = await findingsOf(runId);
    await computeFindings(deps, runId, {}, { neighbours: { deferred: true } });

    const [pass] = await enqueueJobs(deps.database, [knnPassJob(runId)]);
    const handlers = pipelineHandlers(deps);
    let broke = false;
    let abandoned = false;
    const runner = createJobRunner(deps, {
      pollMs: 20,
      leaseMs: 60_000,
      backoff: () => 0,
      handlers: {
        ...handlers,
        async knn(ctx) {
          return handlers.knn({
            ...ctx,
            async runOne(filter) {
              // Another worker claims the first chunk and dies with it: no heartbeat, a short lease.
              if (!abandoned) {
                abandoned = Boolean(
                  await claimJob(deps.database, { worker: 'dead-worker', leaseMs: 300, ...filter }),
                );
                return true;
              }
              return ctx.runOne(filter);
            },
          });
        },
        async [KNN_CHUNK](ctx) {
          if (!broke && ctx.job.payload.part === 1) {
            broke = true;
            throw new Error('chunk broke');
          }
          return handlers[KNN_CHUNK](ctx);
        },
      },
    });
    await runner.drain({ runId });
    expect(abandoned && broke).toBe(true);
    expect(await findingsOf(runId)).toEqual(whole);
    const chunks = (await listJobs(deps.database)).filter((j) => j.kind === KNN_CHUNK && j.run === 'crashy');
    const { chunks: parts } = searchedIn(whole);
    expect(parts).toBeGreaterThanOrEqual(3);
    expect(chunks).toHaveLength(parts);
    expect(chunks.every((c) => c.state === 'done')).toBe(true);
    // The abandoned chunk and the broken one each ran twice.
    expect(chunks.map((c) => c.attempts).sort()).toEqual([...Array(parts - 2).fill(1), 2, 2]);
    expect((await listJobs(deps.database)).find((j) => j.id === pass)).toMatchObject({
      state: 'done',
      attempts: 1,
    });
  });
});
