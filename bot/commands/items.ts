import { createMediaUrls } from '../../src/media/urls.ts';
import { latestDecisions } from '../../src/store/reviews.ts';
import type { RunRef } from '../../src/store/run-lookup.ts';
import type { ListItem } from '../blocks/list.ts';
import { type CommandContext, SHOWN } from './context.ts';

/** The first SHOWN items, each reviewable one marked with its latest approve/rework decision. */
export async function withDecisions(ctx: CommandContext, items: ListItem[]): Promise<ListItem[]> {
  const shown = items.slice(0, SHOWN);
  const latest = await latestDecisions(
    ctx.deps.db,
    shown.filter((i) => i.reviewable).map((i) => i.rowId),
  );
  return shown.map((i) => {
    const d = latest.get(i.rowId);
    return d && d.decision !== 'dismiss' ? { ...i, decided: { decision: d.decision, actor: d.actor } } : i;
  });
}

/** A thumbnail Slack can fetch: the media module's signed URL (or a public remote one), else none. */
export function slackImage(
  ctx: CommandContext,
  row: { rowId: number; imageUrl: string | null },
): string | null {
  const { config, clock } = ctx.deps;
  return createMediaUrls({ secret: config.LOUPE_SECRET, publicUrl: config.LOUPE_PUBLIC_URL, clock }).slack(
    row,
  );
}

/** A class index (or an already-resolved name) as the run's class name. */
export function className(run: RunRef, v: number | string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  return run.classNames[v] ?? String(v);
}
