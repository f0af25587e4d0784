import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { projectOutput } from '../../src/cli/project.ts';
import { similarOutput } from '../../src/cli/similar.ts';
import { listProjection } from '../../src/store/projections.ts';
import { pipelineHandlers, projectionJob } from '../../src/jobs/pipeline.ts';
import { createJobRunner } from '../../src/jobs/runner.ts';
import { enqueueJobs, listJobs } from '../../src/store/jobs.ts';
import { createVectorService } from '../../src/vectors/service.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';
import { clusters, seedRun } from './seed.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'loupe-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];

describeEachDriver('similar and project commands', (ctx) => {
  // Each suite gets its own folder: both drivers number their runs from 1.
  const deps = () =>
    testDeps(ctx().database, {
      config: loadConfig({ LOUPE_DEMO: '0', LOUPE_DATA: join(dataDir, ctx().driver) }),
    });

  it('loupe similar prints external ids and distances, as JSON or a table', async () => {
    const angles = [0, 10, 20, 35, 40, 52, 90];
    await seedRun(ctx().database.db, {
      name: 'cli-similar',
      vectors: angles.map(deg),
      labeled: angles.map((a) => a !== 20 && a !== 52),
    });
    const json = JSON.parse(
      await similarOutput(deps(), { run: 'cli-similar', rows: 'r0, r4', limit: 3, json: true }),
    );
    expect(json.items.map((i: { id: string }) => i.id)).toEqual(['r3', 'r1', 'r2']);
    expect(Object.keys(json.items[0]).sort()).toEqual(['distance', 'id']);
    expect(json.items[0].distance).toBeCloseTo(1 - Math.cos((5 * Math.PI) / 180), 5);

    const table = await similarOutput(deps(), { run: 'cli-similar', rows: 'r0,r4', unlabeled: true });
    const lines = table.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['rank', 'id', 'distance', 'labeled']);
    expect(lines.slice(2).map((l) => l.split(/\s+/)[1])).toEqual(['r2', 'r5']);

    await expect(similarOutput(deps(), { run: 'cli-similar', rows: 'r0,zz9' })).rejects.toThrow(
      '--rows: unknown id(s) in run "cli-similar": zz9',
    );
    await expect(similarOutput(deps(), { run: 'cli-similarr', rows: 'r0' })).rejects.toThrow(
      /did you mean "cli-similar"/,
    );
    // Errors name the run as the user typed it, never its internal id.
    await insertClassificationRun(ctx().database.db, {
      name: 'cli-no-vectors',
      classNames: ['a', 'b'],
      labels: [0, 1],
      probs: [
        [0.9, 0.1],
        [0.2, 0.8],
      ],
    });
    await expect(similarOutput(deps(), { run: 'cli-no-vectors', rows: '0' })).rejects.toThrow(
      'run cli-no-vectors has no embeddings: add them with `loupe ingest embeddings --run cli-no-vectors --path emb.npy`',
    );
  });

  it('loupe project builds the index and stores the projection; a projection job does the same from the queue', async () => {
    const vecs = clusters(
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
      15,
      0.2,
      3,
    );
    const { runId } = await seedRun(ctx().database.db, {
      name: 'cli-project',
      vectors: vecs,
      labels: vecs.map((_, i) => (i < 15 ? 0 : 1)),
    });
    const out = await projectOutput(deps(), { run: 'cli-project', sample: 20, neighbors: 5 });
    expect(out).toBe(
      'Vector index: 30 rows × 3 (built).\nProjection: 30 points, 20 fitted, 10 placed (' +
        out.split('(').pop(),
    );
    const { points } = await listProjection(ctx().database.db, runId);
    expect(points).toHaveLength(30);
    expect(points.filter((p) => p.fitted)).toHaveLength(20);

    const vectors = createVectorService({ dataDir: join(dataDir, ctx().driver), logger: deps().logger });
    const withVectors = { ...deps(), vectors };
    const empty = await seedRun(ctx().database.db, { name: 'cli-noemb', vectors: [] });
    await enqueueJobs(ctx().database, [
      projectionJob(runId, { sample: 30, nNeighbors: 5 }),
      projectionJob(empty.runId),
    ]);
    const runner = createJobRunner(withVectors, { handlers: pipelineHandlers(withVectors) });
    expect(await runner.drain({ runId })).toEqual({ ran: 1, failed: 0 });
    expect(await runner.drain({ runId: empty.runId })).toEqual({ ran: 1, failed: 0 });
    await vectors.close();
    expect((await listProjection(ctx().database.db, runId)).points.every((p) => p.fitted)).toBe(true);
    expect((await listJobs(ctx().database)).slice(-2)).toEqual([
      expect.objectContaining({
        kind: 'projection',
        run: 'cli-project',
        state: 'done',
        progress: 1,
        attempts: 1,
      }),
      expect.objectContaining({ kind: 'projection', run: 'cli-noemb', state: 'done', error: null }),
    ]);
    expect((await listProjection(ctx().database.db, empty.runId)).points).toEqual([]);

    expect(await projectOutput(deps(), { run: 'cli-noemb' })).toBe(
      'Run "cli-noemb" has no embeddings: nothing to index or project.\n',
    );
  });
});
