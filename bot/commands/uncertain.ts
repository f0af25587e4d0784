import type { KnownBlock } from '@slack/types';
import type { Strategy } from '../../src/findings/uncertainty.ts';
import type { RunRef } from '../../src/store/run-lookup.ts';
import { actions, button } from '../blocks/kit.ts';
import { type ListItem, listMessage } from '../blocks/list.ts';
import { num, safeText } from '../blocks/mrkdwn.ts';
import { ACTION, batchValue } from '../blocks/values.ts';
import { seg } from '../links.ts';
import { type CommandContext, SHOWN } from './context.ts';
import { className, slackImage } from './items.ts';

/** `uncertain`: the unlabeled rows the model is least sure about, with a button to batch them. */
export async function uncertainAnswer(
  ctx: CommandContext,
  run: RunRef,
  cmd: { n: number; strategy: Strategy; diverse: boolean },
) {
  const { items } = await ctx.sources.listUncertain(ctx.deps, {
    runId: run.id,
    strategy: cmd.strategy,
    limit: cmd.n,
    diverse: cmd.diverse,
  });
  const list: ListItem[] = items.slice(0, SHOWN).map((u) => ({
    rowId: u.rowId,
    runId: run.id,
    id: u.id,
    facts: [
      `predicted ${safeText(className(run, u.predicted) ?? '–', 80)}`,
      `${cmd.strategy} ${num(u.score, 3)}`,
    ],
    imageUrl: slackImage(ctx, u),
    openUrl: ctx.links.url(`/rows/${u.rowId}`, ctx.user),
    reviewable: false,
  }));
  const extra: KnownBlock[] = items.length
    ? [
        actions(
          [
            button({
              text: `Create batch of ${items.length}`,
              actionId: ACTION.createBatch,
              value: batchValue({ run: run.id, strategy: cmd.strategy, n: cmd.n, diverse: cmd.diverse }),
              style: 'primary',
            }),
          ],
          'batch',
        ),
      ]
    : [];
  return listMessage({
    title: 'Most uncertain unlabeled rows',
    asked: `uncertain in *${safeText(run.name, 100)}* by ${cmd.strategy}${cmd.diverse ? ', diverse' : ''}`,
    total: items.length,
    items: list,
    extra,
    boardUrl: ctx.links.url(`/runs/${seg(run.name)}/uncertain?strategy=${cmd.strategy}`, ctx.user),
    empty: 'No unlabeled rows with predictions in this run.',
  });
}
