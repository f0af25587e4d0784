import type { KnownBlock } from '@slack/types';
import type { Decision, ReviewDecision } from '../src/store/database.ts';
import { mayWrite } from '../src/authorize.ts';
import type { Deps } from '../src/deps.ts';
import { claimDelivery, releaseDelivery } from '../src/store/deliveries.ts';
import { latestDecisions, recordDecision } from '../src/store/reviews.ts';
import { describeRows } from '../src/store/vectors.ts';
import { handleAlertAction, isAlertAction } from './alerts/actions.ts';
import { context } from './blocks/kit.ts';
import { link, mention, safeText } from './blocks/mrkdwn.ts';
import { helpMessage } from './blocks/help.ts';
import { markAllDecided, markDecided, rowsWithButtons } from './blocks/list.ts';
import { notice } from './blocks/notices.ts';
import { ACTION, parseBatchValue, parseReviewValue } from './blocks/values.ts';
import { type BoardLinks, channelLinks, seg } from './links.ts';
import type { Outbox } from './outbox.ts';
import type { BotSources } from './sources.ts';
import { parseCommand } from './commands/parse.ts';
import { handleCorrectionAction, isCorrectionAction } from './corrections.ts';
import { runCommand } from './commands/run.ts';

/** The parts of a block_actions payload the bot reads. */
export interface BlockActionsBody {
  user: { id: string; username?: string; name?: string; team_id?: string };
  team?: { id?: string } | null;
  channel?: { id?: string } | null;
  container?: { message_ts?: string; channel_id?: string; is_ephemeral?: boolean } | null;
  message?: { ts?: string; text?: string; blocks?: KnownBlock[] } | null;
  actions: { action_id: string; block_id?: string; value?: string }[];
}

export interface ActionContext {
  deps: Deps;
  sources: BotSources;
  links: BoardLinks;
  out: Outbox;
  command: string;
  /** The workspace the bot is installed in (from auth.test); clicks from others are refused. */
  teamId?: string | null;
}

const ephemeral = (text: string) => ({
  ...notice(text),
  response_type: 'ephemeral' as const,
  replace_original: false,
});

/**
 * Handle one button click. State changes are guarded by a delivery claim per (row, message), so
 * a double click, a retry or approve/rework racing on one message records exactly one decision;
 * everyone else is told who already acted.
 */
export async function handleBlockAction(ctx: ActionContext, body: BlockActionsBody): Promise<void> {
  const action = body.actions[0];
  if (isCorrectionAction(action.action_id)) return handleCorrectionAction(ctx, body);
  if (isAlertAction(action.action_id)) return handleAlertAction(ctx, body);
  switch (action.action_id) {
    case ACTION.open:
    case ACTION.link:
      return; // URL buttons: Slack opens the link; the click still has to be acknowledged.
    case ACTION.approve:
    case ACTION.rework:
      return review(ctx, body, action.action_id === ACTION.approve ? 'approve' : 'rework', action.value);
    case ACTION.createBatch:
      return createBatchFromButton(ctx, body, action.value);
    default:
      return ctx.out.respond({
        ...helpMessage(ctx.command, "That button isn't one of mine."),
        response_type: 'ephemeral',
        replace_original: false,
      });
  }
}

/** The bot's side of the one authorization check (src/authorize.ts): by Slack user id only. */
function refusal(ctx: ActionContext, body: BlockActionsBody): string | null {
  const check = mayWrite(ctx.deps.config, {
    user: body.user.id,
    team: body.team?.id ?? body.user.team_id ?? null,
    homeTeam: ctx.teamId ?? null,
  });
  return check.ok ? null : check.reason;
}

const DONE_WORD: Record<ReviewDecision, string> = {
  approve: 'approved',
  rework: 'sent to rework',
  dismiss: 'dismissed',
  relabel: 'relabeled',
  revert: 'given its label back',
};

async function review(
  ctx: ActionContext,
  body: BlockActionsBody,
  decision: Decision,
  value: string | undefined,
) {
  const refused = refusal(ctx, body);
  if (refused) return ctx.out.respond(ephemeral(`:no_entry: ${refused}`));
  const target = parseReviewValue(value);
  if (!target)
    return ctx.out.respond(ephemeral("That button doesn't name a row; it may come from an older version."));
  const where = body.container?.message_ts ?? body.message?.ts ?? body.channel?.id ?? 'direct';
  const key = `click:${target.rowId}:${where}`;
  const user = body.user.id;
  const userName = body.user.username ?? body.user.name ?? null;
  if (!(await claimDelivery(ctx.deps.db, key))) {
    // The winner of a race may still be writing its decision: give it a moment, to name who acted.
    let latest = (await latestDecisions(ctx.deps.db, [target.rowId])).get(target.rowId);
    for (let i = 0; i < 20 && !latest; i++) {
      await new Promise((r) => setTimeout(r, 100));
      latest = (await latestDecisions(ctx.deps.db, [target.rowId])).get(target.rowId);
    }
    const by = latest
      ? `${DONE_WORD[latest.decision]} by ${mention(latest.actor)}`
      : 'being decided by someone else';
    return ctx.out.respond(ephemeral(`This row was already ${by}.`));
  }
  let outcome: Awaited<ReturnType<typeof recordDecision>>;
  try {
    outcome = await recordDecision(ctx.deps.db, {
      rowId: target.rowId,
      runId: target.runId,
      decision,
      actor: user,
      actorName: userName,
      source: 'slack',
    });
  } catch (err) {
    await releaseDelivery(ctx.deps.db, key).catch(() => {});
    if (err instanceof Error && err.name === 'RowNotFoundError')
      return ctx.out.respond(
        ephemeral('That row no longer exists (the dataset was re-imported or deleted).'),
      );
    throw err;
  }
  const { latest } = outcome;
  const blocks = body.message?.blocks;
  let patched = blocks ? markDecided(blocks, target.rowId, latest.decision, latest.actor) : null;
  if (patched) {
    // Other rows of this message may have been decided since Slack sent us its blocks.
    const others = rowsWithButtons(patched);
    if (others.length) patched = markAllDecided(patched, await latestDecisions(ctx.deps.db, others));
  }
  if (patched) {
    await ctx.out.respond({ text: body.message?.text ?? 'Loupe', blocks: patched, replace_original: true });
  }
  if (!outcome.recorded) {
    return ctx.out.respond(
      ephemeral(`This row was already ${DONE_WORD[latest.decision]} by ${mention(latest.actor)}.`),
    );
  }
  if (!patched && target.origin) {
    // Slack sends no blocks back for ephemeral answers: rebuild the answer, which shows decisions.
    const cmd = parseCommand(target.origin);
    if (cmd.kind === 'errors' || cmd.kind === 'mislabels') {
      const reply = await runCommand(
        {
          deps: ctx.deps,
          sources: ctx.sources,
          links: ctx.links,
          command: ctx.command,
          user,
          origin: target.origin,
        },
        cmd,
      );
      return ctx.out.respond({ ...reply, replace_original: true });
    }
  }
  if (!patched) {
    const url = ctx.links.url(`/rows/${target.rowId}`, user);
    // The row by the id its team knows, never our internal one.
    const name = (await describeRows(ctx.deps.db, [target.rowId])).get(target.rowId)?.id ?? 'the row';
    return ctx.out.respond(
      ephemeral(
        `${decision === 'approve' ? '✅ Approved' : '↩️ Sent to rework'}: ${link(url, `row ${safeText(name, 80)}`)}.`,
      ),
    );
  }
}

async function createBatchFromButton(ctx: ActionContext, body: BlockActionsBody, value: string | undefined) {
  const refused = refusal(ctx, body);
  if (refused) return ctx.out.respond(ephemeral(`:no_entry: ${refused}`));
  const req = parseBatchValue(value);
  if (!req) return ctx.out.respond(ephemeral("That button doesn't describe a batch."));
  const where = body.container?.message_ts ?? body.message?.ts ?? body.channel?.id ?? 'direct';
  const key = `click:batch:${where}`;
  if (!(await claimDelivery(ctx.deps.db, key)))
    return ctx.out.respond(ephemeral('A batch was already created from this message.'));
  try {
    const run = await ctx.sources.lookupRunById(ctx.deps.db, req.run);
    if (!run) return ctx.out.respond(ephemeral('That run no longer exists.'));
    const { items } = await ctx.sources.listUncertain(ctx.deps, {
      runId: run.id,
      strategy: req.strategy,
      limit: req.n,
      diverse: req.diverse,
      outsideOpenBatches: true,
    });
    const stamp = ctx.deps.clock.now().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    const name = `${run.name}-${req.strategy}-${stamp}`;
    const { batch, added, skipped } = await ctx.sources.createBatch(ctx.deps.db, {
      name,
      runId: run.id,
      rowIds: items.map((i) => i.rowId),
      source: { from: 'uncertain', strategy: req.strategy, n: req.n, diverse: req.diverse, via: 'slack' },
      createdBy: body.user.id,
    });
    // The line may replace part of a channel message: then its link signs nobody in.
    const links = body.container?.is_ephemeral ? ctx.links : channelLinks(ctx.links);
    const url = links.url(`/batches/${seg(batch.name)}`, body.user.id);
    const line = `📦 Batch ${link(url, safeText(batch.name, 200))} created by ${mention(body.user.id)} with ${added} rows${skipped ? ` (${skipped} already in open batches)` : ''}.`;
    const blocks = body.message?.blocks;
    const at = blocks ? blocks.findIndex((b) => b.block_id === 'batch') : -1;
    if (blocks && at >= 0) {
      const patched = blocks.slice();
      patched[at] = context([line], 'batch');
      await ctx.out.respond({ text: body.message?.text ?? 'Loupe', blocks: patched, replace_original: true });
    } else {
      await ctx.out.respond(ephemeral(line));
    }
  } catch (err) {
    await releaseDelivery(ctx.deps.db, key).catch(() => {});
    if (err instanceof Error && err.name === 'BatchError')
      return ctx.out.respond(ephemeral(`:warning: ${safeText(err.message, 300)}`));
    throw err;
  }
}
