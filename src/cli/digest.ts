import type { RegisterCommand } from './context.ts';
import { printJson } from './output.ts';

/** YYYY-MM-DD of now in a time zone. */
function today(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

export const registerDigest: RegisterCommand = (program, ctx) => {
  program
    .command('digest')
    .description("Print today's Slack digest (the server posts it on LOUPE_DIGEST_CRON)")
    .option('--dry-run', 'print the digest instead of posting it (the only mode outside the server)')
    .option('--json', 'print one JSON document')
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      if (!opts.dryRun && !opts.json) {
        throw new Error(
          'posting happens in the server (`loupe serve` with SLACK_BOT_TOKEN and LOUPE_DIGEST_CHANNELS) or with `/loupe digest` in Slack; use `loupe digest --dry-run` to print it here',
        );
      }
      const [{ listUncertain }, { buildDigest }, { digestText }] = await Promise.all([
        import('../store/findings.ts'),
        import('../digest/build.ts'),
        import('../digest/text.ts'),
      ]);
      const content = await ctx.withDeps(
        (deps) => {
          const now = deps.clock.now();
          return buildDigest(deps, {
            day: today(deps.config.LOUPE_TZ, now),
            since: new Date(now.getTime() - 24 * 3600 * 1000),
            listUncertain,
          });
        },
        { heavy: true },
      );
      if (opts.json) return printJson(ctx.io, content);
      ctx.io.out(digestText(content));
    });
};
