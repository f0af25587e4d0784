import { mayWrite } from '../../src/authorize.ts';
import type { Deps } from '../../src/deps.ts';
import { assignBatch, batchProgress } from '../../src/store/batch-work.ts';
import { type SlackMessage, section } from '../blocks/kit.ts';
import { link, mention, safeText } from '../blocks/mrkdwn.ts';
import { notice } from '../blocks/notices.ts';
import { type BoardLinks, seg } from '../links.ts';
import type { DirectMessenger } from './dm.ts';

/** The owner's DM when a batch is given to them. */
export function assignedMessage(
  b: { name: string; size: number; progressed: number; dueOn: string | null },
  by: string,
  url: string,
): SlackMessage {
  const due = b.dueOn ? `, due *${b.dueOn}*` : '';
  const text = `${mention(by)} assigned you the labeling batch *${link(url, safeText(b.name, 200))}*: ${b.size} rows${due} (${b.progressed} done so far).`;
  return { text: `You were assigned the labeling batch ${b.name}`, blocks: [section(text)] };
}

/**
 * `/loupe batch NAME assign @user [due DAY]`: reviewers only (`mayWrite`). Stores the owner and due
 * day, then DMs the owner; a DM that fails is said in the answer (the assignment stands).
 */
export async function assignAnswer(
  ctx: { deps: Deps; links: BoardLinks; user: string; dm?: DirectMessenger },
  cmd: { name: string; owner: string; due: string | null },
): Promise<SlackMessage> {
  const check = mayWrite(ctx.deps.config, { user: ctx.user });
  if (!check.ok) return notice(`:no_entry: ${check.reason}`);
  try {
    await assignBatch(ctx.deps.db, { name: cmd.name, owner: cmd.owner, dueOn: cmd.due, by: ctx.user });
  } catch (err) {
    if (err instanceof Error && err.name === 'BatchError')
      return notice(`:warning: ${safeText(err.message, 300)}`);
    throw err;
  }
  const [b] = await batchProgress(ctx.deps.db, { names: [cmd.name.trim()] });
  const path = `/batches/${seg(b.name)}`;
  let dmNote = '';
  if (!ctx.dm) dmNote = ' (no DM sent: Slack is not connected here)';
  else
    try {
      await ctx.dm(cmd.owner, assignedMessage(b, ctx.user, ctx.links.url(path, cmd.owner)));
    } catch (err) {
      ctx.deps.logger.warn('batch assignment DM failed', {
        batch: b.name,
        owner: cmd.owner,
        error: (err as Error).message,
      });
      dmNote = ` (I could not DM them: ${safeText((err as Error).message, 100)})`;
    }
  const due = b.dueOn ? `, due ${b.dueOn}` : '';
  return notice(
    `Batch *${link(ctx.links.url(path, ctx.user), safeText(b.name, 200))}* is now ${mention(cmd.owner)}'s${due}: ${b.progressed}/${b.size} done${dmNote}.`,
  );
}
