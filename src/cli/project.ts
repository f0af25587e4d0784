import { InvalidArgumentError } from 'commander';
import type { Deps } from '../deps.ts';
import { type Progress, noProgress } from '../progress.ts';
import type { RegisterCommand } from './context.ts';

export interface ProjectCommandOptions {
  run: string;
  sample?: number;
  seed?: number;
  neighbors?: number;
  json?: boolean;
  /** Told how far the index and the projection got (the CLI draws it on stderr). */
  progress?: Progress;
}

/**
 * Build a run's vector index and UMAP projection in the foreground (what its projection job does)
 * and describe the outcome; throws when it fails.
 *
 * @example
 * process.stdout.write(await projectOutput(deps, { run: 'digits', sample: 20000, seed: 42 }));
 */
export async function projectOutput(
  deps: Deps,
  {
    run,
    sample = 20000,
    seed = 42,
    neighbors = 15,
    json = false,
    progress = noProgress,
  }: ProjectCommandOptions,
): Promise<string> {
  const [{ requireRun }, { projectRun }] = await Promise.all([
    import('../store/run-lookup.ts'),
    import('../jobs/pipeline.ts'),
  ]);
  const found = await requireRun(deps.db, run);
  let result: Awaited<ReturnType<typeof projectRun>>;
  try {
    progress.step('projection', 100);
    // No vector service of our own: the index's worker is closed before the projection starts.
    result = await projectRun(deps, found.id, {
      projection: { sample, seed, nNeighbors: neighbors },
      onProgress: (f) => progress.update(Math.floor(f * 100)),
    });
  } catch (err) {
    throw new Error(`project ${run}: ${(err as Error).message}`, { cause: err });
  }
  if (json) return `${JSON.stringify({ run, ok: true, ...result }, null, 2)}\n`;
  if (!result.embeddings) return `Run "${run}" has no embeddings: nothing to index or project.\n`;
  const idx = result.index!;
  const p = result.projection!;
  return (
    `Vector index: ${idx.count} rows × ${idx.dim} (${idx.built ? 'built' : 'up to date'}).\n` +
    `Projection: ${p.rows} points, ${p.fitted} fitted, ${p.rows - p.fitted} placed (${result.seconds.toFixed(1)} s).\n`
  );
}

const int = (min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
  return n;
};

export const registerProject: RegisterCommand = (program, ctx) => {
  program
    .command('project')
    .description(
      "Build the run's vector index and its 2-D UMAP map now (normally done in the background after ingest)",
    )
    .requiredOption('--run <name>', 'model run')
    .option('--sample <n>', 'rows UMAP is fitted on, stratified by label; the rest are placed', int(2), 20000)
    .option('--seed <n>', 'random seed', int(0), 42)
    .option('--neighbors <n>', 'UMAP n_neighbors', int(2), 15)
    .option('--json', 'print one JSON document')
    .action(async (opts: ProjectCommandOptions) => {
      // Loaded here: the progress bar package is only drawn by a command that runs.
      const { cliProgressFor } = await import('./progress.ts');
      const progress = cliProgressFor(ctx.io);
      try {
        // Not heavy: the database work is two paged reads and one write; PGlite's full shared
        // buffers and optimized WebAssembly would cost ~200 MB of the command's peak.
        ctx.io.out(
          await ctx.withDeps((deps) => projectOutput(deps, { ...opts, progress }), { heavy: false }),
        );
      } finally {
        progress.stop();
      }
    });
};
