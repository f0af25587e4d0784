import { learnedLine, precisionLine, reviewLoop } from '../../src/review/queue.ts';
import type { RunRef } from '../../src/store/run-lookup.ts';
import { type ListItem, listMessage } from '../blocks/list.ts';
import { num, safeText } from '../blocks/mrkdwn.ts';
import { seg } from '../links.ts';
import { type CommandContext, SHOWN } from './context.ts';
import { className, slackImage, withDecisions } from './items.ts';

/** "\nlabel flags: 41 of 50 confirmed", and the learned ranking's precision once there is one. */
async function reviewLoopNote(ctx: CommandContext, run: RunRef): Promise<string> {
  const loop = await reviewLoop(ctx.deps, run);
  const line = precisionLine(loop.precision);
  return [line, loop.learned ? learnedLine(loop.learned) : null]
    .filter(Boolean)
    .map((l) => `\n${safeText(l as string, 300)}`)
    .join('');
}

/** `mislabels`: suspected label mistakes, given → suggested, most likely wrong first. */
export async function mislabelsAnswer(ctx: CommandContext, run: RunRef, n: number) {
  const { items, total } = await ctx.sources.listMislabels(ctx.deps, {
    runId: run.id,
    limit: Math.min(n, SHOWN),
  });
  const list: ListItem[] = items.map((m) => ({
    rowId: m.rowId,
    runId: run.id,
    id: m.id,
    from: className(run, m.given),
    to: className(run, m.suggested),
    facts: [
      `score ${num(m.score, 3)}`,
      ...(m.methods.length ? [m.methods.join(', ')] : []),
      ...(m.kind !== 'label' ? [m.kind] : []),
    ],
    imageUrl: slackImage(ctx, m),
    openUrl: ctx.links.url(`/rows/${m.rowId}`, ctx.user),
    reviewable: true,
  }));
  return listMessage({
    title: 'Suspected label mistakes',
    asked: `mislabels in *${safeText(run.name, 100)}*, given → suggested, most likely wrong first${await reviewLoopNote(ctx, run)}`,
    total: Math.min(total, n),
    items: await withDecisions(ctx, list),
    origin: ctx.origin,
    boardUrl: ctx.links.url(`/runs/${seg(run.name)}/mislabels`, ctx.user),
    empty: 'No suspected label mistakes.',
  });
}
