import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackHandler, type SlackHandler } from '../../bot/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger, type Deps } from '../../src/deps.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { type FakeSlack, startFakeSlack } from './fake-slack.ts';
import { seedRun } from './harness.ts';

describeEachDriver('Socket Mode', (ctx) => {
  let slack: FakeSlack;
  let handler: SlackHandler;

  beforeAll(async () => {
    slack = await startFakeSlack();
    const deps: Deps = {
      db: ctx().database.db,
      database: ctx().database,
      config: loadConfig({
        LOUPE_DEMO: '0',
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_APP_TOKEN: 'xapp-test',
        SLACK_API_URL: slack.apiUrl,
        LOUPE_SECRET: 'link-secret',
        LOUPE_PUBLIC_URL: 'https://loupe.example.com',
      }),
      logger: createLogger({ level: 'error', write: () => {} }),
      clock: { now: () => new Date() },
      objectCache: createObjectCache(),
    };
    await seedRun(deps, 'socket-run');
    handler = createSlackHandler(deps, { schedule: false, postIntervalMs: 0 });
    expect(handler.mode).toBe('socket');
    await handler.start();
  });
  afterAll(async () => {
    await handler?.stop();
    await slack?.close();
  });

  it('opens the connection with the app token, takes a slash command envelope and acks it with the answer', async () => {
    await slack.socket.connected();
    expect(slack.callsTo('apps.connections.open')).toHaveLength(1);
    slack.socket.send({
      envelope_id: 'env-1',
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        token: 'unused',
        team_id: 'T0FAKE',
        team_domain: 'fake',
        channel_id: 'C0GENERAL',
        channel_name: 'general',
        user_id: 'U0ALICE',
        user_name: 'alice',
        command: '/loupe',
        text: 'runs',
        api_app_id: 'A0LOUPE',
        response_url: slack.responseUrl(),
        trigger_id: '1.2.3',
      },
    });
    const ack = await slack.waitFor(() => slack.socket.received.find((e) => e.envelope_id === 'env-1'));
    const payload = ack.payload as { response_type: string; text: string; blocks: unknown[] };
    expect(payload.response_type).toBe('ephemeral');
    expect(JSON.stringify(payload.blocks)).toContain('socket-run');
  });
});

describe('Slack app manifests', () => {
  const read = (name: string) =>
    JSON.parse(readFileSync(new URL(`../../bot/${name}`, import.meta.url), 'utf8')) as {
      oauth_config: { scopes: { bot: string[] }; redirect_urls?: string[] };
      settings: { socket_mode_enabled: boolean; event_subscriptions: { request_url?: string } };
      features: { slash_commands: { url?: string }[] };
    };

  it('ask for exactly the bot scopes the code needs, over HTTP and over Socket Mode', () => {
    // Web API methods the bot calls (bot/**), and what Slack requires for each.
    const needed = [
      'commands', // the slash command
      'app_mentions:read', // @loupe mentions
      'chat:write', // chat.postMessage, chat.update
      'chat:write.public', // the digest in channels it has not joined
      'files:write', // filesUploadV2 (the digest chart)
      'channels:join', // conversations.join before uploading
      'im:write', // conversations.open for a batch owner's DM
      'channels:history', // conversations.history: a recovered digest looks for its message first
      'groups:history', // … in a private channel it was invited to
      'users:read', // users.info: the board names the signed-in user
    ].sort();
    const http = read('manifest.json');
    const socket = read('manifest.socket.json');
    expect([...http.oauth_config.scopes.bot].sort()).toEqual(needed);
    expect([...socket.oauth_config.scopes.bot].sort()).toEqual(needed);
    expect(http.settings.socket_mode_enabled).toBe(false);
    expect(socket.settings.socket_mode_enabled).toBe(true);
    // Socket Mode needs no public URL for events or commands.
    expect(socket.settings.event_subscriptions.request_url).toBeUndefined();
    expect(socket.features.slash_commands[0].url).toBeUndefined();
  });

  it('the code calls no Web API method beyond those scopes', () => {
    const scopeOf: Record<string, string | null> = {
      'auth.test': null,
      'chat.postMessage': 'chat:write',
      'chat.update': 'chat:write',
      'conversations.join': 'channels:join',
      'conversations.open': 'im:write',
      'conversations.history': 'channels:history',
      'users.info': 'users:read',
      filesUploadV2: 'files:write',
    };
    const root = new URL('../../bot/', import.meta.url);
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const called = new Set<string>();
    for (const f of files) {
      const src = readFileSync(new URL(f, root), 'utf8');
      for (const m of src.matchAll(/client\.([a-zA-Z]+)\.([a-zA-Z]+)\(/g)) called.add(`${m[1]}.${m[2]}`);
      for (const m of src.matchAll(/client\.(filesUploadV2)\(/g)) called.add(m[1]);
    }
    expect([...called].sort()).toEqual(Object.keys(scopeOf).sort());
    const scopes = read('manifest.json').oauth_config.scopes.bot;
    for (const method of called) {
      const scope = scopeOf[method];
      if (scope) expect(scopes).toContain(scope);
    }
  });
});
