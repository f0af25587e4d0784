import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deps } from '../deps.ts';
import { ingestClassification, ingestCoco } from '../ingest/index.ts';
import { listRuns } from '../store/runs.ts';
import { writeDemoFiles } from './files.ts';
import { writeDemoImages } from './images.ts';
import { DEMO_SEED, DIGITS_DEMO, SHAPES_DEMO } from './settings.ts';

export interface DemoSummary {
  loaded: boolean;
  runs: string[];
}

/** The demo's runs in import order: v1 before v2, so v2's "change against the previous run" is against v1. */
export const DEMO_RUNS = [DIGITS_DEMO.run, SHAPES_DEMO.runs.v1, SHAPES_DEMO.runs.v2];

/**
 * Import the demo through the real importers — the digits table with embeddings as
 * `digits-logreg`, the shapes with per-image embeddings as `shapes-detector-v1` then `-v2`, the
 * images of both written as files at first start and imported with `--images` — when the database
 * has no runs yet; when it holds only some of the demo's runs (a load cut short), the missing ones;
 * always with `force` (imports are idempotent). Each import queues its analysis in its own
 * transaction, so a crash after any of them leaves jobs the next start runs.
 * Media routes render the images from the same default seed, so pass another seed only in tests.
 *
 * @example
 * const { loaded, runs } = await loadDemo(deps);
 */
export async function loadDemo(
  deps: Deps,
  {
    force = false,
    seed = DEMO_SEED,
    analyze = true,
    wait = true,
    imagesDir = join(deps.config.LOUPE_DATA, 'demo-images'),
  }: {
    force?: boolean;
    seed?: number;
    /** Where the demo's images are written as files (kept: the board serves them from there). */
    imagesDir?: string;
    /** Run the analysis after each import (the importers' default); off only to save time in tests. */
    analyze?: boolean;
    /** Run the queued analysis before returning (default); false leaves it to the job workers. */
    wait?: boolean;
  } = {},
): Promise<DemoSummary> {
  const existing = new Set((await listRuns(deps.db)).map((r) => r.name));
  const onlyDemo = [...existing].every((name) => DEMO_RUNS.includes(name));
  const wanted = force ? DEMO_RUNS : DEMO_RUNS.filter((name) => !existing.has(name));
  if (!force && (!onlyDemo || wanted.length === 0)) {
    deps.logger.debug('demo not loaded: the database already has runs');
    return { loaded: false, runs: [] };
  }
  const dir = await mkdtemp(join(tmpdir(), 'loupe-demo-'));
  const done: string[] = [];
  try {
    const files = writeDemoFiles(dir, { seed });
    const images = await writeDemoImages(imagesDir, { seed, shapes: SHAPES_DEMO.images });
    const steps: [string, () => Promise<unknown>][] = [
      [
        DIGITS_DEMO.run,
        () =>
          ingestClassification(deps, {
            run: DIGITS_DEMO.run,
            dataset: DIGITS_DEMO.dataset,
            table: files.digits.table,
            embeddings: files.digits.embeddings,
            classNames: files.digits.classNames,
            images: images.digits,
            analyze,
            wait,
          }),
      ],
      [
        SHAPES_DEMO.runs.v1,
        () =>
          ingestCoco(deps, {
            run: SHAPES_DEMO.runs.v1,
            dataset: SHAPES_DEMO.dataset,
            gt: files.shapes.gt,
            pred: files.shapes.v1,
            embeddings: files.shapes.embeddings,
            images: images.shapes,
            analyze,
            wait,
          }),
      ],
      [
        SHAPES_DEMO.runs.v2,
        () =>
          ingestCoco(deps, {
            run: SHAPES_DEMO.runs.v2,
            dataset: SHAPES_DEMO.dataset,
            gt: files.shapes.gt,
            pred: files.shapes.v2,
            embeddings: files.shapes.embeddings,
            images: images.shapes,
            analyze,
            wait,
          }),
      ],
    ];
    for (const [run, step] of steps.filter(([name]) => wanted.includes(name))) {
      try {
        await step();
      } catch (err) {
        const kept = done.length
          ? ` (${done.join(', ')} imported and kept; \`loupe demo --force\` completes the rest)`
          : '';
        throw new Error(`demo: importing run ${run} failed: ${(err as Error).message}${kept}`, {
          cause: err,
        });
      }
      done.push(run);
      deps.logger.info('demo run imported', { run });
    }
    return { loaded: true, runs: done };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
