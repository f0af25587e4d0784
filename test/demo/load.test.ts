import { and, count, eq, sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { annotations, dataRows, datasets, embeddings, modelRuns, predictions } from '../../db/schema.ts';
import { DEMO_RUNS, loadDemo } from '../../src/demo/load.ts';
import { DEMO_SEED, SHAPES_DEMO } from '../../src/demo/settings.ts';
import { buildShapesDemo } from '../../src/demo/shapes/demo.ts';
import { demoTruth } from '../../src/demo/truth.ts';
import { listRuns } from '../../src/store/runs.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';

describeEachDriver('loadDemo', (ctx) => {
  const truth = demoTruth();
  const shapes = buildShapesDemo({ seed: DEMO_SEED });

  async function counts() {
    const { db } = ctx().database;
    const perDataset = await db
      .select({
        dataset: datasets.name,
        rows: count(),
        unlabeled: sql<number>`count(*) filter (where not ${dataRows.labeled})::int`,
      })
      .from(dataRows)
      .innerJoin(datasets, eq(datasets.id, dataRows.datasetId))
      .groupBy(datasets.name)
      .orderBy(datasets.name);
    const preds = await db
      .select({ run: modelRuns.name, n: count() })
      .from(predictions)
      .innerJoin(modelRuns, eq(modelRuns.id, predictions.runId))
      .groupBy(modelRuns.name)
      .orderBy(modelRuns.name);
    const [anns] = await db.select({ n: count() }).from(annotations);
    const [embs] = await db.select({ n: count() }).from(embeddings);
    return { perDataset, preds, annotations: anns.n, embeddings: embs.n };
  }

  it('imports the three demo runs into an empty database through the importers', async () => {
    const deps = testDeps(ctx().database);
    expect(await loadDemo(deps)).toEqual({ loaded: true, runs: DEMO_RUNS });
    const c = await counts();
    expect(c.perDataset).toEqual([
      { dataset: 'digits', rows: 1797, unlabeled: 449 },
      { dataset: 'shapes', rows: 120, unlabeled: 0 },
    ]);
    expect(c.preds).toEqual([
      { run: 'digits-logreg', n: 1797 },
      { run: 'shapes-detector-v1', n: shapes.runs.v1.results.length },
      { run: 'shapes-detector-v2', n: shapes.runs.v2.results.length },
    ]);
    // Digits: one label per labeled row; shapes: one box per ground-truth annotation.
    expect(c.annotations).toBe(1797 - 449 + shapes.gt.annotations.length);
    // Digits, and the 120 shapes images once per detector run.
    expect(c.embeddings).toBe(1797 + 2 * 120);

    // The importers analyzed each run; v2, the better simulated detector, shows a gain over v1.
    const runs = await listRuns(deps.db);
    expect(runs.map((r) => [r.name, r.headline?.metric])).toEqual([
      ['shapes-detector-v2', 'AP'],
      ['shapes-detector-v1', 'AP'],
      ['digits-logreg', 'accuracy'],
    ]);
    // Every image is a row, empty ones too: the runs table counts what the index and projector hold.
    expect(runs.map((r) => [r.name, r.rows])).toEqual([
      ['shapes-detector-v2', 120],
      ['shapes-detector-v1', 120],
      ['digits-logreg', 1797],
    ]);
    const v2 = runs[0];
    expect(v2.previous).toBe('shapes-detector-v1');
    expect(v2.change).toBeGreaterThan(0);
  });

  it('stores what was injected where tests and the board can find it', async () => {
    const { db } = ctx().database;
    const flip = truth.digits.flipped[0];
    const [row] = await db
      .select({ metadata: dataRows.metadata, imageUrl: dataRows.imageUrl, label: annotations.label })
      .from(dataRows)
      .innerJoin(datasets, eq(datasets.id, dataRows.datasetId))
      .innerJoin(annotations, eq(annotations.rowId, dataRows.id))
      .where(and(eq(datasets.name, 'digits'), eq(dataRows.externalId, flip.externalId)));
    expect(row).toEqual({
      metadata: { trueLabel: flip.trueLabel, flipped: true },
      imageUrl: expect.stringMatching(new RegExp(`^root:\\d+/${flip.rowIndex}\\.png$`)),
      label: flip.given,
    });
    const held = truth.digits.heldOut[0];
    const [pool] = await db
      .select({ labeled: dataRows.labeled })
      .from(dataRows)
      .innerJoin(datasets, eq(datasets.id, dataRows.datasetId))
      .where(and(eq(datasets.name, 'digits'), eq(dataRows.externalId, held.externalId)));
    expect(pool.labeled).toBe(false);
    const [image] = await db
      .select({ imageUrl: dataRows.imageUrl, width: dataRows.width, height: dataRows.height })
      .from(dataRows)
      .innerJoin(datasets, eq(datasets.id, dataRows.datasetId))
      .where(and(eq(datasets.name, 'shapes'), eq(dataRows.externalId, '7')));
    expect(image).toEqual({ imageUrl: expect.stringMatching(/^root:\d+\/7\.png$/), width: 256, height: 256 });
  });

  it('completes a load cut short: only the missing demo runs are imported', async () => {
    const deps = testDeps(ctx().database);
    const { db } = ctx().database;
    await db.delete(modelRuns).where(eq(modelRuns.name, SHAPES_DEMO.runs.v2));
    expect(await loadDemo(deps)).toEqual({ loaded: true, runs: [SHAPES_DEMO.runs.v2] });
    const runs = await listRuns(db);
    expect(runs.map((r) => [r.name, r.headline !== null])).toContainEqual([SHAPES_DEMO.runs.v2, true]);
  });

  it('skips a database that has runs, and with force re-imports without duplicating', async () => {
    const deps = testDeps(ctx().database);
    const before = await counts();
    expect(await loadDemo(deps)).toEqual({ loaded: false, runs: [] });
    expect(await loadDemo(deps, { force: true, analyze: false })).toEqual({ loaded: true, runs: DEMO_RUNS });
    expect(await counts()).toEqual(before);
  });
});
