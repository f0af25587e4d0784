import { mayWrite } from '../../src/authorize.ts';
import type { RunRef } from '../../src/store/run-lookup.ts';
import type { SlackMessage } from '../blocks/kit.ts';
import { link, mention, safeText } from '../blocks/mrkdwn.ts';
import { notice } from '../blocks/notices.ts';
import { seg } from '../links.ts';
import type { CommandContext } from './context.ts';

/** `batch <name> from uncertain|similar|rework`: collect the rows, then create the batch. */
export async function batchAnswer(
  ctx: CommandContext,
  run: RunRef,
  cmd: { name: string; from: 'uncertain' | 'similar' | 'rework'; ids: string[]; n: number },
) {
  let rowIds: number[];
  if (cmd.from === 'uncertain') {
    const { items } = await ctx.sources.listUncertain(ctx.deps, {
      runId: run.id,
      strategy: 'least',
      limit: cmd.n,
      diverse: true,
    });
    rowIds = items.map((i) => i.rowId);
  } else if (cmd.from === 'rework') {
    const { items } = await ctx.sources.listRework(ctx.deps.db, { limit: cmd.n });
    rowIds = items.map((i) => i.rowId);
  } else {
    const resolved = await ctx.sources.resolveRowIds(ctx.deps.db, { runId: run.id, ids: cmd.ids });
    const missing = cmd.ids.filter((id) => !resolved.has(id));
    if (missing.length)
      return notice(
        `No row ${missing
          .slice(0, 5)
          .map((m) => `\`${safeText(m, 60)}\``)
          .join(', ')} in *${safeText(run.name, 100)}*.`,
      );
    const { items } = await ctx.sources.findSimilar(ctx.deps, {
      runId: run.id,
      rowIds: [...resolved.values()],
      limit: cmd.n,
      unlabeledOnly: true,
    });
    rowIds = items.map((i) => i.rowId);
  }
  if (rowIds.length === 0)
    return notice(
      cmd.from === 'uncertain'
        ? `Nothing to put in a batch: *${safeText(run.name, 100)}* has no unlabeled rows. Name a run that has, e.g. \`batch ${safeText(cmd.name, 60)} from uncertain ${cmd.n} <run>\`.`
        : `Nothing to put in a batch from ${cmd.from}.`,
    );
  return createBatchReply(ctx, run, cmd.name, rowIds, {
    from: cmd.from,
    n: cmd.n,
    ids: cmd.ids.length ? cmd.ids : undefined,
  });
}

/** Create a batch and say where it is; a taken name is a clear message, not an error. */
export async function createBatchReply(
  ctx: CommandContext,
  run: RunRef | { id: number; name: string },
  name: string,
  rowIds: number[],
  source: Record<string, unknown>,
): Promise<SlackMessage> {
  const check = mayWrite(ctx.deps.config, { user: ctx.user });
  if (!check.ok) return notice(`:no_entry: ${check.reason}`);
  try {
    const { batch, added, skipped } = await ctx.sources.createBatch(ctx.deps.db, {
      name,
      runId: run.id,
      rowIds,
      source,
      createdBy: ctx.user,
    });
    const url = ctx.links.url(`/batches/${seg(batch.name)}`, ctx.user);
    const skippedText = skipped ? ` (${skipped} skipped: already in an open batch)` : '';
    return notice(
      `Batch *${link(url, safeText(batch.name, 200))}* created by ${mention(ctx.user)} with ${added} rows${skippedText}.`,
    );
  } catch (err) {
    if (err instanceof Error && err.name === 'BatchError')
      return notice(`:warning: ${safeText(err.message, 300)}`);
    throw err;
  }
}
