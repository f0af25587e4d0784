import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoFiles } from '../../src/demo/files.ts';
import { DEMO_SEED, DIGITS_DEMO } from '../../src/demo/settings.ts';
import { demoTruth } from '../../src/demo/truth.ts';
import type { Deps } from '../../src/deps.ts';
import { ingestClassification } from '../../src/ingest/classification.ts';
import { reviewLoop } from '../../src/review/queue.ts';
import { listMislabels } from '../../src/store/findings.ts';
import { recordDecision } from '../../src/store/reviews.ts';
import { lookupRun } from '../../src/store/run-lookup.ts';

/** Import the digits demo run alone (its flipped rows are known from the seed). */
export async function importDigits(deps: Deps) {
  const files = writeDemoFiles(mkdtempSync(join(tmpdir(), 'loupe-digits-')), { seed: DEMO_SEED });
  await ingestClassification(deps, {
    run: DIGITS_DEMO.run,
    dataset: DIGITS_DEMO.dataset,
    table: files.digits.table,
    embeddings: files.digits.embeddings,
    classNames: files.digits.classNames,
  });
  const run = await lookupRun(deps.db, DIGITS_DEMO.run);
  if (!run) throw new Error('digits run missing after import');
  return run;
}

/**
 * The learned-ranking measurement: decide the first `decide` flags of the original queue by the
 * truth (rework when the label was flipped, approve otherwise), then compare precision@`at` of the
 * rest of the queue in the original order and re-ranked by the model fitted on those verdicts.
 */
export async function decideAndRerank(deps: Deps, runId: number, { decide = 30, at = 20 } = {}) {
  const run = await lookupRun(deps.db, DIGITS_DEMO.run);
  if (!run) throw new Error('digits run missing');
  const flipped = new Set(demoTruth({ seed: DEMO_SEED }).digits.flipped.map((f) => f.externalId));
  const first = await listMislabels(deps.db, { runId, limit: decide });
  for (const item of first.items)
    await recordDecision(deps.db, {
      rowId: item.rowId,
      runId,
      decision: flipped.has(item.id) ? 'rework' : 'approve',
      actor: 'U0BENCH',
      source: 'cli',
    });
  const confirmedFirst = first.items.filter((i) => flipped.has(i.id)).length;
  const loop = await reviewLoop(deps, run);
  if (!loop.learned) throw new Error(`expected a learned ranking after ${decide} verdicts`);
  const idOf = new Map(
    (await listMislabels(deps.db, { runId, limit: 10_000 })).items.map((i) => [i.rowId, i.id]),
  );
  const rest = loop.learned.order;
  const originalRest = [...rest].sort((a, b) => a.rank - b.rank);
  const precisionAt = (flags: typeof rest) =>
    flags.slice(0, at).filter((f) => flipped.has(idOf.get(f.rowId) ?? '')).length /
    Math.min(at, flags.length);
  return {
    decided: first.items.length,
    confirmedFirst,
    remaining: rest.length,
    remainingFlipped: rest.filter((f) => flipped.has(idOf.get(f.rowId) ?? '')).length,
    original: precisionAt(originalRest),
    learned: precisionAt(rest),
    cv: loop.learned.cv,
    precision: loop.precision,
  };
}
