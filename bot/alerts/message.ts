import type { KnownBlock } from '@slack/types';
import type { ClassRegression } from '../../src/regression/types.ts';
import { type SlackMessage, actions, button, context, header, section } from '../blocks/kit.ts';
import { delta, link, num, safeText } from '../blocks/mrkdwn.ts';
import { ACTION } from '../blocks/values.ts';
import { seg } from '../links.ts';
import { MUTE_ACTION, muteValue } from './values.ts';

/** Classes listed by name; the chart and the comparison page show the rest. */
const LISTED = 10;
/** Mute buttons at most (one per listed regressed class). */
const MUTE_BUTTONS = 5;

export interface AlertContent {
  run: { id: number; name: string };
  previous: { id: number; name: string };
  metric: 'f1' | 'ap';
  rows: number;
  resamples: number;
  minDrop: number;
  /** Regressed classes not muted, largest drop first. */
  regressed: ClassRegression[];
}

/**
 * The regression alert: the run and the previous one by name, each regressed class with its drop
 * and 95% interval, and buttons Open comparison / Mute class. Channel-visible, so its board link
 * carries no credentials.
 *
 * @example
 * out.post(channel, alertMessage(content, links.base));
 */
export function alertMessage(a: AlertContent, boardBase: string): SlackMessage {
  const name = a.metric === 'f1' ? 'F1' : 'AP';
  const unit = a.metric === 'f1' ? 'rows' : 'images';
  const compare = `${boardBase}/runs/${seg(a.run.name)}/compare`;
  const runName = safeText(a.run.name, 100);
  const prevName = safeText(a.previous.name, 100);
  const lines = a.regressed
    .slice(0, LISTED)
    .map(
      (c) =>
        `• *${safeText(c.name, 80)}* ${name} ${num(c.before, 3)} → ${num(c.now, 3)} (${delta(c.delta, 3)}; 95% interval ${delta(c.low, 3)} to ${delta(c.high, 3)})`,
    );
  const more =
    a.regressed.length > LISTED ? `\n…and ${a.regressed.length - LISTED} more on the comparison page` : '';
  const blocks: KnownBlock[] = [
    header(`Regression: ${a.run.name} vs ${a.previous.name}`),
    section(
      `*${link(compare, runName)}* is worse than *${prevName}* in ${a.regressed.length} class${a.regressed.length === 1 ? '' : 'es'} ` +
        `(${name} on the ${a.rows.toLocaleString('en-US')} ${unit} both share):\n${lines.join('\n')}${more}`,
    ),
    actions(
      [
        button({ text: 'Open comparison', actionId: ACTION.link, url: compare, style: 'primary' }),
        ...a.regressed.slice(0, MUTE_BUTTONS).map((c) =>
          button({
            text: `Mute ${c.name}`,
            actionId: `${MUTE_ACTION}:${c.label}`,
            value: muteValue(a.run.id, c.label),
          }),
        ),
      ],
      `alert:${a.run.id}`,
    ),
    context([
      `A class regresses when the 95% interval of its change lies below 0 (paired bootstrap, ${a.resamples.toLocaleString('en-US')} resamples) and it drops by more than ${num(a.minDrop, 3)}.`,
    ]),
  ];
  return {
    text: `Regression: ${runName} is worse than ${prevName} in ${a.regressed.map((c) => safeText(c.name, 80)).join(', ')}`,
    blocks,
  };
}
