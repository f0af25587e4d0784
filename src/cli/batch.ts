import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { LOCAL_USER, mayWrite } from '../authorize.ts';
import type { Deps } from '../deps.ts';
import { BATCH_EXPORT_FORMATS, type BatchExportFormat } from '../export/handoff-document.ts';
import { STRATEGIES, type Strategy } from '../findings/uncertainty.ts';
import { counted } from '../text/plural.ts';
import type { RegisterCommand } from './context.ts';
import { printJson, printTable } from './output.ts';

interface CreateOptions {
  from?: 'uncertain' | 'similar' | 'rework';
  run?: string;
  rows?: string;
  limit: string;
  strategy: Strategy;
  diverse?: boolean;
  includeOpen?: boolean;
  json?: boolean;
}

/** Pick the rows a new batch starts with, from the chosen source. */
async function pickRows(
  deps: Deps,
  opts: CreateOptions,
): Promise<{ runId: number | null; rowIds: number[] }> {
  const [{ listUncertain }, { listRework }, { findSimilar }, { requireRun, resolveIds }] = await Promise.all([
    import('../store/uncertain.ts'),
    import('../store/reviews.ts'),
    import('../vectors/similar.ts'),
    import('./run-arg.ts'),
  ]);
  const limit = Number.parseInt(opts.limit, 10);
  if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive integer');
  if (opts.from === 'rework') {
    const queue = await listRework(deps.db, { limit });
    return {
      runId: opts.run ? (await requireRun(deps.db, opts.run)).id : null,
      rowIds: queue.items.map((i) => i.rowId),
    };
  }
  if (!opts.run) throw new Error('--run is required (or use --from rework)');
  const run = await requireRun(deps.db, opts.run);
  if (opts.from === 'uncertain') {
    const { items } = await listUncertain(deps, {
      runId: run.id,
      strategy: opts.strategy,
      limit,
      diverse: Boolean(opts.diverse),
    });
    return { runId: run.id, rowIds: items.map((i) => i.rowId) };
  }
  if (!opts.rows) throw new Error('--rows a,b,c is required');
  const selected = await resolveIds(deps.db, run.id, opts.rows);
  if (opts.from === 'similar') {
    const { items } = await findSimilar(deps, {
      runId: run.id,
      rowIds: selected,
      limit,
      unlabeledOnly: true,
    });
    return { runId: run.id, rowIds: items.map((i) => i.rowId) };
  }
  return { runId: run.id, rowIds: selected };
}

/** The row sources `batch create` and `batch add` share. */
function withRowSources(cmd: Command, runHelp: string): Command {
  return cmd
    .addOption(
      new Option('--from <source>', 'where the rows come from').choices(['uncertain', 'similar', 'rework']),
    )
    .option('--run <run>', runHelp)
    .option('--rows <ids>', 'comma-separated row ids (explicit rows, or the selection for --from similar)')
    .option('--limit <n>', 'how many rows at most', '50')
    .addOption(new Option('--strategy <s>', 'uncertainty measure').choices(STRATEGIES).default('least'))
    .option('--diverse', 'keep picks apart in embedding space')
    .option('--include-open', 'also take rows already in another open batch')
    .option('--json', 'print one JSON document');
}

/** Picking rows may search the embeddings (similar, diverse): real work, not a quick read. */
const PICKING = { heavy: true };

/** The batch stores, loaded when a batch command runs rather than at every start. */
const batches = () => import('../store/batches.ts');
const work = () => import('../store/batch-work.ts');

export const registerBatch: RegisterCommand = (program, ctx) => {
  const batch = program
    .command('batch')
    .description('Named labeling batches: create, add, remove, assign, list, show, export, close');

  withRowSources(
    batch
      .command('create <name>')
      .description(
        'Create a batch from the uncertain pool, rows similar to a selection, the rework queue, or ids',
      ),
    'model run (default for --from uncertain|similar and --rows)',
  ).action(async (name: string, opts: CreateOptions) => {
    const { createBatch } = await batches();
    const result = await ctx.withDeps(async (deps) => {
      const { runId, rowIds } = await pickRows(deps, opts);
      return createBatch(deps.db, {
        name,
        runId,
        rowIds,
        includeOpen: Boolean(opts.includeOpen),
        createdBy: process.env.USER ?? 'cli',
        source: {
          from: opts.from ?? 'rows',
          run: opts.run ?? null,
          limit: Number(opts.limit),
          ...(opts.from === 'uncertain' ? { strategy: opts.strategy, diverse: Boolean(opts.diverse) } : {}),
        },
      });
    }, PICKING);
    if (opts.json)
      return printJson(ctx.io, { batch: result.batch.name, added: result.added, skipped: result.skipped });
    ctx.io.out(
      `Created batch "${result.batch.name}" with ${counted(result.added, 'row')}` +
        (result.skipped ? ` (${result.skipped} skipped: already in an open batch)` : '') +
        '\n',
    );
  });

  withRowSources(
    batch
      .command('add <name>')
      .description('Add rows to an open batch, from the same sources as create (rows already in it stay)'),
    "model run (default: the batch's run)",
  ).action(async (name: string, opts: CreateOptions) => {
    const [{ getBatch, addToBatch }, { lookupRunById }] = await Promise.all([
      batches(),
      import('../store/run-lookup.ts'),
    ]);
    const result = await ctx.withDeps(async (deps) => {
      const current = await getBatch(deps.db, name);
      const run =
        opts.run ?? (current.runId ? (await lookupRunById(deps.db, current.runId))?.name : undefined);
      const { rowIds } = await pickRows(deps, { ...opts, run });
      return addToBatch(deps.db, { name, rowIds, includeOpen: Boolean(opts.includeOpen) });
    }, PICKING);
    if (opts.json)
      return printJson(ctx.io, { batch: result.batch.name, added: result.added, skipped: result.skipped });
    ctx.io.out(
      `Added ${counted(result.added, 'row')} to batch "${result.batch.name}"` +
        (result.skipped ? ` (${result.skipped} skipped: already in an open batch)` : '') +
        '\n',
    );
  });

  batch
    .command('remove <name>')
    .description('Take rows out of an open batch')
    .requiredOption('--rows <ids>', 'comma-separated row ids')
    .action(async (name: string, opts: { rows: string }) => {
      const ids = opts.rows
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const { removeFromBatch } = await batches();
      const { batch: b, removed } = await ctx.withDeps((deps) => removeFromBatch(deps.db, { name, ids }));
      ctx.io.out(`Removed ${counted(removed, 'row')} from batch "${b.name}"\n`);
    });

  batch
    .command('assign <name>')
    .description(
      'Give an open batch to an owner (a Slack user id) with an optional due day, as `/loupe batch NAME assign @user due DAY` does',
    )
    .requiredOption('--owner <user>', 'the Slack user id who owns the batch, e.g. U024BE7LH')
    .option('--due <day>', 'due day, YYYY-MM-DD; the owner is reminded that day if unfinished')
    .option(
      '--by <user>',
      "who assigns: a reviewer's Slack user id (LOUPE_REVIEWERS); the local user in local mode",
      LOCAL_USER,
    )
    .option('--json', 'print one JSON document')
    .action(async (name: string, opts: { owner: string; due?: string; by: string; json?: boolean }) => {
      const { assignBatch, batchProgress } = await work();
      const owner = opts.owner.replace(/^@/, '');
      const b = await ctx.withDeps(async (deps) => {
        const check = mayWrite(deps.config, { user: opts.by });
        if (!check.ok)
          throw new Error(
            opts.by === LOCAL_USER
              ? `${check.reason} Pass --by with your Slack user id (a reviewer in LOUPE_REVIEWERS).`
              : check.reason,
          );
        await assignBatch(deps.db, { name, owner, dueOn: opts.due ?? null, by: opts.by });
        const [progress] = await batchProgress(deps.db, { names: [name.trim()] });
        return progress;
      });
      if (opts.json)
        return printJson(ctx.io, {
          batch: b.name,
          owner: b.owner,
          dueOn: b.dueOn,
          size: b.size,
          progressed: b.progressed,
          state: b.state,
        });
      ctx.io.out(
        `Batch "${b.name}" is now ${b.owner}'s${b.dueOn ? `, due ${b.dueOn}` : ''}: ${b.progressed}/${b.size} done` +
          ` (no DM from the CLI${b.dueOn ? `; the bot reminds them on ${b.dueOn} if unfinished` : ''})\n`,
      );
    });

  batch
    .command('list')
    .description('List batches, newest first')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const [{ listBatches }, { batchProgress }] = await Promise.all([batches(), work()]);
      const { list, progress } = await ctx.withDeps(async (deps) => ({
        list: await listBatches(deps.db),
        progress: new Map((await batchProgress(deps.db)).map((p) => [p.id, p])),
      }));
      if (opts.json)
        return printJson(ctx.io, {
          batches: list.map((b) => ({
            ...b,
            progressed: progress.get(b.id)?.progressed ?? 0,
            state: progress.get(b.id)?.state ?? 'open',
          })),
        });
      printTable(
        ctx.io,
        list.map((b) => ({
          name: b.name,
          status: b.status,
          rows: b.size,
          done: progress.get(b.id)?.progressed ?? 0,
          state: progress.get(b.id)?.state ?? 'open',
          owner: b.owner ?? '–',
          due: b.dueOn ?? '–',
          created: b.createdAt.toISOString(),
        })),
        ['name', 'status', 'rows', 'done', 'state', 'owner', 'due', 'created'],
      );
    });

  batch
    .command('show <name>')
    .description('Show a batch and its rows')
    .option('--json', 'print one JSON document')
    .action(async (name: string, opts: { json?: boolean }) => {
      const [{ getBatch }, { batchProgress, batchRowStates }] = await Promise.all([batches(), work()]);
      const { b, progress, states } = await ctx.withDeps(async (deps) => {
        const found = await getBatch(deps.db, name);
        const [p] = await batchProgress(deps.db, { names: [found.name] });
        return { b: found, progress: p, states: await batchRowStates(deps.db, found.id) };
      });
      const items = b.items.map((it) => ({ ...it, state: states.get(it.rowId) ?? 'pending' }));
      if (opts.json)
        return printJson(ctx.io, { ...b, progressed: progress.progressed, state: progress.state, items });
      ctx.io.out(
        `${b.name} (${b.status}, ${b.items.length} rows, ${progress.progressed} done: ${progress.state})` +
          `${b.owner ? ` · owner ${b.owner}` : ''}${b.dueOn ? ` · due ${b.dueOn}` : ''}\n`,
      );
      printTable(ctx.io, items as unknown as Record<string, unknown>[], [
        'id',
        'dataset',
        'label',
        'predicted',
        'state',
        'imageUrl',
      ]);
    });

  batch
    .command('export <name>')
    .description(
      'Export a batch for a labeling tool: Label Studio tasks (predictions as pre-annotations), CVAT for images 1.1 XML, a COCO subset (detection), CSV or JSON; image URLs absolute from LOUPE_PUBLIC_URL',
    )
    .addOption(
      new Option('--format <format>', 'file format').choices([...BATCH_EXPORT_FORMATS]).default('csv'),
    )
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option(
      '--labelstudio-config <file>',
      'with --format labelstudio: also write the matching labeling config',
    )
    .action(
      async (name: string, opts: { format: BatchExportFormat; out?: string; labelstudioConfig?: string }) => {
        const [{ batchExport }, { formatBatch }, { labelStudioConfig }] = await Promise.all([
          import('../export/batch-export.ts'),
          import('../export/batch-format.ts'),
          import('../export/labelstudio.ts'),
        ]);
        const { text, config } = await ctx.withDeps(async (deps) => {
          const { input } = await batchExport(deps, name, opts.format);
          return {
            text: formatBatch(input),
            config: input.format === 'labelstudio' ? labelStudioConfig(input.doc) : null,
          };
        });
        if (opts.labelstudioConfig) {
          if (config === null) throw new Error('--labelstudio-config goes with --format labelstudio');
          writeFileSync(opts.labelstudioConfig, config);
        }
        if (opts.out) writeFileSync(opts.out, text);
        else ctx.io.out(text);
      },
    );

  batch
    .command('close <name>')
    .description('Close a batch (its rows can go into new batches again)')
    .action(async (name: string) => {
      const { closeBatch } = await batches();
      const b = await ctx.withDeps((deps) => closeBatch(deps.db, name));
      ctx.io.out(`Batch "${b.name}" is ${b.status}\n`);
    });
};
