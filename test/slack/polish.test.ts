import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListItem, listMessage, markAllDecided } from '../../bot/blocks/list.ts';
import { helpMessage } from '../../bot/blocks/help.ts';
import { parseCommand } from '../../bot/commands/parse.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { type Harness, SECRET, seedRun, startHarness } from './harness.ts';
import { blockActions, slashCommand } from './signed.ts';

type Answer = {
  response_type: string;
  text: string;
  blocks: { type: string; block_id?: string; elements?: { action_id?: string; value?: string }[] }[];
};

describe('user text in messages', () => {
  it('help echoes what was typed escaped, in the blocks and the fallback text', () => {
    const cmd = parseCommand('<!channel> <https://evil.example|click> & more');
    expect(cmd.kind).toBe('help');
    const msg = helpMessage('/loupe', cmd.kind === 'help' ? cmd.problem : undefined);
    const all = JSON.stringify(msg);
    expect(all).not.toContain('<!channel>');
    expect(msg.text).toContain('&lt;!channel&gt;');
    expect(JSON.stringify(msg.blocks)).toContain('&lt;!channel&gt;');
  });

  it('a list gives each row its own block ids, even when a row comes twice', () => {
    const item = (rowId: number): ListItem => ({
      rowId,
      runId: 1,
      id: `<!here> ${rowId}`,
      from: '<b>',
      to: 'a&b',
      facts: [],
      openUrl: 'https://board/rows/1',
      reviewable: true,
    });
    const msg = listMessage({
      title: 'Rows like <!here>',
      asked: 'x',
      total: 3,
      items: [item(1), item(2), item(1)],
      boardUrl: 'https://board/',
    });
    const ids = msg.blocks.map((b) => b.block_id).filter(Boolean);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['item:1', 'act:1', 'item:2', 'act:2']));
    // mrkdwn everywhere (the fallback text included) is escaped; the header is plain text, never parsed.
    const mrkdwn = JSON.stringify(msg.blocks.filter((b) => b.type !== 'header'));
    expect(mrkdwn).not.toContain('<!here>');
    expect(mrkdwn).toContain('&lt;!here&gt;');
    expect(msg.text).toBe('Rows like &lt;!here&gt;: showing 2 of 3');
  });

  it('patching a message marks every decided row, not only the clicked one', () => {
    const items: ListItem[] = [1, 2, 3].map((rowId) => ({
      rowId,
      runId: 1,
      id: String(rowId),
      facts: [],
      openUrl: 'https://board/rows/1',
      reviewable: true,
    }));
    const msg = listMessage({ title: 'T', asked: 'x', total: 3, items, boardUrl: 'https://board/' });
    const patched = JSON.stringify(
      markAllDecided(
        msg.blocks,
        new Map([
          [1, { decision: 'approve' as const, actor: 'U1' }],
          [3, { decision: 'rework' as const, actor: 'U2' }],
        ]),
      ),
    );
    expect(patched).toContain('Approved by <@U1>');
    expect(patched).toContain('Sent to rework by <@U2>');
    expect(patched.match(/review:approve/g)).toHaveLength(1); // row 2 keeps its buttons
  });
});

describeEachDriver('two clicks on one message', (ctx) => {
  let h: Harness;
  let rowIds: number[];

  beforeAll(async () => {
    h = await startHarness(ctx().database);
    ({ rowIds } = await seedRun(h.deps, 'polish-run'));
  });
  afterAll(async () => h?.close());

  it('the later update keeps the earlier decision (both clicks carry the original blocks)', async () => {
    const res = await h.send(
      slashCommand(SECRET, { text: 'mislabels public', responseUrl: h.slack.responseUrl() }),
    );
    const answer = (await res.json()) as Answer;
    const [a, b] = [rowIds[9], rowIds[10]];
    const click = async (rowId: number, actionId: string, user: string) => {
      const value = answer.blocks
        .find((x) => x.block_id === `act:${rowId}`)
        ?.elements?.find((e) => e.action_id === actionId)?.value;
      const responseUrl = h.slack.responseUrl();
      await h.send(
        blockActions(SECRET, {
          actionId,
          value,
          blockId: `act:${rowId}`,
          responseUrl,
          user,
          message: { ts: '1700000099.000001', text: answer.text, blocks: answer.blocks },
        }),
      );
      const id = responseUrl.split('/').pop();
      return (await h.slack.waitFor(() => h.slack.responses.find((r) => r.id === id), 30_000)).body;
    };
    await click(a, 'review:approve', 'U0ALICE');
    const second = JSON.stringify(await click(b, 'review:rework', 'U0BOB'));
    expect(second).toContain('✅ Approved by <@U0ALICE>');
    expect(second).toContain('↩️ Sent to rework by <@U0BOB>');
  });

  it('a run without embeddings: similar says how to add them, by the run name', async () => {
    const res = await h.send(slashCommand(SECRET, { text: 'similar 0', responseUrl: h.slack.responseUrl() }));
    const answer = (await res.json()) as Answer;
    expect(answer.text).toContain(
      'run polish-run has no embeddings: add them with `loupe ingest embeddings --run polish-run --path emb.npy`',
    );
    expect(answer.text).not.toContain('reference');
  });
});
