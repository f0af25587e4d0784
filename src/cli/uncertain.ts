import { Option } from 'commander';
import type { Deps } from '../deps.ts';
import { STRATEGIES, type Strategy } from '../findings/uncertainty.ts';
import type { RegisterCommand } from './context.ts';
import { formatTable } from './output.ts';
import { parseLimit } from './limit-arg.ts';
import { pendingLines, pendingSteps } from './pending.ts';

export interface UncertainCommandOptions {
  run: string;
  limit?: number;
  strategy?: Strategy;
  diverse?: boolean;
  json?: boolean;
}

/**
 * What `loupe uncertain` prints: unlabeled rows to label next, most uncertain first, as a table or as
 * `{ items: [{ id, score, predicted }] }` (with `pending`, the steps still running, while there are any).
 *
 * @example
 * process.stdout.write(await uncertainOutput(deps, { run: 'digits-logreg', strategy: 'entropy', json: true }));
 */
export async function uncertainOutput(
  deps: Deps,
  { run, limit = 50, strategy = 'least', diverse = false, json = false }: UncertainCommandOptions,
): Promise<string> {
  const [{ requireRun }, { listUncertain }] = await Promise.all([
    import('../store/run-lookup.ts'),
    import('../store/uncertain.ts'),
  ]);
  const found = await requireRun(deps.db, run);
  const { items } = await listUncertain(deps, { runId: found.id, strategy, limit, diverse });
  const pending = await pendingSteps(deps, found.id);
  if (json) {
    const out = items.map(({ id, score, predicted }) => ({ id, score, predicted }));
    const doc = { run: found.name, items: out };
    return `${JSON.stringify(pending.length ? { ...doc, pending } : doc, null, 2)}\n`;
  }
  const table = formatTable(
    items.map((i) => ({ id: i.id, score: i.score, predicted: i.predicted ?? '' })),
    ['id', 'score', 'predicted'],
  );
  const how = `${strategy === 'least' ? 'least confidence' : strategy === 'margin' ? '1 − margin' : 'entropy'}${diverse ? ', diverse' : ''}`;
  return `${[table, `${items.length} unlabeled rows by ${how}`, ...pendingLines(pending)].join('\n')}\n`;
}

export const registerUncertain: RegisterCommand = (program, ctx) => {
  program
    .command('uncertain')
    .description('Unlabeled rows the model is least sure about: what to label next')
    .requiredOption('--run <name>', 'model run name')
    .option('--limit <n>', 'rows to show (1–1000)', parseLimit, 50)
    .addOption(new Option('--strategy <s>', 'uncertainty measure').choices(STRATEGIES).default('least'))
    .option('--diverse', 'spread the picks over the embedding space (greedy k-center over the top 5×limit)')
    .option('--json', 'print one JSON document')
    .action(async (opts: UncertainCommandOptions) => {
      ctx.io.out(await ctx.withDeps((deps) => uncertainOutput(deps, opts)));
    });
};
