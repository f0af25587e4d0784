import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { createLogger } from '../../src/deps.ts';
import { ingestClassification } from '../../src/ingest/index.ts';
import { findRun } from '../../src/store/run-lookup.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { hasSharedData } from '../helpers/shared-data.ts';

const news = new URL('../../../shared/data/label-errors/20news', import.meta.url).pathname;

// The analysis `loupe ingest` runs after importing a new dataset from .npy files takes the rows
// the import read instead of reading them back; what it stores must be what reading gives.
describeEachDriver('classification analysis from the rows the import holds', (ctx) => {
  it.runIf(hasSharedData('label-errors/20news/labels.npy', '20news ingest'))(
    'stores what reading the tables gives: scores, flags and metrics',
    async () => {
      const lines: string[] = [];
      const deps = testDeps(ctx().database, {
        logger: createLogger({ level: 'info', write: (l) => lines.push(l) }),
      });
      await ingestClassification(deps, {
        run: 'news-handed',
        labels: join(news, 'labels.npy'),
        probs: join(news, 'pred_probs.npy'),
      });
      const findings = lines.filter((l) => l.includes('findings computed'));
      expect(findings).toHaveLength(1);
      expect(findings[0]).toContain('"read":"handed by the import"');
      const run = (await findRun(deps.db, 'news-handed'))!;
      const stored = async () => ({
        metrics: (await findRun(deps.db, 'news-handed'))!.metrics,
        scores: await rawRows(
          deps.db,
          sql`select row_id, labeled, iou, confidence, label, predicted, label_quality, neighbour_disagreement,
              uncertainty_least, uncertainty_margin, uncertainty_entropy
            from row_scores where run_id = ${run.id} order by row_id`,
        ),
        flags: await rawRows(
          deps.db,
          sql`select row_id, given, suggested, score, rank from label_flags where run_id = ${run.id} order by rank`,
        ),
      });
      const handed = await stored();
      expect(handed.scores.length).toBe(7532);
      expect(handed.flags.length).toBeGreaterThan(0);
      await analyzeRun(deps, run.id);
      expect(lines.filter((l) => l.includes('findings computed')).at(-1)).toContain(
        '"read":"from the tables"',
      );
      expect(await stored()).toEqual(handed);
    },
  );
});
