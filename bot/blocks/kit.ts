import type {
  ActionsBlock,
  ActionsBlockElement,
  Button,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  ImageElement,
  KnownBlock,
  SectionBlock,
} from '@slack/types';
import { LIMITS } from './limits.ts';
import { truncate } from './mrkdwn.ts';

/** What every builder returns: the blocks and the notification fallback text. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export function header(text: string): HeaderBlock {
  return {
    type: 'header',
    text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true },
  };
}

/** A mrkdwn section; `text` must already be escaped where it holds user data. */
export function section(
  text: string,
  opts: { blockId?: string; accessory?: ImageElement | Button } = {},
): SectionBlock {
  const block: SectionBlock = {
    type: 'section',
    text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) },
  };
  if (opts.blockId) block.block_id = truncate(opts.blockId, LIMITS.blockId);
  if (opts.accessory) block.accessory = opts.accessory;
  return block;
}

export function context(texts: string[], blockId?: string): ContextBlock {
  const block: ContextBlock = {
    type: 'context',
    elements: texts
      .slice(0, LIMITS.contextElements)
      .map((t) => ({ type: 'mrkdwn' as const, text: truncate(t, LIMITS.contextText) })),
  };
  if (blockId) block.block_id = truncate(blockId, LIMITS.blockId);
  return block;
}

export function divider(): DividerBlock {
  return { type: 'divider' };
}

export function actions(elements: ActionsBlockElement[], blockId?: string): ActionsBlock {
  const block: ActionsBlock = { type: 'actions', elements: elements.slice(0, LIMITS.actionsElements) };
  if (blockId) block.block_id = truncate(blockId, LIMITS.blockId);
  return block;
}

export function button({
  text,
  actionId,
  value,
  url,
  style,
}: {
  text: string;
  actionId: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
}): Button {
  const b: Button = {
    type: 'button',
    text: { type: 'plain_text', text: truncate(text, LIMITS.buttonText), emoji: true },
    action_id: truncate(actionId, LIMITS.actionId),
  };
  if (value !== undefined) {
    if (value.length > LIMITS.buttonValue)
      throw new Error(`button value over ${LIMITS.buttonValue} characters`);
    b.value = value;
  }
  // An over-long URL cannot be cut without breaking it: such a button gets no link.
  if (url !== undefined && url.length <= LIMITS.url) b.url = url;
  if (style) b.style = style;
  return b;
}

/** An image accessory for public http(s) URLs only (Slack fetches it; private URLs would show broken). */
export function thumbnail(url: string | null | undefined, alt: string): ImageElement | undefined {
  if (!url || url.length > LIMITS.url || !/^https?:\/\//i.test(url)) return undefined;
  try {
    const host = new URL(url).hostname;
    if (
      host === 'localhost' ||
      host.endsWith('.local') ||
      /^(127\.|10\.|192\.168\.|0\.0\.0\.0|\[?::1)/.test(host)
    )
      return undefined;
  } catch {
    return undefined;
  }
  return { type: 'image', image_url: url, alt_text: truncate(alt || 'image', LIMITS.altText) };
}

/** Characters of text a message's blocks carry (what Slack's overall limit counts). */
export function blockTextLength(blocks: KnownBlock[]): number {
  let n = 0;
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') n += x.length;
        else visit(x);
      }
    }
  };
  visit(blocks);
  return n;
}
