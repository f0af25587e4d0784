import { InvalidArgumentError } from 'commander';
import type { Deps } from '../deps.ts';
import type { RegisterCommand } from './context.ts';
import { formatTable } from './output.ts';

export interface SimilarCommandOptions {
  run: string;
  /** Comma-separated external ids. */
  rows: string;
  limit?: number;
  unlabeled?: boolean;
  json?: boolean;
}

/**
 * The text `loupe similar` prints: rows like the given ones, as a table or as
 * `{ "items": [{ "id", "distance" }] }`. Uses `deps.vectors`, or a service saving its index
 * in LOUPE_DATA for this command.
 *
 * @example
 * process.stdout.write(await similarOutput(deps, { run: 'digits', rows: '17,42', limit: 10, json: true }));
 */
export async function similarOutput(
  deps: Deps,
  { run, rows, limit = 50, unlabeled = false, json = false }: SimilarCommandOptions,
): Promise<string> {
  const [
    { requireRun },
    { embeddingFingerprint, resolveExternalIds },
    { createVectorService },
    { findSimilar },
    { noEmbeddingsAdvice },
  ] = await Promise.all([
    import('../store/run-lookup.ts'),
    import('../store/vectors.ts'),
    import('../vectors/service.ts'),
    import('../vectors/similar.ts'),
    import('../vectors/index-cache.ts'),
  ]);
  const found = await requireRun(deps.db, run);
  const ids = rows
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new Error('--rows: give at least one row id (comma-separated)');
  const map = await resolveExternalIds(deps.db, found.id, ids);
  const missing = ids.filter((id) => !map.has(id));
  if (missing.length)
    throw new Error(
      `--rows: unknown id(s) in run "${run}": ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`,
    );
  if ((await embeddingFingerprint(deps.db, found.id)).count === 0)
    throw new Error(noEmbeddingsAdvice(found.name));
  const vectors =
    deps.vectors ?? createVectorService({ dataDir: deps.config.LOUPE_DATA, threads: 2, logger: deps.logger });
  try {
    const { items } = await findSimilar(
      { ...deps, vectors },
      { runId: found.id, rowIds: ids.map((id) => map.get(id)!), limit, unlabeledOnly: unlabeled },
    );
    if (json)
      return `${JSON.stringify({ items: items.map((i) => ({ id: i.id, distance: i.distance })) }, null, 2)}\n`;
    if (items.length === 0) return 'No similar rows.\n';
    return `${formatTable(
      items.map((i, n) => ({
        rank: n + 1,
        id: i.id,
        distance: i.distance,
        labeled: i.labeled ? 'yes' : 'no',
      })),
      ['rank', 'id', 'distance', 'labeled'],
    )}\n`;
  } finally {
    if (!deps.vectors) await vectors.close();
  }
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export const registerSimilar: RegisterCommand = (program, ctx) => {
  program
    .command('similar')
    .description(
      'Rows whose embeddings are closest to the given rows (fused by rank), the rows themselves left out',
    )
    .requiredOption('--run <name>', 'model run whose embeddings to search')
    .requiredOption('--rows <ids>', 'comma-separated row ids (the ids you imported)')
    .option('--limit <n>', 'how many rows to return', positiveInt, 50)
    .option('--unlabeled', 'only rows without ground truth (the labeling pool)')
    .option('--json', 'print one JSON document')
    .action(async (opts: SimilarCommandOptions) => {
      ctx.io.out(await ctx.withDeps((deps) => similarOutput(deps, opts), { heavy: true }));
    });
};
