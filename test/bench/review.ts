/**
 * The learned ranking of the mislabel queue on the digits demo, whose flipped rows are known
 * (src/demo/label-noise.ts, truth.ts): decide the first 30 flags by the truth (rework when the
 * label was flipped, approve otherwise), then precision@20 of the rest of the queue re-ranked by
 * the logistic regression fitted on those 30 verdicts, against the original order (the baseline,
 * same run). Reported either way; nothing is tuned on it. Also the time of one review-loop pass.
 *
 *   npx tsx test/bench/review.ts
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createDb } from '../../db/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/deps.ts';
import { reviewLoop } from '../../src/review/queue.ts';
import { lookupRun } from '../../src/store/run-lookup.ts';
import { DIGITS_DEMO } from '../../src/demo/settings.ts';
import { decideAndRerank, importDigits } from '../review/digits-loop.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';

export async function main(): Promise<void> {
  console.log(
    `load average: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const database = await createDb();
  try {
    const deps = {
      db: database.db,
      database,
      config: loadConfig({ LOUPE_DEMO: '0' }),
      logger: createLogger({ level: 'silent' }),
      clock: { now: () => new Date() },
      objectCache: createObjectCache(),
    };
    const run = await importDigits(deps);
    const r = await decideAndRerank(deps, run.id, { decide: 30, at: 20 });
    console.log(
      `digits demo: first ${r.decided} flags decided by the truth, ${r.confirmedFirst} of them flipped labels; ${r.remaining} flags left, ${r.remainingFlipped} of them flipped`,
    );
    console.log(
      `precision@20 of the rest: learned order ${r.learned.toFixed(2)}, original order ${r.original.toFixed(2)} (baseline); ratio ${(r.learned / Math.max(r.original, 1e-9)).toFixed(2)}×`,
    );
    console.log(
      `cross-validated precision (5 folds, top half of each held-out fold): model ${r.cv.model.toFixed(2)}, original ${r.cv.original.toFixed(2)}`,
    );
    const ref = (await lookupRun(deps.db, DIGITS_DEMO.run))!;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await reviewLoop(deps, ref);
      times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    console.log(
      `one review-loop pass (load features, fit, cross-validate, re-rank): median ${times[2].toFixed(0)} ms`,
    );
  } finally {
    await database.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
