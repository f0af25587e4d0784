import { beforeAll, expect, it } from 'vitest';
import { modelRuns, predictions } from '../../db/schema.ts';
import { retrainEffectOf } from '../../src/analyze/retrain-effect.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { buildDigest } from '../../src/digest/build.ts';
import { digestText } from '../../src/digest/text.ts';
import { listUncertain } from '../../src/store/uncertain.ts';
import { reevaluationJob, runPipelineNow } from '../../src/jobs/pipeline.ts';
import { recordCorrection } from '../../src/store/corrections.ts';
import { enqueueJobs } from '../../src/store/jobs.ts';
import { labelNoise } from '../../src/store/label-effects.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';

/** 10 labeled rows; the model (run A) is right on 6, and 2 of its 4 "errors" are mislabels (rows 0 and 1). */
const LABELS = [0, 0, 1, 1, 0, 1, 0, 1, 0, 1];
const A_PRED = [1, 1, 0, 0, 0, 1, 0, 1, 0, 1];
const probs = (pred: number[]) => pred.map((p) => (p === 0 ? [0.8, 0.2] : [0.2, 0.8]));

describeEachDriver('label noise and the retrain effect', (ctx) => {
  let deps: ReturnType<typeof testDeps>;
  let a: Awaited<ReturnType<typeof insertClassificationRun>>;
  beforeAll(async () => {
    deps = testDeps(ctx().database);
    a = await insertClassificationRun(deps.db, {
      name: 'noisy',
      classNames: ['cat', 'dog'],
      labels: LABELS,
      probs: probs(A_PRED),
    });
    await analyzeRun(deps, a.runId);
  });

  it('re-evaluating after two corrections shows how much of the error was label noise', async () => {
    expect(await labelNoise(deps.db, a.runId)).toMatchObject({
      datasetVersion: 1,
      evaluatedVersion: 1,
      first: { version: 1, name: 'accuracy', value: 0.6 },
      noiseShare: null,
    });
    for (const i of [0, 1])
      await recordCorrection(deps.db, {
        rowId: a.rowIds[i],
        actor: 'U1',
        source: 'board',
        change: { op: 'relabel', label: 'dog' },
      });
    expect(await labelNoise(deps.db, a.runId)).toMatchObject({ datasetVersion: 3, evaluatedVersion: 1 });
    await enqueueJobs(deps.database, [reevaluationJob(a.runId)]);
    expect(await runPipelineNow(deps, a.runId, { kinds: ['reevaluate'] })).toEqual({ ran: 1, failed: 0 });
    const noise = await labelNoise(deps.db, a.runId);
    expect(noise).toMatchObject({
      datasetVersion: 3,
      evaluatedVersion: 3,
      first: { version: 1, value: 0.6 },
      latest: { version: 3, value: 0.8 },
    });
    expect(noise?.noiseShare).toBeCloseTo(0.5, 12);
  });

  it('a new run on the relabeled dataset shows accuracy on the changed rows, previous run → this run', async () => {
    const [b] = await deps.db
      .insert(modelRuns)
      .values({
        name: 'noisy-v2',
        datasetId: a.datasetId,
        kind: 'classification',
        createdAt: new Date(Date.now() + 60_000),
      })
      .returning({ id: modelRuns.id });
    // Retrained on the corrected labels: right on row 0, still wrong on row 1.
    const bPred = [1, 0, 1, 1, 0, 1, 0, 1, 0, 1];
    await deps.db.insert(predictions).values(
      probs(bPred).map((p, i) => ({
        runId: b.id,
        rowId: a.rowIds[i],
        predKey: 0,
        label: bPred[i],
        score: 0.8,
        probs: p,
      })),
    );
    await analyzeRun(deps, b.id);
    const effect = await retrainEffectOf(deps, b.id);
    expect(effect).toMatchObject({
      previous: { id: a.runId, name: 'noisy' },
      fromVersion: 1,
      toVersion: 3,
      rows: 2,
      measure: 'accuracy',
      before: { hits: 2, total: 2 },
      after: { hits: 1, total: 2 },
    });
    expect(await retrainEffectOf(deps, a.runId)).toBeNull();
    // The digest of the day says the same.
    const digest = await buildDigest(deps, { day: '2026-11-30', since: new Date(0), listUncertain });
    expect(digestText(digest)).toContain(
      'Retrain effect on the 2 rows relabeled since noisy (labels v1 → v3): accuracy 100.0% (2/2) → noisy-v2 50.0% (1/2)',
    );
  });
});
