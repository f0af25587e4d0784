import type { RunRef } from '../../src/store/run-lookup.ts';
import { type ListItem, listMessage } from '../blocks/list.ts';
import { num, safeText } from '../blocks/mrkdwn.ts';
import { notice } from '../blocks/notices.ts';
import { type CommandContext, SHOWN } from './context.ts';

/** `similar`: a row's nearest neighbours in embedding space, unlabeled first. */
export async function similarAnswer(ctx: CommandContext, run: RunRef, externalId: string, n: number) {
  const ids = await ctx.sources.resolveRowIds(ctx.deps.db, { runId: run.id, ids: [externalId] });
  const rowId = ids.get(externalId);
  if (rowId === undefined)
    return notice(`No row \`${safeText(externalId, 100)}\` in *${safeText(run.name, 100)}*.`);
  const { items } = await ctx.sources.findSimilar(ctx.deps, { runId: run.id, rowIds: [rowId], limit: n });
  // Unlabeled first: those are the ones worth labeling next; rank order kept within each group.
  const ordered = [...items.filter((i) => !i.labeled), ...items.filter((i) => i.labeled)];
  const list: ListItem[] = ordered.slice(0, SHOWN).map((s) => ({
    rowId: s.rowId,
    runId: run.id,
    id: s.id,
    facts: [`distance ${num(s.distance, 3)}`, s.labeled ? 'labeled' : 'unlabeled'],
    openUrl: ctx.links.url(`/rows/${s.rowId}`, ctx.user),
    reviewable: false,
  }));
  return listMessage({
    title: `Rows like ${externalId}`.slice(0, 150),
    asked: `similar to *${safeText(externalId, 100)}* in *${safeText(run.name, 100)}*, unlabeled first`,
    total: ordered.length,
    items: list,
    boardUrl: ctx.links.url(`/rows/${rowId}`, ctx.user),
    empty: 'No embeddings for this run, so no neighbours.',
  });
}
