import { JOB_NAMES, SLACK_JOB_KINDS, SLACK_JOB_WAIT } from '../jobs/names.ts';
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
      // A queued Slack job may wait for good when no process has SLACK_BOT_TOKEN: say so.
      const waitsForSlack = (j: { kind: string; state: string }) =>
        j.state === 'queued' && SLACK_JOB_KINDS.includes(j.kind);
      if (opts.json)
        return printJson(ctx.io, {
          jobs: jobs.map((j) => (waitsForSlack(j) ? { ...j, note: SLACK_JOB_WAIT } : j)),
        });
      printTable(
        ctx.io,
        jobs.map((j) => ({ ...j, progress: `${Math.round(j.progress * 100)}%`, error: j.error ?? '' })),
        ['id', 'kind', 'run', 'state', 'progress', 'attempts', 'error'],
      );
      const waiting = [...new Set(jobs.filter(waitsForSlack).map((j) => JOB_NAMES[j.kind] ?? j.kind))];
      if (waiting.length) ctx.io.out(`\nQueued ${waiting.join(', ')} jobs ${SLACK_JOB_WAIT}.\n`);
    });
};
