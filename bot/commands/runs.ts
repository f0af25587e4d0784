import type { SlackMessage } from '../blocks/kit.ts';
import { linesMessage } from '../blocks/lines.ts';
import { delta, link, num, safeText } from '../blocks/mrkdwn.ts';
import { seg } from '../links.ts';
import type { CommandContext } from './context.ts';

/** `runs`: recent model runs, newest first, with their headline metric and its change. */
export async function runsAnswer(ctx: CommandContext): Promise<SlackMessage> {
  const runs = await ctx.sources.listRuns(ctx.deps.db);
  const lines = runs.map((r) => {
    const metric = r.headline ? `${r.headline.metric} ${num(r.headline.value, 4)}` : 'not analysed yet';
    const change = r.change === null ? '' : ` (${delta(r.change, 4)} vs ${safeText(r.previous ?? '', 60)})`;
    const url = ctx.links.url(`/runs/${seg(r.name)}`, ctx.user);
    return `*${link(url, safeText(r.name, 100))}* · ${r.kind} · ${metric}${change} · ${r.rows} rows (${r.unlabeled} unlabeled)`;
  });
  return linesMessage({
    title: 'Model runs',
    asked: 'Recent model runs, newest first',
    lines,
    boardUrl: ctx.links.url('/', ctx.user),
    empty: 'No runs yet. Import one with `loupe ingest`.',
  });
}
