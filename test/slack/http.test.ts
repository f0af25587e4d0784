import { request } from 'node:http';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/index.ts';
import { reviews, slackDeliveries, tags } from '../../db/schema.ts';
import { createSlackHandler } from '../../bot/index.ts';
import { defaultSources } from '../../bot/sources.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/deps.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { type Harness, SECRET, seedRun, startHarness } from './harness.ts';
import { blockActions, eventCallback, signed, slashCommand } from './signed.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';

type Answer = {
  response_type: string;
  text: string;
  blocks: {
    type: string;
    block_id?: string;
    text?: { text: string };
    elements?: { text?: string; action_id?: string; value?: string }[];
  }[];
};

describeEachDriver('Slack over HTTP', (ctx) => {
  let h: Harness;
  let rowIds: number[];
  const reviewCount = async () => (await h.deps.db.select({ n: count() }).from(reviews))[0].n;

  beforeAll(async () => {
    h = await startHarness(ctx().database);
    ({ rowIds } = await seedRun(h.deps));
  });
  afterAll(async () => h?.close());

  const command = async (text: string, opts: { user?: string; channel?: string } = {}) => {
    const res = await h.send(slashCommand(SECRET, { text, responseUrl: h.slack.responseUrl(), ...opts }));
    expect(res.status).toBe(200);
    return (await res.json()) as Answer;
  };
  const all = (a: Answer) => JSON.stringify(a.blocks);

  it('calls auth.test against the configured Web API at start', () => {
    expect(h.slack.callsTo('auth.test').length).toBeGreaterThanOrEqual(1);
  });

  describe('commands on an analysed run', () => {
    it('help, and unknown text gets help with the reason (never an error)', async () => {
      expect(all(await command('help'))).toContain('/loupe worst-classes');
      const unknown = await command('frobnicate now');
      expect(unknown.response_type).toBe('ephemeral');
      expect(all(unknown)).toContain("I don't know `frobnicate`");
    });

    it('runs: the headline metric', async () => {
      const a = await command('runs');
      expect(all(a)).toContain('run-a');
      expect(all(a)).toMatch(/accuracy 0\.8333/); // 10 of 12 labeled rows agree
    });

    it('worst-classes: worst by recall first, with a chart link', async () => {
      const a = await command('worst-classes by recall 3');
      const text = all(a);
      // recall: cat 3/4 and dog 3/4 (ties by name), then <!channel> 4/4; the mrkdwn stays escaped.
      expect(text).toMatch(
        /1\. \*cat\* — recall 0\.750.*\\n2\. \*dog\* — recall 0\.750.*\\n3\. \*&lt;!channel&gt;\* — recall 1\.000/,
      );
      expect(text).not.toContain('<!channel>');
      expect(text).toContain('Bar chart');
      expect(a.text).toBe('Worst classes by recall: 3 matched');
    });

    it('errors: disagreements, least confident first, with review buttons', async () => {
      const a = await command('errors');
      expect(a.text).toBe('Model errors: 2 matched');
      expect(all(a)).toContain('cat → dog');
      expect(all(a)).toContain('dog → &lt;!channel&gt;');
      expect(all(a)).toContain(
        '/gallery?iou_lt=0.5&sort=confidence:asc'.replace(/[?=&:/]/g, (c) => encodeURIComponent(c)),
      );
    });

    it('mislabels: given → suggested', async () => {
      const a = await command('mislabels 5');
      expect(a.text).toBe('Suspected label mistakes: 2 matched');
      expect(a.blocks.filter((b) => b.type === 'actions')).toHaveLength(2);
    });

    it('uncertain: unlabeled rows with a Create batch button', async () => {
      const a = await command('uncertain 3');
      expect(a.text).toBe('Most uncertain unlabeled rows: 3 matched');
      expect(all(a)).toContain('batch:create');
    });

    it('a run that does not exist gets the closest names', async () => {
      const a = await command('errors run-b');
      expect(a.text).toContain('No run named `run-b`. Did you mean `run-a`?');
    });

    it('batch from uncertain creates the batch and says where it is', async () => {
      const a = await command('batch first from uncertain 2');
      expect(a.text).toContain('Batch');
      expect(all(a)).toContain('created by <@U0ALICE> with 2 rows');
      const again = await command('batch first from uncertain 2');
      expect(again.text).toContain('already exists');
    });

    it('board: a signed link for the caller', async () => {
      const a = await command('board');
      expect(all(a)).toMatch(
        /https:\/\/loupe\.example\.com\/auth\/link\?to=%2F&u=U0ALICE&exp=\d+&n=[\w-]+&sig=/,
      );
    });

    it('public answers go to the channel', async () => {
      expect((await command('runs public')).response_type).toBe('in_channel');
    });
  });

  describe('requests that are not from Slack', () => {
    const body = () => slashCommand(SECRET, { text: 'runs', responseUrl: h.slack.responseUrl() });
    it.each([
      [
        'bad signature',
        (r: ReturnType<typeof body>) => ({
          ...r,
          headers: {
            ...r.headers,
            'x-slack-signature': r.headers['x-slack-signature'].replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')),
          },
        }),
      ],
      [
        'stale timestamp',
        () =>
          slashCommand(SECRET, { text: 'runs', responseUrl: 'x' }, { at: new Date(Date.now() - 301_000) }),
      ],
      [
        'missing signature',
        (r: ReturnType<typeof body>) => ({
          ...r,
          headers: {
            'content-type': r.headers['content-type'],
            'x-slack-request-timestamp': r.headers['x-slack-request-timestamp'],
          },
        }),
      ],
      [
        'missing timestamp',
        (r: ReturnType<typeof body>) => ({
          ...r,
          headers: {
            'content-type': r.headers['content-type'],
            'x-slack-signature': r.headers['x-slack-signature'],
          },
        }),
      ],
      [
        'body changed after signing',
        (r: ReturnType<typeof body>) => ({ ...r, body: r.body.replace('text=runs', 'text=board') }),
      ],
    ])('%s → 401, nothing recorded', async (_name, tamper) => {
      const before = {
        reviews: await reviewCount(),
        calls: h.slack.calls.length,
        responses: h.slack.responses.length,
      };
      const res = await h.send(tamper(body()));
      expect(res.status).toBe(401);
      expect({
        reviews: await reviewCount(),
        calls: h.slack.calls.length,
        responses: h.slack.responses.length,
      }).toEqual(before);
    });

    it('a signed click with a tampered body → 401 and no decision', async () => {
      const req = blockActions(SECRET, {
        actionId: 'review:approve',
        value: `${rowIds[0]}:`,
        responseUrl: h.slack.responseUrl(),
      });
      const before = await reviewCount();
      const res = await h.send({ ...req, body: req.body.replace('U0ALICE', 'U0EVE') });
      expect(res.status).toBe(401);
      expect(await reviewCount()).toBe(before);
    });

    it('unsigned ssl_check → 200; url_verification echoes the challenge', async () => {
      const ssl = await h.send({
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'ssl_check=1&token=x',
      });
      expect(ssl.status).toBe(200);
      const challenge = await h.send(
        signed(
          SECRET,
          JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' }),
          'application/json',
        ),
      );
      expect(await challenge.json()).toEqual({ challenge: 'c-123' });
    });

    it('a body over the limit → 413 before verification', async () => {
      // Its own connection: the server answers before reading the body and closes the socket.
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          h.url,
          { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(`text=${'a'.repeat(300 * 1024)}`);
      });
      expect(status).toBe(413);
    });

    it.each([
      ['payload=not-json', 'payload=not-json', 'application/x-www-form-urlencoded'],
      [
        'block_actions without actions',
        new URLSearchParams({
          payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' } }),
        }).toString(),
        'application/x-www-form-urlencoded',
      ],
      ['a form that is neither command nor payload', 'foo=bar', 'application/x-www-form-urlencoded'],
      ['JSON without a type', '{"x":1}', 'application/json'],
    ])('signed but malformed (%s) → 400, no crash', async (_n, raw, type) => {
      const res = await h.send(signed(SECRET, raw, type));
      expect(res.status).toBe(400);
      expect((await command('help')).text).toBe('Loupe commands');
    });

    it('a slash command in another content type → 415', async () => {
      const res = await h.send(signed(SECRET, 'command=%2Floupe&text=runs&user_id=U1', 'text/plain'));
      expect(res.status).toBe(415);
    });
  });

  describe('buttons', () => {
    const clickOn = async (
      answer: Answer,
      rowId: number,
      actionId: string,
      opts: { user?: string; ts: string; team?: string },
    ) => {
      const value = answer.blocks
        .find((b) => b.block_id === `act:${rowId}`)
        ?.elements?.find((e) => e.action_id === actionId)?.value;
      const responseUrl = h.slack.responseUrl();
      const res = await h.send(
        blockActions(SECRET, {
          actionId,
          value,
          blockId: `act:${rowId}`,
          responseUrl,
          user: opts.user,
          team: opts.team,
          message: { ts: opts.ts, text: answer.text, blocks: answer.blocks },
        }),
      );
      expect(res.status).toBe(200);
      const id = responseUrl.split('/').pop();
      return () => h.slack.responses.filter((r) => r.id === id);
    };
    const decisionsOf = (rowId: number) => h.deps.db.select().from(reviews).where(eq(reviews.rowId, rowId));

    it('Approve records who/when/source=slack and replaces the buttons', async () => {
      const answer = await command('mislabels public');
      const target = rowIds[9];
      const sent = await clickOn(answer, target, 'review:approve', { ts: '1700000001.000001' });
      const [update] = await h.slack.waitFor(() => sent().length >= 1 && sent());
      expect(update.body.replace_original).toBe(true);
      expect(JSON.stringify(update.body.blocks)).toContain('✅ Approved by <@U0ALICE>');
      expect(JSON.stringify(update.body.blocks)).toContain('review:rework'); // the other row keeps its buttons
      const rows = await decisionsOf(target);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        decision: 'approve',
        actor: 'U0ALICE',
        actorName: 'alice',
        source: 'slack',
      });
    });

    it('a double click or retry records once; the second clicker is told who acted', async () => {
      const answer = await command('errors public');
      const target = rowIds[10];
      const first = await clickOn(answer, target, 'review:rework', { ts: '1700000002.000001' });
      await h.slack.waitFor(() => first().length >= 1);
      const second = await clickOn(answer, target, 'review:rework', {
        user: 'U0BOB',
        ts: '1700000002.000001',
      });
      const [told] = await h.slack.waitFor(() => second().length >= 1 && second());
      expect(told.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
      expect(String(told.body.text)).toContain('already sent to rework by <@U0ALICE>');
      expect(await decisionsOf(target)).toHaveLength(1);
      const [tag] = await h.deps.db.select().from(tags).where(eq(tags.rowId, target));
      expect(tag.tag).toBe('re-label');
      expect((await command('rework')).text).toBe('Rework queue: 1 matched');
    });

    it('approve and rework racing on one message: exactly one wins', async () => {
      const { rowIds: fresh } = await seedRun(h.deps, 'run-race');
      const answer = await command('mislabels run-race public');
      const target = fresh[9];
      const ts = '1700000003.000001';
      const [a, b] = await Promise.all([
        clickOn(answer, target, 'review:approve', { ts, user: 'U0ALICE' }),
        clickOn(answer, target, 'review:rework', { ts, user: 'U0BOB' }),
      ]);
      await h.slack.waitFor(() => a().length >= 1 && b().length >= 1);
      expect(await decisionsOf(target)).toHaveLength(1);
      const loser = [...a(), ...b()].filter((r) => r.body.response_type === 'ephemeral');
      expect(loser).toHaveLength(1);
      expect(String(loser[0].body.text)).toMatch(/already (approved|sent to rework) by/);
    });

    it('a click naming a missing row is refused with an explanation', async () => {
      const responseUrl = h.slack.responseUrl();
      await h.send(blockActions(SECRET, { actionId: 'review:approve', value: '99999999:', responseUrl }));
      const id = responseUrl.split('/').pop();
      const [r] = await h.slack.waitFor(
        () =>
          h.slack.responses.filter((x) => x.id === id).length && h.slack.responses.filter((x) => x.id === id),
      );
      expect(String(r.body.text)).toContain('no longer exists');
      expect(
        await h.deps.db
          .select()
          .from(slackDeliveries)
          .where(eq(slackDeliveries.key, 'click:99999999:1700000000.000100')),
      ).toEqual([]);
    });

    it('a click from another workspace is refused', async () => {
      const answer = await command('mislabels public');
      const before = await reviewCount();
      const sent = await clickOn(answer, rowIds[9], 'review:rework', {
        ts: '1700000004.000001',
        team: 'T0OTHER',
      });
      const [r] = await h.slack.waitFor(() => sent().length && sent());
      expect(String(r.body.text)).toContain('another workspace');
      expect(await reviewCount()).toBe(before);
    });

    it('Open (a URL button) and unknown action ids are acknowledged', async () => {
      const res = await h.send(
        blockActions(SECRET, { actionId: 'open', responseUrl: h.slack.responseUrl() }),
      );
      expect(res.status).toBe(200);
      const url = h.slack.responseUrl();
      const unknown = await h.send(blockActions(SECRET, { actionId: 'mystery', responseUrl: url }));
      expect(unknown.status).toBe(200);
      const id = url.split('/').pop();
      const [r] = await h.slack.waitFor(
        () =>
          h.slack.responses.filter((x) => x.id === id).length && h.slack.responses.filter((x) => x.id === id),
      );
      expect(String(r.body.text)).toContain("That button isn't one of mine");
    });
  });

  describe('events and the Web API', () => {
    it('an Events API retry has one side effect per event_id', async () => {
      const event = {
        type: 'app_mention',
        user: 'U0ALICE',
        text: '<@U0BOT> runs',
        channel: 'C0MENTION',
        ts: '1700000010.000001',
      };
      const first = await h.send(eventCallback(SECRET, { eventId: 'Ev1', event }));
      const retry = await h.send(
        eventCallback(
          SECRET,
          { eventId: 'Ev1', event },
          { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } },
        ),
      );
      expect([first.status, retry.status]).toEqual([200, 200]);
      await h.slack.waitFor(() =>
        h.slack.callsTo('chat.postMessage').some((c) => c.body.channel === 'C0MENTION'),
      );
      await new Promise((r) => setTimeout(r, 300));
      const posts = h.slack.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C0MENTION');
      expect(posts).toHaveLength(1);
      expect(posts[0].body.unfurl_links).toBe('false');
    });

    it('a 429 from the Web API is retried after Retry-After, never dropped', async () => {
      h.slack.fail('chat.postMessage', { status: 429, retryAfter: 1 });
      const started = Date.now();
      const responseUrl = h.slack.responseUrl('rate');
      const res = await h.send(slashCommand(SECRET, { text: 'digest', responseUrl, channel: 'C0RATE' }));
      const a = (await res.json()) as Answer;
      // Fast enough: the confirmation is the ack; otherwise it follows through response_url.
      const confirmation =
        a.text === 'Working on it…'
          ? (await h.slack.waitFor(() => h.slack.responses.find((r) => r.id === 'rate'))).body.text
          : a.text;
      expect(confirmation).toContain("Posted today's digest here.");
      const tries = h.slack.attempts.filter((x) => x.path === '/api/chat.postMessage' && x.at >= started);
      expect(tries.map((t) => t.status)).toEqual([429, 200]);
      expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(950);
      expect(h.slack.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C0RATE')).toHaveLength(1);
      expect(h.slack.uploads.length).toBeGreaterThanOrEqual(1);
      expect(h.slack.invalid).toEqual([]);
    });
  });
});

describe('Slack handler configuration and failures', () => {
  let shared: Awaited<ReturnType<typeof createDb>>;
  beforeAll(async () => {
    shared = await createDb();
  });
  afterAll(async () => shared?.close());
  const fresh = async () => {
    // A clean slate on the shared in-memory database (cheaper than a new one per test).
    await shared.db.execute(sql`truncate reviews, tags, slack_deliveries, batches, datasets cascade`);
    return shared;
  };
  it('refuses to start with a bot token and an empty signing secret', async () => {
    const database = await fresh();
    const deps = {
      db: database.db,
      database,
      config: loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: '' }),
      logger: createLogger({ level: 'silent' }),
      clock: { now: () => new Date() },
      objectCache: createObjectCache(),
    };
    expect(() => createSlackHandler(deps)).toThrow('SLACK_SIGNING_SECRET is empty');
  });

  it('without credentials: 503 on /slack/events and a start-up line pointing at the playground', async () => {
    const database = await fresh();
    const logs: string[] = [];
    const deps = {
      db: database.db,
      database,
      config: loadConfig({ HOST: '127.0.0.1', PORT: '3000' }),
      logger: createLogger({ write: (l) => logs.push(l) }),
      clock: { now: () => new Date() },
      objectCache: createObjectCache(),
    };
    const handler = createSlackHandler(deps);
    await handler.start();
    const res = await handler.app.request('/', { method: 'POST' });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('/playground');
    expect(logs.join('\n')).toContain('Slack bot is off');
    expect(logs.join('\n')).toContain('http://127.0.0.1:3000/playground');
  });

  it('an exception inside a handler: a short apology with a reference id, the stack logged', async () => {
    const database = await fresh();
    const h = await startHarness(database, {
      options: {
        sources: {
          ...defaultSources,
          listRuns: async () => {
            throw new Error('boom in listRuns');
          },
        },
      },
    });
    try {
      const res = await h.send(slashCommand(SECRET, { text: 'runs', responseUrl: h.slack.responseUrl() }));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { text: string };
      const ref = /reference `([0-9a-f]{8})`/.exec(JSON.stringify(body))?.[1];
      expect(ref).toBeTruthy();
      expect(body.text).not.toContain('boom');
      const line = h.logs.find((l) => l.includes(ref as string));
      expect(line).toContain('boom in listRuns');
      expect(line).toContain('"stack"');
    } finally {
      await h.close();
    }
  });

  it('database down: Slack still gets 200 with an apology', async () => {
    const database = await createDb(); // its own: this one gets closed
    const h = await startHarness(database);
    await database.close();
    try {
      const res = await h.send(
        slashCommand(SECRET, { text: 'mislabels', responseUrl: h.slack.responseUrl() }),
      );
      expect(res.status).toBe(200);
      expect(JSON.stringify(await res.json())).toContain("Sorry, that didn't work");
    } finally {
      await h.close();
    }
  });

  it('a slow answer is acknowledged at once and delivered through response_url (5xx retried)', async () => {
    const database = await fresh();
    const slow = {
      ...defaultSources,
      listRuns: async (db: Parameters<typeof defaultSources.listRuns>[0]) => {
        await new Promise((r) => setTimeout(r, 400));
        return defaultSources.listRuns(db);
      },
    };
    const h = await startHarness(database, { options: { sources: slow, fastAckMs: 50 } });
    try {
      const responseUrl = h.slack.responseUrl('slow');
      h.slack.fail('response', { status: 503 }, 1);
      const started = Date.now();
      const res = await h.send(slashCommand(SECRET, { text: 'runs', responseUrl }));
      expect(Date.now() - started).toBeLessThan(2500); // inside Slack's 3 s
      expect(await res.json()).toEqual({ response_type: 'ephemeral', text: 'Working on it…' });
      const [late] = await h.slack.waitFor(
        () =>
          h.slack.responses.filter((r) => r.id === 'slow').length &&
          h.slack.responses.filter((r) => r.id === 'slow'),
      );
      expect(late.body.text).toBe('Model runs: nothing matched');
      expect(h.slack.attempts.filter((a) => a.path === '/response/slow').map((a) => a.status)).toEqual([
        503, 200,
      ]);
    } finally {
      await h.close();
    }
  });

  it('a reviewer allow-list refuses others with an ephemeral explanation', async () => {
    const database = await fresh();
    const h = await startHarness(database, { env: { LOUPE_REVIEWERS: 'U0ALICE' } });
    try {
      const { rowIds } = await seedRun(h.deps);
      const url = h.slack.responseUrl('refuse');
      await h.send(
        blockActions(SECRET, {
          actionId: 'review:approve',
          value: `${rowIds[9]}:`,
          responseUrl: url,
          user: 'U0MALLORY',
          userName: 'mallory',
        }),
      );
      const [r] = await h.slack.waitFor(
        () =>
          h.slack.responses.filter((x) => x.id === 'refuse').length &&
          h.slack.responses.filter((x) => x.id === 'refuse'),
      );
      expect(r.body).toMatchObject({ response_type: 'ephemeral' });
      expect(String(r.body.text)).toContain('LOUPE_REVIEWERS');
      expect(await h.deps.db.select().from(reviews)).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('a used-up response_url falls back to chat.update for the replacement', async () => {
    const database = await fresh();
    const h = await startHarness(database);
    try {
      const { rowIds } = await seedRun(h.deps);
      const answer = (await (
        await h.send(slashCommand(SECRET, { text: 'mislabels public', responseUrl: h.slack.responseUrl() }))
      ).json()) as Answer;
      const url = h.slack.responseUrl('spent');
      for (let i = 0; i < 5; i++)
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"text":"x"}',
        });
      const value = answer.blocks.find((b) => b.block_id === `act:${rowIds[9]}`)?.elements?.[0].value;
      await h.send(
        blockActions(SECRET, {
          actionId: 'review:approve',
          value,
          responseUrl: url,
          message: { ts: '1700000020.000001', text: answer.text, blocks: answer.blocks },
        }),
      );
      const [upd] = await h.slack.waitFor(
        () => h.slack.callsTo('chat.update').length && h.slack.callsTo('chat.update'),
      );
      expect(upd.body).toMatchObject({ channel: 'C0GENERAL', ts: '1700000020.000001' });
      expect(JSON.stringify(upd.body.blocks)).toContain('Approved by <@U0ALICE>');
    } finally {
      await h.close();
    }
  });
});
