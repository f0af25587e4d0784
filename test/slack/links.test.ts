import { afterAll, beforeAll, expect, it } from 'vitest';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { type Harness, SECRET, seedNextRun, seedRun, startHarness } from './harness.ts';
import { blockActions, eventCallback, slashCommand } from './signed.ts';

type Message = { response_type?: string; text: string; blocks: { block_id?: string }[] };

/** Links anyone in a channel can see never sign anyone in; a link for one reader signs in once. */
describeEachDriver('board links in Slack', (ctx) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(ctx().database);
    const v1 = await seedRun(h.deps, 'links-v1');
    await seedNextRun(h.deps, v1, 'links-v2');
  });
  afterAll(async () => h?.close());

  const command = async (text: string, channel = 'C0LINKS') => {
    const responseUrl = h.slack.responseUrl();
    const res = await h.send(slashCommand(SECRET, { text, responseUrl, channel }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Message;
    if (body.text !== 'Working on it…') return body;
    const id = responseUrl.split('/').pop();
    return (await h.slack.waitFor(() => h.slack.responses.find((r) => r.id === id), 60_000)).body as Message;
  };

  it('no channel-visible message carries a sign-in link', async () => {
    const publicAnswers: Message[] = [];
    for (const text of [
      'runs public',
      'worst-classes public',
      'errors public',
      'mislabels public',
      'uncertain public',
      'similar 0 public',
      'rework public',
      'board public',
      'batch pub-batch from uncertain 2 public',
    ]) {
      const a = await command(text);
      expect(a.response_type, text).toBe('in_channel');
      publicAnswers.push(a);
    }
    const board = publicAnswers[7];
    expect(JSON.stringify(board.blocks)).toContain('<https://loupe.example.com/|Open the board>');
    expect(JSON.stringify(board.blocks)).not.toContain('Do not share');

    // A mention answers in the mention's thread, for the channel to see.
    await h.send(
      eventCallback(SECRET, {
        eventId: 'EvLinks',
        event: {
          type: 'app_mention',
          user: 'U0ALICE',
          text: '<@U0BOT> board',
          channel: 'C0MENTIONS',
          ts: '1700000020.000001',
        },
      }),
    );
    const mention = await h.slack.waitFor(
      () => h.slack.callsTo('chat.postMessage').find((c) => c.body.channel === 'C0MENTIONS'),
      60_000,
    );
    expect(mention.body.thread_ts).toBe('1700000020.000001');

    // The digest, and a Create batch click on it, which rewrites the channel message.
    await command('digest');
    const digest = await h.slack.waitFor(
      () => h.slack.callsTo('chat.postMessage').find((c) => c.body.channel === 'C0LINKS'),
      60_000,
    );
    const blocks = digest.body.blocks as {
      block_id?: string;
      elements?: { action_id?: string; value?: string }[];
    }[];
    const batch = blocks.find((b) => b.block_id === 'batch')?.elements?.[0];
    expect(batch?.action_id).toBe('batch:create');
    const clickUrl = h.slack.responseUrl('digest-click');
    await h.send(
      blockActions(SECRET, {
        actionId: 'batch:create',
        value: batch?.value,
        blockId: 'batch',
        responseUrl: clickUrl,
        channel: 'C0LINKS',
        message: { ts: String(digest.body.ts ?? '1.1'), text: 'digest', blocks },
      }),
    );
    const patched = await h.slack.waitFor(
      () => h.slack.responses.find((r) => r.id === 'digest-click'),
      60_000,
    );
    expect(JSON.stringify(patched.body)).toContain('Batch');

    const visible = [
      ...publicAnswers,
      ...h.slack.callsTo('chat.postMessage').map((c) => c.body),
      ...h.slack.callsTo('chat.update').map((c) => c.body),
      ...h.slack.responses
        .filter((r) => r.body.response_type === 'in_channel' || r.body.replace_original === true)
        .map((r) => r.body),
    ].map((m) => JSON.stringify(m));
    expect(visible.length).toBeGreaterThanOrEqual(12);
    for (const m of visible) {
      expect(m).not.toContain('/auth/link');
      expect(m).not.toMatch(/[?&]sig=/);
    }
    // They still link to the board, plainly.
    expect(visible.some((m) => m.includes('https://loupe.example.com/runs/links-v2'))).toBe(true);
  }, 180_000);

  it('an answer for one reader carries a one-time sign-in link', async () => {
    const answer = await command('board');
    expect(answer.response_type).toBe('ephemeral');
    const url = /<(https:\/\/loupe\.example\.com\/auth\/link\?[^|>]+)\|/.exec(
      JSON.stringify(answer.blocks),
    )?.[1];
    expect(url).toBeDefined();
    const board = createWebApp({ ...h.deps, config: { ...h.deps.config, HOST: '0.0.0.0' } });
    const path = new URL(url!.replace(/&amp;/g, '&')).pathname + new URL(url!.replace(/&amp;/g, '&')).search;
    const first = await board.request(path);
    expect(first.status).toBe(302);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/^loupe_session=/);
    // Someone else who got hold of it later: refused. Its reader, signed in: let through.
    const stolen = await board.request(path);
    expect(stolen.status).toBe(401);
    expect(await stolen.text()).toContain('already used');
    expect((await board.request(path, { headers: { cookie } })).status).toBe(302);
  });
});
