import { join } from 'node:path';
import { expect, it } from 'vitest';
import { analyzeRun } from '../../src/analyze/run.ts';
import { type Deps, createLogger } from '../../src/deps.ts';
import { ingestCoco } from '../../src/ingest/index.ts';
import { findRun } from '../../src/store/run-lookup.ts';
import { storedAnalysis } from '../helpers/builder.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { hasSharedData } from '../helpers/shared-data.ts';
import { SHARED } from '../ingest/fixtures.ts';

const dir = join(SHARED, 'coco-val2014-100');

/** What the analysis stored for run `name`. */
async function stored(deps: Deps, name: string) {
  return storedAnalysis(deps.db, (await findRun(deps.db, name))!.id);
}

// The analysis `loupe ingest coco` runs after importing a new dataset computes the findings from
// the boxes the import read, before its row scores, and writes them with the lines instead of
// updating the lines after: what it stores must be what an analysis from the tables stores.
describeEachDriver('detection analysis with the findings of the boxes the import holds', (ctx) => {
  it.runIf(hasSharedData('coco-val2014-100', 'the COCO sample through ingest'))(
    'stores what the analysis from the tables stores: scores, findings, flags and metrics',
    async () => {
      const lines: string[] = [];
      const deps = testDeps(ctx().database, {
        logger: createLogger({ level: 'info', write: (l) => lines.push(l) }),
      });
      await ingestCoco(deps, {
        run: 'coco-handed',
        gt: join(dir, 'instances.json'),
        pred: join(dir, 'results.json'),
      });
      const computed = () => lines.filter((l) => l.includes('findings computed'));
      expect(computed()).toHaveLength(1);
      expect(computed()[0]).toContain('"read":"handed by the import"');
      const handed = await stored(deps, 'coco-handed');
      expect(handed.flags.length).toBeGreaterThan(0);
      expect(handed.scores.filter((s) => s.labelQuality !== null).length).toBeGreaterThan(50);

      await analyzeRun(deps, (await findRun(deps.db, 'coco-handed'))!.id);
      expect(computed()).toHaveLength(2);
      expect(computed()[1]).not.toContain('handed by the import');
      expect(await stored(deps, 'coco-handed')).toEqual(handed);
    },
  );

  it.runIf(hasSharedData('coco-val2014-100', 'the COCO sample through ingest'))(
    'computes them after the analysis when the boxes changed since the import',
    async () => {
      const lines: string[] = [];
      const deps = testDeps(ctx().database, {
        logger: createLogger({ level: 'info', write: (l) => lines.push(l) }),
      });
      const files = { gt: join(dir, 'instances.json'), pred: join(dir, 'results.json') };
      await ingestCoco(deps, { run: 'coco-stale', ...files });
      const before = await stored(deps, 'coco-stale');
      const run = (await findRun(deps.db, 'coco-stale'))!;
      // What the import would hand over, counted with one more box than the tables hold.
      await analyzeRun(deps, run.id, {
        detectionInputs: {
          runId: run.id,
          counts: { rows: 100, annotations: 1, predictions: 0 },
          labelVersion: 1,
          inputs: { labeledRows: [], poolRows: [], gts: [], dets: [], poolDets: [], externalIds: new Map() },
        },
      });
      const computed = lines.filter((l) => l.includes('findings computed'));
      expect(computed.at(-1)).not.toContain('handed by the import');
      // The ones computed from the handed boxes were made, then dropped by the analysis' check.
      expect(lines.filter((l) => l.includes('findings of the import dropped'))).toHaveLength(1);
      expect(await stored(deps, 'coco-stale')).toEqual(before);
    },
  );
});
