import { mayWrite } from '../src/authorize.ts';
import {
  CorrectionError,
  type CorrectionResult,
  classNamesOfRow,
  recordCorrection,
  undoCorrection,
} from '../src/store/corrections.ts';
import { claimDelivery, releaseDelivery } from '../src/store/deliveries.ts';
import { LabelChangeError, LabelVersionError } from '../src/store/label-version-types.ts';
import type { ActionContext, BlockActionsBody } from './actions.ts';
import { notice } from './blocks/notices.ts';
import {
  RELABEL_ACTION,
  type SlackCorrection,
  correctedBlock,
  parseCorrectionValue,
  undoneBlock,
} from './blocks/relabel.ts';
import { safeText } from './blocks/mrkdwn.ts';

const ephemeral = (text: string) => ({
  ...notice(text),
  response_type: 'ephemeral' as const,
  replace_original: false,
});

/**
 * The correction a mislabel item offers, from its flag (class names → indices).
 *
 * @example
 * slackCorrection(run.classNames, { kind: 'label', suggested: '7', annId: null, predId: null });
 */
export function slackCorrection(
  classes: string[],
  flag: { kind: string; suggested: number | string | null; annId?: number | null; predId?: number | null },
): SlackCorrection | undefined {
  const at =
    typeof flag.suggested === 'number'
      ? flag.suggested
      : flag.suggested === null
        ? -1
        : classes.indexOf(flag.suggested);
  const suggested = at >= 0 && at < classes.length ? at : null;
  if (flag.kind === 'label') return { kind: 'row', suggested, classes };
  if (flag.annId != null) return { kind: 'box', annId: flag.annId, suggested, classes };
  if (flag.predId != null) return { kind: 'missed', predId: flag.predId, suggested, classes };
  return undefined;
}

/** True for the action ids this module answers. */
export function isCorrectionAction(actionId: string): boolean {
  return (Object.values(RELABEL_ACTION) as string[]).includes(actionId);
}

/** What a correction did, in words: "Relabeled dog → cat". */
function describe(r: CorrectionResult, classes: string[]): string {
  const name = (i: number | null) => (i === null ? 'none' : (classes[i] ?? String(i)));
  return r.changes
    .map((c) => {
      if (c.annKey === 'label')
        return c.oldLabel === null
          ? `Labeled ${name(c.newLabel)}`
          : `Relabeled ${name(c.oldLabel)} → ${name(c.newLabel)}`;
      if (c.oldLabel === null) return `Box ${c.annKey} added as ${name(c.newLabel)}`;
      if (c.newLabel === null) return `Box ${c.annKey} (${name(c.oldLabel)}) deleted`;
      return `Box ${c.annKey} ${name(c.oldLabel)} → ${name(c.newLabel)}`;
    })
    .join('; ');
}

/** Replace the item's action block in the message the button sits in; false when there is none. */
async function patch(
  ctx: ActionContext,
  body: BlockActionsBody,
  rowId: number,
  block: ReturnType<typeof undoneBlock>,
) {
  const blocks = body.message?.blocks;
  const at = blocks ? blocks.findIndex((b) => b.block_id === `act:${rowId}`) : -1;
  if (!blocks || at < 0) return false;
  const out = blocks.slice();
  out[at] = block;
  await ctx.out.respond({ text: body.message?.text ?? 'Loupe', blocks: out, replace_original: true });
  return true;
}

/**
 * A click on a correction button or picker: relabel the row (or change, delete or add a box) as
 * the clicking user, after the one write check; the item's buttons become "Relabeled … by @you"
 * with an Undo button. Repeats change nothing (the store sees the label already is what was
 * asked); an undo is claimed per click so a Slack retry never undoes twice.
 */
export async function handleCorrectionAction(ctx: ActionContext, body: BlockActionsBody): Promise<void> {
  const action = body.actions[0] as BlockActionsBody['actions'][number] & {
    selected_option?: { value?: string };
    action_ts?: string;
  };
  const check = mayWrite(ctx.deps.config, {
    user: body.user.id,
    team: body.team?.id ?? body.user.team_id ?? null,
    homeTeam: ctx.teamId ?? null,
  });
  if (!check.ok) return ctx.out.respond(ephemeral(`:no_entry: ${check.reason}`));
  const actor = body.user.id;
  const actorName = body.user.username ?? body.user.name ?? null;
  try {
    if (action.action_id === RELABEL_ACTION.undo) {
      const m = /^(\d{1,15}):(\d{0,10})$/.exec(action.value ?? '');
      if (!m) return ctx.out.respond(ephemeral("That button doesn't name a row."));
      const rowId = Number(m[1]);
      const where = body.container?.message_ts ?? body.message?.ts ?? 'direct';
      const key = `click:undo:${rowId}:${where}:${action.action_ts ?? ''}`;
      if (!(await claimDelivery(ctx.deps.db, key))) return;
      let r: CorrectionResult;
      try {
        r = await undoCorrection(ctx.deps.db, {
          rowId,
          runId: m[2] ? Number(m[2]) : null,
          actor,
          actorName,
          source: 'slack',
        });
      } catch (err) {
        await releaseDelivery(ctx.deps.db, key).catch(() => {});
        throw err;
      }
      if (!r.recorded)
        return ctx.out.respond(ephemeral('Nothing to undo: this row has no correction in force.'));
      const what = describe(r, await classNamesOfRow(ctx.deps.db, rowId));
      if (!(await patch(ctx, body, rowId, undoneBlock(rowId, { actor, what }))))
        await ctx.out.respond(ephemeral(`↶ Undone: ${safeText(what, 200)} (labels v${r.version}).`));
      return;
    }
    const v = parseCorrectionValue(action.selected_option?.value ?? action.value);
    if (!v)
      return ctx.out.respond(
        ephemeral("That button doesn't describe a correction; it may come from an older version."),
      );
    const change =
      v.op === 'relabel'
        ? { op: 'relabel' as const, label: v.label as number }
        : v.op === 'box-class'
          ? { op: 'box-class' as const, annId: v.target as number, label: v.label as number }
          : v.op === 'box-delete'
            ? { op: 'box-delete' as const, annId: v.target as number }
            : {
                op: 'box-add' as const,
                predId: v.target as number,
                ...(v.label !== null ? { label: v.label } : {}),
              };
    const r = await recordCorrection(ctx.deps.db, {
      rowId: v.rowId,
      runId: v.runId,
      actor,
      actorName,
      source: 'slack',
      change,
    });
    const classes = await classNamesOfRow(ctx.deps.db, v.rowId);
    if (!r.recorded) {
      const name = v.label === null ? '' : ` ${classes[v.label] ?? v.label}`;
      return ctx.out.respond(ephemeral(`Already labeled that way${safeText(name, 100)}: nothing changed.`));
    }
    const what = describe(r, classes);
    if (
      !(await patch(
        ctx,
        body,
        v.rowId,
        correctedBlock(v.rowId, v.runId, { actor, what, version: r.version }),
      ))
    )
      await ctx.out.respond({
        ...ephemeral(''),
        text: what,
        blocks: [correctedBlock(v.rowId, v.runId, { actor, what, version: r.version })],
      });
  } catch (err) {
    if (err instanceof Error && err.name === 'RowNotFoundError')
      return ctx.out.respond(
        ephemeral('That row no longer exists (the dataset was re-imported or deleted).'),
      );
    if (err instanceof LabelChangeError || err instanceof CorrectionError || err instanceof LabelVersionError)
      return ctx.out.respond(ephemeral(`:warning: ${safeText(err.message, 300)}`));
    throw err;
  }
}
