import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestCoco } from '../../src/ingest/index.ts';
import { checkRegression } from '../../src/regression/check.ts';
import { lookupRun } from '../../src/store/run-lookup.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { SHARED } from '../ingest/fixtures.ts';

const COCO = join(SHARED, 'coco-val2014-100');

describeEachDriver('regression check of a detection run (COCO sample)', (ctx) => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-detcheck-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compares COCOeval AP per class on the shared images: the dropped category regresses, the rest equal the stored AP', async () => {
    const deps = testDeps(ctx().database);
    const results = JSON.parse(readFileSync(join(COCO, 'results.json'), 'utf8')) as { category_id: number }[];
    // The second run lost every person detection (category 1).
    const worse = join(dir, 'worse.json');
    writeFileSync(worse, JSON.stringify(results.filter((r) => r.category_id !== 1)));
    const gt = join(COCO, 'instances.json');
    await ingestCoco(deps, { run: 'c1', dataset: 'coco100', gt, pred: join(COCO, 'results.json') });
    await ingestCoco(deps, { run: 'c2', dataset: 'coco100', gt, pred: worse });
    const c1 = (await lookupRun(deps.db, 'c1'))!;
    const c2 = (await lookupRun(deps.db, 'c2'))!;
    const check = (await checkRegression(deps, c2.id, { resamples: 200 }))!;
    expect(check).toMatchObject({ metric: 'ap', rows: 100, previousRunId: c1.id });
    const person = check.classes.find((c) => c.name === 'person')!;
    expect(person).toMatchObject({ now: 0, regressed: true });
    expect(person.before).toBeGreaterThan(0.3);
    // Every point estimate is the AP analyzeRun stored (COCOeval on the same images).
    const stored = new Map(
      (c1.metrics!.classes as { name: string; ap: number | null }[]).map((c) => [c.name, c.ap]),
    );
    for (const c of check.classes) expect(c.before).toBe(stored.get(c.name));
    expect(check.classes.filter((c) => c.delta !== 0).map((c) => c.name)).toEqual(['person']);
  }, 300_000);
});
