import { mayWrite } from '../../src/authorize.ts';
import type { Deps } from '../../src/deps.ts';
import { muteClass } from '../../src/store/regressions.ts';
import { lookupRunById } from '../../src/store/run-lookup.ts';
import { mention, safeText } from '../blocks/mrkdwn.ts';
import { notice } from '../blocks/notices.ts';
import type { Outbox } from '../outbox.ts';
import { MUTE_ACTION, parseMuteValue } from './values.ts';

const ephemeral = (text: string) => ({
  ...notice(text),
  response_type: 'ephemeral' as const,
  replace_original: false,
});

/** True for the alert's own buttons (Mute class). */
export function isAlertAction(actionId: string): boolean {
  return actionId === MUTE_ACTION || actionId.startsWith(`${MUTE_ACTION}:`);
}

/**
 * Mute a class from an alert: a write, so it goes through `mayWrite` like every other one. The
 * class stays muted for the run's dataset: later regressions of it are not alerted.
 */
export async function handleAlertAction(
  ctx: { deps: Deps; out: Outbox; teamId?: string | null },
  body: {
    user: { id: string; team_id?: string };
    team?: { id?: string } | null;
    actions: { action_id: string; value?: string }[];
  },
): Promise<void> {
  const check = mayWrite(ctx.deps.config, {
    user: body.user.id,
    team: body.team?.id ?? body.user.team_id ?? null,
    homeTeam: ctx.teamId ?? null,
  });
  if (!check.ok) return ctx.out.respond(ephemeral(`:no_entry: ${check.reason}`));
  const target = parseMuteValue(body.actions[0]?.value);
  if (!target) return ctx.out.respond(ephemeral("That button doesn't name a class."));
  const run = await lookupRunById(ctx.deps.db, target.runId);
  if (!run) return ctx.out.respond(ephemeral('That run no longer exists.'));
  const name = run.classNames[target.label];
  if (name === undefined) return ctx.out.respond(ephemeral(`Run ${safeText(run.name)} has no such class.`));
  const added = await muteClass(ctx.deps.db, run.datasetId, target.label, body.user.id);
  return ctx.out.respond({
    ...notice(
      added
        ? `:mute: ${mention(body.user.id)} muted *${safeText(name, 80)}* on dataset ${safeText(run.dataset)}: its regressions are no longer alerted.`
        : `*${safeText(name, 80)}* was already muted on dataset ${safeText(run.dataset)}.`,
    ),
    response_type: 'in_channel',
    replace_original: false,
  });
}
