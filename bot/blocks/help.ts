import type { KnownBlock } from '@slack/types';
import type { SlackMessage } from './kit.ts';
import { context, header, section } from './kit.ts';
import { escapeMrkdwn } from './mrkdwn.ts';

const COMMANDS: [string, string][] = [
  ['help', 'this list'],
  ['runs', 'recent model runs with their headline metric and change'],
  [
    'worst-classes [run] [by recall|precision|f1|ap] [n]',
    'the n worst classes, e.g. `worst-classes by f1 5`',
  ],
  [
    'errors [run] [iou<0.5] [n]',
    'model errors below the IoU threshold, least confident first, e.g. `errors iou<0.3 5`',
  ],
  ['mislabels [run] [n]', 'suspected label mistakes, given → suggested, e.g. `mislabels 10`'],
  [
    'uncertain [run] [n] [least|margin|entropy] [diverse]',
    'the most uncertain unlabeled rows, with a Create batch button, e.g. `uncertain 20 margin diverse`',
  ],
  ['similar <row-id> [n]', 'rows like this one, unlabeled first, e.g. `similar 42`'],
  [
    'batch <name> from uncertain|similar <id,…>|rework [n] [run]',
    'create a labeling batch, e.g. `batch week-12 from uncertain 100`; pool commands default to the newest run with unlabeled rows',
  ],
  [
    'batch <name> assign @user [due YYYY-MM-DD]',
    'give a batch to a labeler (reviewers only); they get a DM now and on the due day if unfinished',
  ],
  ['rework [n]', 'the rework queue, oldest first'],
  ['digest', "post today's digest here now"],
  ['board', 'a signed link to the board for you'],
];

/**
 * The help answer; `problem` (already plain text) says what was wrong with the last command.
 *
 * @example
 * helpMessage('/loupe', "I don't know `foo`");
 */
export function helpMessage(command: string, problem?: string): SlackMessage {
  const cmd = escapeMrkdwn(command);
  const lines = COMMANDS.map(([usage, what]) => `\`${cmd} ${escapeMrkdwn(usage)}\` — ${what}`);
  const blocks: KnownBlock[] = [header('Loupe commands')];
  if (problem) blocks.push(section(`:warning: ${escapeMrkdwn(problem)}`));
  blocks.push(section(lines.join('\n')));
  blocks.push(context([`\`run\` defaults to the newest run. Add \`public\` to answer in the channel.`]));
  // The fallback text is mrkdwn too (notifications, clients without blocks): escaped like the blocks.
  return { text: problem ? `${escapeMrkdwn(problem)} — try ${cmd} help` : 'Loupe commands', blocks };
}
