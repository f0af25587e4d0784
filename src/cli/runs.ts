import type { RegisterCommand } from './context.ts';
import { printJson, printTable } from './output.ts';

export const registerRuns: RegisterCommand = (program, ctx) => {
  program
    .command('runs')
    .description('List model runs, newest first, with row counts and the headline metric')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const { listRuns } = await import('../store/runs.ts');
      const runs = await ctx.withDeps((deps) => listRuns(deps.db));
      if (opts.json) return printJson(ctx.io, { runs });
      printTable(
        ctx.io,
        runs.map((r) => ({
          run: r.name,
          kind: r.kind,
          dataset: r.dataset,
          rows: r.rows,
          unlabeled: r.unlabeled,
          metric: r.headline ? `${r.headline.metric} ${r.headline.value.toFixed(4)}` : '',
          change: r.change === null ? '' : `${r.change >= 0 ? '+' : ''}${r.change.toFixed(4)}`,
        })),
        ['run', 'kind', 'dataset', 'rows', 'unlabeled', 'metric', 'change'],
      );
    });
};
