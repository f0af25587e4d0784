import { costliestType } from '../../src/charts/dap.ts';
import { ERROR_TYPES, type ErrorType, iouThresholdIndex } from '../../src/metrics/detection-errors.ts';
import type { RunRef } from '../../src/store/run-lookup.ts';
import { type ListItem, listMessage } from '../blocks/list.ts';
import { num, safeText } from '../blocks/mrkdwn.ts';
import { notice } from '../blocks/notices.ts';
import { seg } from '../links.ts';
import { type CommandContext, SHOWN } from './context.ts';
import { className, slackImage, withDecisions } from './items.ts';

/** `errors`: a classification run's disagreements below an IoU, least confident first; detection below. */
export async function errorsAnswer(ctx: CommandContext, run: RunRef, iouBelow: number, n: number) {
  if (run.kind === 'detection') return detectionErrorsAnswer(ctx, run, iouBelow, n);
  const { items, total } = await ctx.sources.listErrors(ctx.deps, {
    runId: run.id,
    iouBelow,
    limit: Math.min(n, SHOWN),
  });
  const list: ListItem[] = items.map((e) => ({
    rowId: e.rowId,
    runId: run.id,
    id: e.id,
    from: className(run, e.label),
    to: className(run, e.predicted),
    facts: [`confidence ${num(e.confidence, 2)}`, `IoU ${num(e.iou, 2)}`],
    imageUrl: slackImage(ctx, e),
    openUrl: ctx.links.url(`/rows/${e.rowId}`, ctx.user),
    reviewable: true,
  }));
  return listMessage({
    title: 'Model errors',
    asked: `errors in *${safeText(run.name, 100)}* with IoU < ${iouBelow}, least confident first`,
    total: Math.min(total, n),
    items: await withDecisions(ctx, list),
    origin: ctx.origin,
    boardUrl: ctx.links.url(
      `/runs/${seg(run.name)}/gallery?iou_lt=${iouBelow}&sort=confidence:asc`,
      ctx.user,
    ),
    empty: 'No disagreements below that IoU. 🎉',
  });
}

/**
 * `errors` on a detection run: TIDE's dAP breakdown (AP50 lost to each error type), then the most
 * confident objects of the costliest type at the IoU asked for, one per image.
 */
async function detectionErrorsAnswer(ctx: CommandContext, run: RunRef, iou: number, n: number) {
  const t = iouThresholdIndex(iou);
  if (t < 0)
    return notice(
      `A detection run's errors are taken at one of COCOeval's IoU thresholds: 0.5, 0.55, …, 0.95 (you asked for ${num(iou, 2)}).`,
    );
  const errors = run.metrics?.errors as Record<ErrorType, number> | undefined;
  if (!errors) return notice('This run has no error breakdown yet: analyse it again.');
  const type = costliestType(errors);
  const breakdown = [...ERROR_TYPES]
    .sort((a, b) => errors[b] - errors[a])
    .map((e) => `${e} ${num(errors[e], 3)}`)
    .join(' · ');
  const asked = `errors in *${safeText(run.name, 100)}*: AP50 lost to ${breakdown}`;
  const base = `/runs/${seg(run.name)}/objects?iou=${iou}`;
  if (!type)
    return listMessage({
      title: 'Detection errors',
      asked,
      total: 0,
      items: [],
      origin: ctx.origin,
      boardUrl: ctx.links.url(base, ctx.user),
      empty: 'No AP is lost to any error type. 🎉',
    });
  const { items } = await ctx.sources.listObjects(ctx.deps, {
    runId: run.id,
    t,
    type,
    sort: type === 'missed' ? 'iou:asc' : 'confidence:desc',
    limit: 200,
  });
  // One item per image: Slack refuses two blocks with one id, and review acts on the image.
  const seen = new Set<number>();
  const list: ListItem[] = [];
  for (const o of items) {
    if (seen.has(o.rowId) || list.length >= Math.min(n, SHOWN)) continue;
    seen.add(o.rowId);
    list.push({
      rowId: o.rowId,
      runId: run.id,
      id: o.image,
      from: className(run, o.gtLabel),
      to: className(run, o.predLabel),
      facts: [
        `${o.kind} ${o.type}`,
        ...(o.score === null ? [] : [`confidence ${num(o.score, 2)}`]),
        `IoU ${num(o.iou, 2)}`,
      ],
      imageUrl: o.imageUrl,
      openUrl: ctx.links.url(`/rows/${o.rowId}?run=${seg(run.name)}&object=${o.id}`, ctx.user),
      reviewable: true,
    });
  }
  return listMessage({
    title: `Detection errors: ${type} costs the most`,
    asked: `${asked}; top ${type} objects at IoU ${iou}`,
    total: list.length,
    items: await withDecisions(ctx, list),
    origin: ctx.origin,
    boardUrl: ctx.links.url(`${base}&type=${type}`, ctx.user),
  });
}
