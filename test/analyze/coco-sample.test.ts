import { hasSharedData } from '../helpers/shared-data.ts';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { computeFindings } from '../../src/findings/index.ts';
import { ingestCoco } from '../../src/ingest/index.ts';
import { findRun } from '../../src/store/run-lookup.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { SHARED } from '../ingest/fixtures.ts';
import { PYCOCOTOOLS_SAMPLE_STATS } from '../metrics/coco-sample-reference.ts';

const dir = join(SHARED, 'coco-val2014-100');

describeEachDriver('COCO sample through ingest and analysis', (ctx) => {
  it.runIf(hasSharedData('coco-val2014-100', 'the COCO sample through ingest'))(
    'stores the twelve numbers pycocotools gives, to 1e-6',
    async () => {
      const deps = testDeps(ctx().database);
      await ingestCoco(deps, {
        run: 'coco100',
        gt: join(dir, 'instances.json'),
        pred: join(dir, 'results.json'),
      });
      const run = await findRun(deps.db, 'coco100');
      expect(run).not.toBeNull();
      const coco = (run!.metrics as { coco: Record<string, number> }).coco;
      for (const [name, value] of Object.entries(PYCOCOTOOLS_SAMPLE_STATS)) {
        expect(Math.abs(coco[name] - value), name).toBeLessThanOrEqual(1e-6);
      }
      // The findings made from the boxes the analysis handed over equal those made from the store.
      const findings = async () => ({
        flags: await rawRows(
          deps.db,
          sql`select row_id, kind, ann_id, pred_id, given, suggested, score, evidence, rank
            from label_flags where run_id = ${run!.id} order by rank`,
        ),
        rows: await rawRows(
          deps.db,
          sql`select row_id, label_quality, uncertainty_least, uncertainty_margin, uncertainty_entropy
            from row_scores where run_id = ${run!.id} order by row_id`,
        ),
      });
      const handed = await findings();
      expect(handed.flags.length).toBeGreaterThan(0);
      await computeFindings(deps, run!.id);
      expect(await findings()).toEqual(handed);
    },
  );

  it.runIf(hasSharedData('coco-val2014-100', 'the COCO sample through ingest'))(
    'a new dataset analysed from the files it was imported from stores what reading the tables gives',
    async () => {
      const deps = testDeps(ctx().database);
      await ingestCoco(deps, {
        run: 'coco100-handed',
        gt: join(dir, 'instances.json'),
        pred: join(dir, 'results.json'),
      });
      const run = (await findRun(deps.db, 'coco100-handed'))!;
      const stored = async () => ({
        metrics: (await findRun(deps.db, 'coco100-handed'))!.metrics,
        scores: await rawRows(
          deps.db,
          sql`select row_id, labeled, iou, confidence, min_conf, max_conf, label, predicted, num_gt, num_pred
            from row_scores where run_id = ${run.id} order by row_id`,
        ),
        // Every box's outcome at each threshold, packed as the objects view reads them.
        objects: await rawRows(
          deps.db,
          sql`select chunk, encode(data, 'base64') as data from object_outcome_chunks
            where run_id = ${run.id} order by chunk`,
        ),
        errorImages: await rawRows(
          deps.db,
          sql`select row_id, error_mask from object_outcomes where run_id = ${run.id} order by row_id`,
        ),
      });
      const handed = await stored();
      expect(handed.scores.length).toBe(100);
      expect(handed.objects.length).toBeGreaterThan(0);
      expect(handed.errorImages.length).toBeGreaterThan(0);
      await analyzeRun(deps, run.id);
      expect(await stored()).toEqual(handed);
    },
  );
});
