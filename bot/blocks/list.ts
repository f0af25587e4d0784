import type { KnownBlock } from '@slack/types';
import type { ReviewDecision } from '../../src/store/database.ts';
import {
  type SlackMessage,
  actions,
  blockTextLength,
  button,
  context,
  header,
  section,
  thumbnail,
} from './kit.ts';
import { boardFooter } from './lines.ts';
import { LIMITS } from './limits.ts';
import { link, mention, safeText } from './mrkdwn.ts';
import { type SlackCorrection, correctionElements } from './relabel.ts';
import { ACTION, reviewValue } from './values.ts';

/** One row in a list answer. Strings are raw user data: the builder escapes them. */
export interface ListItem {
  rowId: number;
  runId: number | null;
  /** The id the user knows (external id). */
  id: string;
  /** e.g. `label → prediction`, or `given → suggested`. */
  from?: string | null;
  to?: string | null;
  /** Figures shown after the labels, already formatted, e.g. `confidence 0.91`. */
  facts: string[];
  imageUrl?: string | null;
  /** Signed board link for the row. */
  openUrl: string;
  /** Show review buttons (errors, mislabels); off for plain lists. */
  reviewable: boolean;
  /** The row's latest decision, shown instead of buttons. */
  decided?: { decision: ReviewDecision; actor: string } | null;
  /** Suspected mislabels: the correction buttons (relabel, change/delete a box, add a missed one). */
  correction?: SlackCorrection;
}

export interface ListMessageInput {
  title: string;
  /** What was asked, already escaped mrkdwn, e.g. `mislabels in *digits*`. */
  asked: string;
  total: number;
  items: ListItem[];
  /** Signed board link with exactly this filter. */
  boardUrl: string;
  /** Extra blocks after the items (e.g. a Create batch button). */
  extra?: KnownBlock[];
  empty?: string;
  /** The command text, carried by review buttons so a click can rebuild the answer. */
  origin?: string;
}

/** Blocks kept free for the header, the "asked" line, the footer and `extra`. */
const RESERVED_BLOCKS = 5;
/** Each field of an item is cut to this many characters before escaping. */
const FIELD_CHARS = 80;

/**
 * A list answer: header, one line saying what was asked and how many matched, one section +
 * buttons per item, and a footer link "All N in the board". Items beyond Slack's limits
 * (50 blocks, ~12k characters) are left out and the footer says so.
 *
 * @example
 * const msg = listMessage({ title: 'Mislabels', asked: 'mislabels in *digits*', total: 3, items, boardUrl });
 */
export function listMessage({
  title,
  asked,
  total,
  items,
  boardUrl,
  extra = [],
  empty,
  origin,
}: ListMessageInput): SlackMessage {
  const blocks: KnownBlock[] = [header(title)];
  const extraBlocks = extra.slice(0, 2);
  const budget = LIMITS.totalText - 1200 - blockTextLength(extraBlocks);
  const itemBlocks: KnownBlock[] = [];
  let shown = 0;
  // One entry per row: its block ids (`item:<row>`, `act:<row>`) must be unique in the message,
  // and a click patches its row's blocks by them.
  const seen = new Set<number>();
  for (const item of items) {
    if (seen.has(item.rowId)) continue;
    seen.add(item.rowId);
    const pair = itemBlocksFor(item, origin);
    if (itemBlocks.length + pair.length > LIMITS.blocks - RESERVED_BLOCKS - extraBlocks.length) break;
    if (blockTextLength([...itemBlocks, ...pair]) > budget) break;
    itemBlocks.push(...pair);
    shown++;
  }
  const count =
    total === 0 ? 'nothing matched' : shown < total ? `showing ${shown} of ${total}` : `${total} matched`;
  blocks.push(context([`${asked} — ${count}`]));
  if (total === 0 && empty) blocks.push(section(empty));
  blocks.push(...itemBlocks, ...extraBlocks);
  blocks.push(context([boardFooter(boardUrl, total, shown)], 'footer'));
  // Titles are plain text in the header block but mrkdwn in the fallback text: escape them there.
  return { text: safeText(`${title}: ${count}`, LIMITS.fallbackText), blocks };
}

function itemBlocksFor(item: ListItem, origin?: string): KnownBlock[] {
  const id = safeText(item.id, FIELD_CHARS);
  const labels =
    item.from != null || item.to != null
      ? ` ${safeText(item.from ?? '∅', FIELD_CHARS)} → ${safeText(item.to ?? '∅', FIELD_CHARS)}`
      : '';
  const facts = item.facts.map((f) => safeText(f, FIELD_CHARS)).join(' · ');
  const text = `*${link(item.openUrl, id)}*${labels}${facts ? `\n${facts}` : ''}`;
  const sec = section(text, {
    blockId: `item:${item.rowId}`,
    accessory: thumbnail(item.imageUrl, `row ${item.id}`.slice(0, 200)),
  });
  if (item.decided) return [sec, decidedContext(item.rowId, item.decided.decision, item.decided.actor)];
  const open = button({ text: 'Open', actionId: ACTION.open, url: item.openUrl });
  if (!item.reviewable) return [sec, actions([open], `act:${item.rowId}`)];
  const value = reviewValue(item.rowId, item.runId, origin);
  return [
    sec,
    actions(
      [
        button({ text: 'Approve', actionId: ACTION.approve, value, style: 'primary' }),
        button({ text: 'Send to rework', actionId: ACTION.rework, value }),
        ...(item.correction ? correctionElements(item.rowId, item.runId, item.correction) : []),
        open,
      ],
      `act:${item.rowId}`,
    ),
  ];
}

/** The line that replaces an item's buttons once someone decided. */
export function decidedContext(rowId: number, decision: ReviewDecision, actor: string): KnownBlock {
  const who = mention(actor);
  const text = {
    approve: `✅ Approved by ${who}`,
    rework: `↩️ Sent to rework by ${who}`,
    dismiss: `🚫 Dismissed by ${who}`,
    relabel: `✏️ Relabeled by ${who}`,
    revert: `↶ Relabel undone by ${who}`,
  }[decision];
  return context([text], `act:${rowId}`);
}

/**
 * The same message with one item's buttons replaced by who decided; other blocks untouched.
 * Returns null when the message has no buttons for that row (stale or foreign message).
 */
export function markDecided(
  blocks: KnownBlock[],
  rowId: number,
  decision: ReviewDecision,
  actor: string,
): KnownBlock[] | null {
  const at = blocks.findIndex((b) => b.block_id === `act:${rowId}`);
  if (at < 0) return null;
  const out = blocks.slice();
  out[at] = decidedContext(rowId, decision, actor);
  return out;
}

/** Rows of a message that still show review buttons (an `act:<row>` actions block). */
export function rowsWithButtons(blocks: KnownBlock[]): number[] {
  const rows: number[] = [];
  for (const b of blocks) {
    const m = b.type === 'actions' ? /^act:(\d+)$/.exec(b.block_id ?? '') : null;
    if (m) rows.push(Number(m[1]));
  }
  return rows;
}

/**
 * The message with every decided row's buttons replaced by who decided. Two clicks on one message
 * each carry the blocks as Slack last showed them; patching from the store's decisions, not just
 * the click's own, keeps the later update from undoing the earlier one.
 */
export function markAllDecided(
  blocks: KnownBlock[],
  decided: Map<number, { decision: ReviewDecision; actor: string }>,
): KnownBlock[] {
  let out = blocks;
  for (const rowId of rowsWithButtons(blocks)) {
    const d = decided.get(rowId);
    if (d && d.decision !== 'dismiss') out = markDecided(out, rowId, d.decision, d.actor) ?? out;
  }
  return out;
}
