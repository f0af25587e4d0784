import { Option } from 'commander';
import type { Decision } from '../store/database.ts';
import { absoluteUrl, toCsv } from '../text/csv.ts';
import { counted } from '../text/plural.ts';
import type { RegisterCommand } from './context.ts';
import { printJson, printTable } from './output.ts';

export const registerRework: RegisterCommand = (program, ctx) => {
  const rework = program.command('rework').description('The rework queue: rows sent back for re-labeling');

  rework
    .command('list')
    .description('Rows in the rework queue, oldest first')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print one JSON document')
    .action(async (opts: { limit: string; json?: boolean }) => {
      const { listRework } = await import('../store/reviews.ts');
      const queue = await ctx.withDeps((deps) => listRework(deps.db, { limit: Number(opts.limit) }));
      if (opts.json) return printJson(ctx.io, { total: queue.total, items: queue.items });
      ctx.io.out(`${queue.total} rows in the rework queue\n`);
      printTable(
        ctx.io,
        queue.items.map((i) => ({
          id: i.id,
          label: i.label ?? '–',
          suggested: i.suggested ?? '–',
          since: i.since.toISOString(),
          by: i.actorName ?? i.actor,
          note: i.note,
        })),
        ['id', 'label', 'suggested', 'since', 'by', 'note'],
      );
    });

  rework
    .command('export')
    .description('Export the whole rework queue for a labeling tool')
    .addOption(new Option('--format <format>', 'file format').choices(['csv', 'json']).default('csv'))
    .action(async (opts: { format: 'csv' | 'json' }) => {
      const { listRework } = await import('../store/reviews.ts');
      const { items, publicUrl } = await ctx.withDeps(async (deps) => {
        const all = [];
        let cursor: string | null = null;
        do {
          const page = await listRework(deps.db, { limit: 1000, cursor });
          all.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        return { items: all, publicUrl: deps.config.LOUPE_PUBLIC_URL };
      });
      if (opts.format === 'json') return printJson(ctx.io, { items });
      const records = items.map((i) => ({
        id: i.id,
        image_url: absoluteUrl(i.imageUrl, publicUrl),
        label: i.label,
        suggested: i.suggested,
        since: i.since,
        by: i.actorName ?? i.actor,
        note: i.note,
      }));
      ctx.io.out(toCsv(['id', 'image_url', 'label', 'suggested', 'since', 'by', 'note'] as const, records));
    });

  program
    .command('review <decision>')
    .description('Decide on rows: approve (label stands), rework (send to re-label), dismiss')
    .requiredOption('--run <run>', 'model run whose dataset holds the rows')
    .requiredOption('--rows <ids>', 'comma-separated row ids')
    .option('--note <text>', 'a note kept with the decision')
    .option('--actor <name>', 'who decides', process.env.USER ?? 'cli')
    .action(async (decision: string, opts: { run: string; rows: string; note?: string; actor: string }) => {
      if (!['approve', 'rework', 'dismiss'].includes(decision)) {
        throw new Error(`decision must be approve, rework or dismiss, not "${decision}"`);
      }
      const [{ recordDecision }, { requireRun, resolveIds }] = await Promise.all([
        import('../store/reviews.ts'),
        import('./run-arg.ts'),
      ]);
      const outcome = await ctx.withDeps(async (deps) => {
        const run = await requireRun(deps.db, opts.run);
        const rowIds = await resolveIds(deps.db, run.id, opts.rows);
        let recorded = 0;
        for (const rowId of rowIds) {
          const r = await recordDecision(deps.db, {
            rowId,
            runId: run.id,
            decision: decision as Decision,
            actor: opts.actor,
            source: 'cli',
            note: opts.note,
          });
          if (r.recorded) recorded++;
        }
        return { recorded, unchanged: rowIds.length - recorded };
      });
      ctx.io.out(
        `Recorded ${counted(outcome.recorded, 'decision')}` +
          (outcome.unchanged ? ` (${counted(outcome.unchanged, 'row')} already had that decision)` : '') +
          '\n',
      );
    });
};
