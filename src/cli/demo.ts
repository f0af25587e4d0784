import type { RegisterCommand } from './context.ts';
import { printJson } from './output.ts';

export const registerDemo: RegisterCommand = (program, ctx) => {
  program
    .command('demo')
    .description(
      'Load the demo (handwritten digits, a shapes detector in two versions) into an empty database',
    )
    .option('--force', 'load even when the database already has runs (re-importing is idempotent)')
    .option('--json', 'print one JSON document')
    .action(async (opts: { force?: boolean; json?: boolean }) => {
      const { loadDemo } = await import('../demo/load.ts');
      const summary = await ctx.withDeps((deps) => loadDemo(deps, { force: opts.force === true }), {
        heavy: true,
      });
      if (opts.json) return printJson(ctx.io, summary);
      ctx.io.out(
        summary.loaded
          ? `Loaded demo runs: ${summary.runs.join(', ')}\n`
          : 'The database already has runs; demo not loaded (use --force to load it anyway).\n',
      );
    });
};
