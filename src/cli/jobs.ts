import type { RegisterCommand } from './context.ts';
import { printJson, printTable } from './output.ts';

export const registerJobs: RegisterCommand = (program, ctx) => {
  program
    .command('jobs')
    .description('List the background jobs (index, analysis, projection) with their state and progress')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const { listJobs } = await import('../store/jobs.ts');
      const jobs = await ctx.withDeps((deps) => listJobs(deps.database));
      if (opts.json) return printJson(ctx.io, { jobs });
      printTable(
        ctx.io,
        jobs.map((j) => ({ ...j, progress: `${Math.round(j.progress * 100)}%`, error: j.error ?? '' })),
        ['id', 'kind', 'run', 'state', 'progress', 'attempts', 'error'],
      );
    });
};
