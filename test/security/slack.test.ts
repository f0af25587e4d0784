import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digests, reviews } from '../../db/schema.ts';
import { mayWrite } from '../../src/authorize.ts';
import { loadConfig } from '../../src/config.ts';
import { createSlackHandler } from '../../bot/index.ts';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { type Harness, SECRET, seedRun, startHarness } from '../slack/harness.ts';
import { blockActions, slashCommand } from '../slack/signed.ts';

// Cases from a hostile probe of the Slack side (RELIABILITY.md 31, 36), on both databases.

describe('2. reviewers are Slack user ids, nothing else', () => {
  it('LOUPE_REVIEWERS refuses names and handles at start, naming the variable and the entry', () => {
    for (const bad of ['@alice', 'alice', 'U0BOSS,bob', 'u0boss'])
      expect(() => loadConfig({ LOUPE_REVIEWERS: bad }), bad).toThrow(
        /LOUPE_REVIEWERS: "[^"]+" is not a Slack user id; list user ids like U012AB3CD/,
      );
    expect(loadConfig({ LOUPE_REVIEWERS: 'U0BOSS, W0GRID' }).LOUPE_REVIEWERS).toEqual(['U0BOSS', 'W0GRID']);
  });

  it('one rule: the local user only in local mode, Slack users by id', () => {
    const config = loadConfig({ LOUPE_REVIEWERS: 'U0BOSS' });
    expect(mayWrite(config, { user: 'local' })).toEqual({ ok: true });
    expect(mayWrite(loadConfig({ LOUPE_SECRET: 's', LOUPE_REVIEWERS: '' }), { user: 'local' }).ok).toBe(
      false,
    );
    expect(mayWrite(loadConfig({ HOST: '0.0.0.0' }), { user: 'local' }).ok).toBe(false);
    expect(mayWrite(config, { user: 'U0BOSS' })).toEqual({ ok: true });
    expect(mayWrite(config, { user: 'U0EVIL' }).ok).toBe(false);
    expect(mayWrite(config, { user: 'U0BOSS', team: 'T1', homeTeam: 'T2' }).ok).toBe(false);
  });
});

const AT = new Date('2024-03-04T10:30:00Z');

describeEachDriver('Slack security', (ctx) => {
  let h: Harness;
  let rowIds: number[];
  beforeAll(async () => {
    h = await startHarness(ctx().database, {
      env: {
        LOUPE_REVIEWERS: 'U0BOSS',
        LOUPE_DIGEST_CHANNELS: 'C0HANG',
        LOUPE_DIGEST_CRON: '0 9 * * 1-5',
        LOUPE_TZ: 'UTC',
      },
      // A Monday after the digest's hour: sendDigests() has a digest due.
      clock: { now: () => AT },
      options: { webTimeoutMs: 150 },
    });
    ({ rowIds } = await seedRun(h.deps));
  });
  afterAll(async () => h?.close());

  it('2. a click from U0EVIL whose name is U0BOSS is refused', async () => {
    const url = h.slack.responseUrl('spoof');
    await h.send(
      blockActions(
        SECRET,
        {
          actionId: 'review:approve',
          value: `${rowIds[9]}:`,
          responseUrl: url,
          user: 'U0EVIL',
          userName: 'U0BOSS',
        },
        { at: AT },
      ),
    );
    const [r] = await h.slack.waitFor(
      () =>
        h.slack.responses.some((x) => x.id === 'spoof') && h.slack.responses.filter((x) => x.id === 'spoof'),
    );
    expect(String(r.body.text)).toContain('LOUPE_REVIEWERS');
    expect(await h.deps.db.select().from(reviews)).toEqual([]);
  });

  it('2. a slash-command batch from someone not on the list is refused too', async () => {
    const res = await h.send(
      slashCommand(
        SECRET,
        { text: 'batch evil from uncertain 3', responseUrl: h.slack.responseUrl(), user: 'U0EVIL' },
        { at: AT },
      ),
    );
    expect(JSON.stringify(await res.json())).toContain('LOUPE_REVIEWERS');
  });

  it('7. the fallback text escapes user input like the blocks do', async () => {
    const res = await h.send(
      slashCommand(SECRET, { text: '<!channel> now', responseUrl: h.slack.responseUrl() }, { at: AT }),
    );
    const answer = (await res.json()) as { text: string; blocks: unknown[] };
    expect(answer.text).not.toContain('<!channel>');
    expect(answer.text).toContain('&lt;!channel&gt;');
    expect(JSON.stringify(answer.blocks)).not.toContain('<!channel>');
  });

  it('8. a hung Web API call times out, is retried, and the failure is recorded', async () => {
    h.slack.fail('chat.postMessage', { status: 200, hangMs: 3000 }, 10);
    h.slack.fail('files.getUploadURLExternal', { status: 200, hangMs: 3000 }, 10);
    const result = await h.handler.sendDigests();
    expect(result).toEqual({ C0HANG: 'failed' });
    const timedOut = h.logs.filter((l) => l.includes('digest failed'));
    expect(timedOut.length).toBe(1);
    expect(timedOut[0]).toMatch(/timeout/i);
    // The harness's retry policy allows two retries: three attempts in all.
    const attempts = h.slack.attempts.filter((a) =>
      /chat\.postMessage|files\.getUploadURLExternal/.test(a.path),
    );
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    const [row] = await h.deps.db.select().from(digests);
    expect(row).toMatchObject({ channel: 'C0HANG', status: 'failed', messageTs: null });
  }, 15_000);
});

describeEachDriver('one reviewer rule for board and playground', (ctx) => {
  /** The board with the playground mounted, as `loupe serve` builds it. */
  async function boardWith(env: Record<string, string>, run: string) {
    const deps = testDeps(ctx().database, { config: loadConfig({ LOUPE_DEMO: '0', ...env }) });
    const { rowIds } = await seedRun(deps, run);
    const slack = createSlackHandler(deps);
    return { app: createWebApp(deps, { playground: slack.playground }), rowIds };
  }
  const headers = (token: string, cookie = '') => ({
    cookie,
    'content-type': 'application/json',
    'x-csrf-token': token,
    origin: 'http://localhost',
  });
  const csrfOf = (html: string) => /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';

  it('1. local mode with LOUPE_REVIEWERS: the local user may act on the board and in the playground alike', async () => {
    const { app, rowIds } = await boardWith({ HOST: '127.0.0.1', LOUPE_REVIEWERS: 'U0BOSS' }, 'pg-local');
    const token = csrfOf(await (await app.request('/')).text());
    const board = await app.request('/api/decisions', {
      method: 'POST',
      headers: headers(token),
      body: JSON.stringify({ decision: 'dismiss', rowIds: [rowIds[0]] }),
    });
    expect(board.status).toBe(200);
    const cmd = await app.request('/playground/command', {
      method: 'POST',
      headers: headers(token),
      body: JSON.stringify({ text: 'mislabels pg-local' }),
    });
    const [msg] = ((await cmd.json()) as { messages: { id: string; html: string }[] }).messages;
    const [, value, blockId] =
      /data-action-id="review:rework"[^>]*data-value="([^"]+)"[^>]*data-block-id="([^"]+)"/.exec(msg.html) ??
      [];
    expect(value).toBeDefined();
    const click = await app.request('/playground/action', {
      method: 'POST',
      headers: headers(token),
      body: JSON.stringify({ messageId: msg.id, actionId: 'review:rework', value, blockId }),
    });
    const html = JSON.stringify(await click.json());
    expect(html).not.toContain('LOUPE_REVIEWERS');
    expect(html).toContain('Sent to rework by');
  });
});
