import { linesMessage } from '../blocks/lines.ts';
import { link, mention, safeText } from '../blocks/mrkdwn.ts';
import type { CommandContext } from './context.ts';

/** `rework`: rows waiting for relabeling, oldest first, with the suggestion, who sent them and why. */
export async function reworkAnswer(ctx: CommandContext, n: number) {
  const { items, total } = await ctx.sources.listRework(ctx.deps.db, { limit: Math.min(n, 100) });
  const lines = items.map((r) => {
    const url = ctx.links.url(`/rows/${r.rowId}`, ctx.user);
    const since = r.since.toISOString().slice(0, 16).replace('T', ' ');
    const classes = `label ${safeText(r.label ?? '–', 80)}${r.suggested ? ` → suggested ${safeText(r.suggested, 80)}` : ''}`;
    return `*${link(url, safeText(r.id, 80))}* · ${classes} · since ${since} UTC · by ${r.actor ? mention(r.actor) : 'someone'}${r.note ? ` · ${safeText(r.note, 120)}` : ''}`;
  });
  return linesMessage({
    title: 'Rework queue',
    asked: `${total} row${total === 1 ? '' : 's'} waiting for relabeling, oldest first`,
    lines,
    total,
    boardUrl: ctx.links.url('/rework', ctx.user),
    empty: 'The rework queue is empty.',
  });
}
