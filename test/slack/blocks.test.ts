import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, link, truncate } from '../../bot/blocks/mrkdwn.ts';
import { type ListItem, listMessage, markDecided } from '../../bot/blocks/list.ts';
import { linesMessage } from '../../bot/blocks/lines.ts';
import { helpMessage } from '../../bot/blocks/help.ts';
import { parseBatchValue, parseReviewValue, reviewValue, batchValue } from '../../bot/blocks/values.ts';
import { blockKitViolations } from './limits.ts';

const longName = (ch: string) => ch.repeat(1000);

function items(n: number, name: string): ListItem[] {
  return Array.from({ length: n }, (_, i) => ({
    rowId: i + 1,
    runId: 7,
    id: `${name}-${i}`,
    from: name,
    to: `${name}!`,
    facts: [`confidence 0.${i % 10}`, name],
    imageUrl: `https://img.example.com/${i}.png`,
    openUrl: `https://loupe.example.com/auth/link?to=%2Frows%2F${i}&u=U1&exp=1&sig=${'s'.repeat(43)}`,
    reviewable: true,
  }));
}

describe('mrkdwn escaping', () => {
  it('keeps <!channel> and links in user data as text', () => {
    expect(escapeMrkdwn('<!channel> & <https://evil|x>')).toBe(
      '&lt;!channel&gt; &amp; &lt;https://evil|x&gt;',
    );
  });
  it('cuts with an ellipsis and never splits a surrogate pair', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('ab😀cd', 5)).toBe('ab😀…');
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('a😀', 2)).toBe('a…');
  });
  it('makes links whose URL cannot break out of the link', () => {
    expect(link('https://x.test/a|b>c', 'go')).toBe('<https://x.test/a%7Cb%3Ec|go>');
  });
});

describe('list answers stay inside Slack limits whatever the data', () => {
  it.each([
    ['10,000 items with 1,000-character class names of <', 10_000, longName('<')],
    ['10,000 items with 1,000-character names of &', 10_000, longName('&')],
    ['10,000 plain items', 10_000, 'cat'],
    ['3 items', 3, 'cat'],
  ])('%s', (_name, n, name) => {
    const msg = listMessage({
      title: longName('T'),
      asked: 'errors in *run*',
      total: n,
      items: items(n, name),
      boardUrl: 'https://loupe.example.com/b',
    });
    expect(blockKitViolations(msg.blocks, msg.text)).toEqual([]);
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    const json = JSON.stringify(msg.blocks);
    expect(json).not.toContain('<!channel');
    const footer = msg.blocks.at(-1) as { elements: { text: string }[] };
    expect(footer.elements[0].text).toContain(`All ${n} in the board`);
    expect(footer.elements[0].text).not.toContain('more in the board');
    if (n > 20) expect(footer.elements[0].text).toMatch(/ · \d+ not shown here$/);
    else expect(msg.blocks.filter((b) => b.type === 'actions')).toHaveLength(n);
  });

  it('says what was asked and how many matched, and shows each item with its buttons', () => {
    const msg = listMessage({
      title: 'Model errors',
      asked: 'errors in *r*',
      total: 3,
      items: items(3, 'cat'),
      boardUrl: 'https://b',
    });
    expect(msg.blocks[1]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'errors in *r* — 3 matched' }],
    });
    const act = msg.blocks[3] as {
      elements: { action_id: string; value?: string; url?: string; text: { text: string } }[];
    };
    expect(act.elements.map((e) => [e.text.text, e.action_id, e.value])).toEqual([
      ['Approve', 'review:approve', '1:7'],
      ['Send to rework', 'review:rework', '1:7'],
      ['Open', 'open', undefined],
    ]);
    expect(msg.blocks[2]).toMatchObject({
      type: 'section',
      accessory: { type: 'image', image_url: 'https://img.example.com/0.png' },
    });
  });

  it('replaces only the clicked row’s buttons with who decided', () => {
    const msg = listMessage({
      title: 'x',
      asked: 'x',
      total: 3,
      items: items(3, 'cat'),
      boardUrl: 'https://b',
    });
    const after = markDecided(msg.blocks, 2, 'rework', 'U0BOB');
    expect(after?.[5]).toEqual({
      type: 'context',
      block_id: 'act:2',
      elements: [{ type: 'mrkdwn', text: '↩️ Sent to rework by <@U0BOB>' }],
    });
    expect(after?.[3]).toEqual(msg.blocks[3]);
    expect(markDecided(msg.blocks, 99, 'approve', 'U1')).toBeNull();
  });

  it('packs long line lists under the limits', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `${i}. *${escapeMrkdwn(longName('<'))}*`);
    const msg = linesMessage({ title: 'Worst', asked: 'worst', lines, boardUrl: 'https://b' });
    expect(blockKitViolations(msg.blocks, msg.text)).toEqual([]);
    expect(JSON.stringify(msg.blocks)).toMatch(/All 10000 in the board> · \d+ not shown here/);
  });

  it('never offers "All 0" or "All 1" in the board', () => {
    const none = listMessage({ title: 'x', asked: 'x', total: 0, items: [], boardUrl: 'https://b' });
    expect(JSON.stringify(none.blocks.at(-1))).toContain('<https://b|Open the board>');
    expect(JSON.stringify(none.blocks)).not.toContain('All 0');
    const one = listMessage({
      title: 'x',
      asked: 'x',
      total: 1,
      items: items(1, 'cat'),
      boardUrl: 'https://b',
    });
    expect(JSON.stringify(one.blocks.at(-1))).toContain('<https://b|Open it in the board>');
  });

  it('help lists every command', () => {
    const text = JSON.stringify(helpMessage('/loupe').blocks);
    for (const c of [
      'help',
      'runs',
      'worst-classes',
      'errors',
      'mislabels',
      'uncertain',
      'similar',
      'batch',
      'rework',
      'digest',
      'board',
    ])
      expect(text).toContain(`/loupe ${c}`);
  });
});

describe('button values', () => {
  it('round-trip and stay small', () => {
    expect(parseReviewValue(reviewValue(12, 3, 'mislabels 5'))).toEqual({
      rowId: 12,
      runId: 3,
      origin: 'mislabels 5',
    });
    expect(parseReviewValue(reviewValue(12, null))).toEqual({ rowId: 12, runId: null, origin: null });
    expect(reviewValue(1, 2, 'x'.repeat(600))).toBe('1:2');
    expect(parseReviewValue('12;drop table')).toBeNull();
    expect(parseBatchValue(batchValue({ run: 4, strategy: 'margin', n: 50, diverse: true }))).toEqual({
      run: 4,
      strategy: 'margin',
      n: 50,
      diverse: true,
    });
    expect(parseBatchValue('{"r":1,"s":"evil","n":5}')).toBeNull();
  });
});
