import type { SlackMessage } from './kit.ts';
import { context, section } from './kit.ts';
import { escapeMrkdwn, link, safeText } from './mrkdwn.ts';

/** A short plain notice (already-escaped mrkdwn allowed in `text`). */
export function notice(text: string): SlackMessage {
  return { text: text.slice(0, 300), blocks: [section(text)] };
}

/** What the user sees when something broke: a reference id to quote, never a stack. */
export function apology(ref: string): SlackMessage {
  return notice(
    `:warning: Sorry, that didn't work. Please try again in a moment; if it keeps failing, quote reference \`${escapeMrkdwn(ref)}\`.`,
  );
}

/** A run name that does not exist, with the closest names. */
export function unknownRun(name: string, closest: string[]): SlackMessage {
  const hint = closest.length
    ? ` Did you mean ${closest.map((c) => `\`${safeText(c, 100)}\``).join(', ')}?`
    : ' There are no runs yet: import one with `loupe ingest`.';
  return notice(`No run named \`${safeText(name, 100)}\`.${hint}`);
}

/** The caller's own sign-in link (ephemeral answers only): one-time, valid for an hour. */
export function boardLinkMessage(url: string): SlackMessage {
  return {
    text: 'Your board link',
    blocks: [
      section(`${link(url, 'Open the board')} — signs you in once, valid for an hour.`),
      context(['Do not share it: it signs you in.']),
    ],
  };
}

/** The board for a whole channel: a plain link, each reader signs in as themselves. */
export function publicBoardMessage(url: string): SlackMessage {
  return {
    text: 'The Loupe board',
    blocks: [
      section(`${link(url, 'Open the board')}`),
      context(['Sign in with Slack when asked, or type `/loupe board` for a link of your own.']),
    ],
  };
}
