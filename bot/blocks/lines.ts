import type { KnownBlock } from '@slack/types';
import { type SlackMessage, blockTextLength, context, header, section } from './kit.ts';
import { LIMITS } from './limits.ts';
import { escapeMrkdwn, link } from './mrkdwn.ts';

/**
 * A compact answer: header, what was asked, lines packed into sections (each under 3,000
 * characters), and a board link. Lines past Slack's limits are left out and counted.
 * Lines must already be escaped mrkdwn.
 *
 * @example
 * linesMessage({ title: 'Runs', asked: 'runs', lines: ['*r1* accuracy 0.97'], total: 1, boardUrl });
 */
export function linesMessage({
  title,
  asked,
  lines,
  total = lines.length,
  boardUrl,
  boardLabel,
  extra = [],
  empty = 'Nothing yet.',
}: {
  title: string;
  asked: string;
  lines: string[];
  total?: number;
  boardUrl?: string;
  boardLabel?: string;
  extra?: KnownBlock[];
  empty?: string;
}): SlackMessage {
  const blocks: KnownBlock[] = [header(title)];
  const budget = LIMITS.totalText - 1500 - blockTextLength(extra);
  const sections: string[] = [];
  let current = '';
  let used = 0;
  let shown = 0;
  for (const raw of lines) {
    const line = raw.length > 1000 ? `${raw.slice(0, 999)}…` : raw;
    if (used + line.length + 1 > budget) break;
    if (current.length + line.length + 1 > LIMITS.sectionText - 100) {
      if (sections.length + 1 >= LIMITS.blocks - 6 - extra.length) break;
      sections.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
    used += line.length + 1;
    shown++;
  }
  if (current) sections.push(current);
  const count =
    total === 0 ? 'nothing matched' : shown < total ? `showing ${shown} of ${total}` : `${total} matched`;
  blocks.push(context([`${asked} — ${count}`]));
  if (total === 0) blocks.push(section(empty));
  blocks.push(...sections.map((s) => section(s)), ...extra);
  if (boardUrl) {
    blocks.push(context([boardFooter(boardUrl, total, shown, boardLabel)], 'footer'));
  }
  // Titles are plain text in the header block but mrkdwn in the fallback text: escape them there.
  return { text: escapeMrkdwn(`${title}: ${count}`), blocks };
}

/**
 * The footer link of a list answer: how many the board holds, and how many did not fit here.
 *
 * @example
 * boardFooter('https://b/errors', 48, 20); // "<https://b/errors|All 48 in the board> · 28 not shown here"
 */
export function boardFooter(boardUrl: string, total: number, shown: number, label?: string): string {
  if (total === 0) return link(boardUrl, label ?? 'Open the board');
  const text = label ?? (total === 1 ? 'Open it in the board' : `All ${total} in the board`);
  return shown < total ? `${link(boardUrl, text)} · ${total - shown} not shown here` : link(boardUrl, text);
}
