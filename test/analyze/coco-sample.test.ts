import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ingestCoco } from '../../src/ingest/index.ts';
import { findRun } from '../../src/store/runs.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { SHARED } from '../ingest/fixtures.ts';

const dir = join(SHARED, 'coco-val2014-100');

// pycocotools COCOeval on this sample, as published by review_object_detection_metrics'
// tests/test_coco_eval.py (tolerance 1e-6); see test/metrics/coco-eval.test.ts.
const REFERENCE = {
  AP: 0.503647,
  AP50: 0.696973,
  AP75: 0.571667,
  APsmall: 0.593252,
  APmedium: 0.557991,
  APlarge: 0.489363,
  AR1: 0.386813,
  AR10: 0.59368,
  AR100: 0.595353,
  ARsmall: 0.654764,
  ARmedium: 0.60313,
  ARlarge: 0.553744,
};

describeEachDriver('COCO sample through ingest and analysis', (ctx) => {
  it.skipIf(!existsSync(dir))('stores the twelve numbers pycocotools gives, to 1e-6', async () => {
    const deps = testDeps(ctx().database);
    await ingestCoco(deps, {
      run: 'coco100',
      gt: join(dir, 'instances.json'),
      pred: join(dir, 'results.json'),
    });
    const run = await findRun(deps.db, 'coco100');
    expect(run).not.toBeNull();
    const coco = (run!.metrics as { coco: Record<string, number> }).coco;
    for (const [name, value] of Object.entries(REFERENCE)) {
      expect(Math.abs(coco[name] - value), name).toBeLessThanOrEqual(1e-6);
    }
  });
});
