import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { blockKitViolations } from './limits.ts';

export interface ApiCall {
  method: string;
  body: Record<string, unknown>;
  at: number;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

export interface Fault {
  status: number;
  retryAfter?: number;
  body?: string;
  /** Answer only after this long (a hung Slack); callers with a shorter timeout give up first. */
  hangMs?: number;
}

/** A conversation as the fake knows it; unknown ids are public channels the bot is not in. */
export interface FakeChannel {
  kind: 'public' | 'private' | 'im';
  /** The bot is a member (invited, joined, or its own DM). */
  member: boolean;
  archived?: boolean;
}

/** The bot scopes the fake grants unless a test takes some away (bot/manifest.json's list). */
export const FAKE_SCOPES = [
  'commands',
  'chat:write',
  'chat:write.public',
  'files:write',
  'app_mentions:read',
  'channels:join',
  'im:write',
  'channels:history',
  'groups:history',
  'users:read',
];

/** The scope each Web API method needs (Slack's method reference). */
const METHOD_SCOPE: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'conversations.join': 'channels:join',
  'conversations.open': 'im:write',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  'users.info': 'users:read',
};

/** conversations.history needs the history scope of the conversation's kind. */
const HISTORY_SCOPE: Record<FakeChannel['kind'], string> = {
  public: 'channels:history',
  private: 'groups:history',
  im: 'im:history',
};

/** A message as conversations.history returns it. */
export interface FakeMessage {
  type: 'message';
  ts: string;
  text: unknown;
  blocks?: unknown;
  user: string;
  bot_id: string;
  app_id: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/** A workspace member as users.info returns it. */
export interface FakeUser {
  id: string;
  name: string;
  real_name?: string;
  profile: { display_name?: string; real_name?: string };
  deleted?: boolean;
}

/**
 * Slack's checks on `metadata` (chat.postMessage): a JSON object with an `event_type` string and an
 * `event_payload` object. Returns the error Slack answers, or null.
 */
function metadataError(raw: unknown): string | null {
  let md: unknown = raw;
  if (typeof raw === 'string') {
    try {
      md = JSON.parse(raw);
    } catch {
      return 'invalid_metadata_format';
    }
  }
  if (!md || typeof md !== 'object' || Array.isArray(md)) return 'invalid_metadata_format';
  const { event_type, event_payload } = md as Record<string, unknown>;
  if (typeof event_type !== 'string' || !event_type) return 'invalid_metadata_schema';
  if (!event_payload || typeof event_payload !== 'object' || Array.isArray(event_payload))
    return 'invalid_metadata_schema';
  return null;
}

export interface FakeSlack {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** What SLACK_API_URL is set to. */
  apiUrl: string;
  calls: ApiCall[];
  responses: ResponseUrlPost[];
  uploads: { id: string; bytes: number }[];
  /** Calls that failed validation, with the reasons. */
  invalid: { method: string; errors: string[] }[];
  /** Every request seen, faults included (to count retries). */
  attempts: { path: string; at: number; status: number }[];
  /** A fresh response_url (usable 5 times, like Slack's). */
  responseUrl(id?: string): string;
  /** The next `times` requests to `target` (API method or 'response') answer with the fault. */
  fail(target: string, fault: Fault, times?: number): void;
  callsTo(method: string): ApiCall[];
  /** Describe a conversation (default for unknown ids: public, bot not a member). */
  channel(id: string, c: FakeChannel): void;
  /** The bot's scopes (default FAKE_SCOPES); a call needing another answers `missing_scope`. */
  scopes: Set<string>;
  /** Each conversation's messages, oldest first (what conversations.history reads). */
  history: Map<string, FakeMessage[]>;
  /** Workspace members for users.info; unknown ids answer `user_not_found`. */
  users: Map<string, FakeUser>;
  /**
   * Sign in with Slack: the identity provider's side. Its authorize page signs in `user` at once
   * (as if they clicked Allow) and redirects back with a one-time code.
   */
  oidc: {
    clientId: string;
    clientSecret: string;
    user: string;
    /** Make the next ID token wrong on purpose. */
    tamper: null | 'nonce' | 'aud';
    /** Codes issued and redeemed, for tests. */
    issued: number;
    redeemed: number;
  };
  /** Socket Mode: the app's WebSocket after `apps.connections.open` (an `xapp-` token). */
  socket: {
    /** Envelopes the app sent back (acks). */
    received: Record<string, unknown>[];
    /** Resolves once an app is connected and greeted with `hello`. */
    connected(): Promise<void>;
    /** Send an envelope to the connected app. */
    send(envelope: Record<string, unknown>): void;
  };
  waitFor<T>(fn: () => T, timeoutMs?: number): Promise<Exclude<T, 0 | '' | false | null | undefined>>;
  close(): Promise<void>;
}

export const FAKE_TEAM = 'T0FAKE';
export const FAKE_BOT_USER = 'U0BOT';

/**
 * A loopback Slack Web API for tests and local runs: records calls, validates message payloads
 * against Block Kit limits (answering `invalid_blocks` like Slack), implements the three steps of
 * files.uploadV2, serves response_urls (5 uses each), and injects 429/5xx faults on request.
 *
 * @example
 * const slack = await startFakeSlack();
 * process.env.SLACK_API_URL = slack.apiUrl;
 */
export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: ApiCall[] = [];
  const responses: ResponseUrlPost[] = [];
  const uploads: { id: string; bytes: number }[] = [];
  const invalid: { method: string; errors: string[] }[] = [];
  const attempts: { path: string; at: number; status: number }[] = [];
  const faults = new Map<string, { fault: Fault; left: number }>();
  const responseUses = new Map<string, number>();
  const channels = new Map<string, FakeChannel>();
  const scopes = new Set(FAKE_SCOPES);
  const history = new Map<string, FakeMessage[]>();
  const users = new Map<string, FakeUser>();
  const oidc: FakeSlack['oidc'] = {
    clientId: '111.222',
    clientSecret: 'oidc-client-secret',
    user: 'U0ALICE',
    tamper: null,
    issued: 0,
    redeemed: 0,
  };
  const codes = new Map<string, { nonce: string; clientId: string; redirectUri: string; user: string }>();
  const userTokens = new Map<string, string>();
  const jwt = (claims: Record<string, unknown>) =>
    [{ alg: 'RS256', typ: 'JWT' }, claims, 'fake-signature']
      .map((p) => Buffer.from(typeof p === 'string' ? p : JSON.stringify(p)).toString('base64url'))
      .join('.');
  const channelOf = (id: string): FakeChannel =>
    channels.get(id) ?? {
      kind: id.startsWith('D') ? 'im' : id.startsWith('G') ? 'private' : 'public',
      member: false,
    };
  let seq = 0;
  let base = '';

  const read = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const parse = (req: IncomingMessage, raw: Buffer): Record<string, unknown> => {
    const type = req.headers['content-type'] ?? '';
    const text = raw.toString('utf8');
    if (type.includes('json')) return text ? JSON.parse(text) : {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(text)) {
      out[k] =
        (k === 'blocks' || k === 'attachments' || k === 'files') && v.startsWith('[') ? JSON.parse(v) : v;
      // Form-encoded metadata is a JSON string; its checks (metadataError) parse it.
    }
    return out;
  };

  const server: Server = createServer(async (req, res) => {
    const raw = await read(req);
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      attempts.push({ path, at: Date.now(), status });
      res.writeHead(status, {
        'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
        ...headers,
      });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const target = path.startsWith('/api/')
      ? path.slice(5)
      : path.startsWith('/response/')
        ? 'response'
        : path.startsWith('/upload/')
          ? 'upload'
          : path;
    const f = faults.get(target);
    if (f && f.left > 0) {
      f.left--;
      if (f.fault.hangMs) {
        // Status 0: a request that got no answer in time (the caller gave up first).
        attempts.push({ path, at: Date.now(), status: 0 });
        await new Promise((r) => setTimeout(r, f.fault.hangMs));
        if (res.writableEnded || !res.socket || res.socket.destroyed) return;
      }
      return send(
        f.fault.status,
        f.fault.body ?? (f.fault.status === 429 ? { ok: false, error: 'ratelimited' } : 'fault'),
        f.fault.retryAfter !== undefined ? { 'retry-after': String(f.fault.retryAfter) } : {},
      );
    }
    if (target === 'response') {
      const id = path.slice('/response/'.length);
      const uses = (responseUses.get(id) ?? 0) + 1;
      responseUses.set(id, uses);
      if (uses > 5) return send(404, 'used_url');
      const body = parse(req, raw);
      const errors = blockKitViolations(body.blocks, body.text);
      if (errors.length) {
        invalid.push({ method: 'response', errors });
        return send(400, 'invalid_blocks');
      }
      responses.push({ id, body, at: Date.now() });
      return send(200, 'ok');
    }
    if (target === 'upload') {
      uploads.push({ id: path.slice('/upload/'.length), bytes: raw.length });
      return send(200, 'OK - uploaded');
    }
    if (path === '/openid/connect/authorize') {
      const q = new URL(req.url ?? '/', base).searchParams;
      const redirectUri = q.get('redirect_uri') ?? '';
      if (q.get('client_id') !== oidc.clientId || q.get('response_type') !== 'code')
        return send(400, 'invalid_client_id');
      if (!(q.get('scope') ?? '').split(' ').includes('openid')) return send(400, 'invalid_scope');
      const code = `code${++seq}`;
      codes.set(code, { nonce: q.get('nonce') ?? '', clientId: oidc.clientId, redirectUri, user: oidc.user });
      oidc.issued++;
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      return send(302, '', { location: back.toString() });
    }
    if (!path.startsWith('/api/')) return send(404, 'not found');
    let body: Record<string, unknown>;
    try {
      body = parse(req, raw);
    } catch {
      return send(200, { ok: false, error: 'invalid_json' });
    }
    const auth = req.headers.authorization ?? (body.token ? `Bearer ${body.token}` : '');
    if (target === 'openid.connect.token') {
      const form = parse(req, raw);
      const grant = codes.get(String(form.code));
      if (form.client_id !== oidc.clientId || form.client_secret !== oidc.clientSecret)
        return send(200, { ok: false, error: 'invalid_client' });
      if (!grant || grant.redirectUri !== form.redirect_uri)
        return send(200, { ok: false, error: 'invalid_code' });
      codes.delete(String(form.code));
      oidc.redeemed++;
      const access = `xoxp-${++seq}`;
      userTokens.set(access, grant.user);
      const tamper = oidc.tamper;
      oidc.tamper = null;
      return send(200, {
        ok: true,
        access_token: access,
        token_type: 'Bearer',
        id_token: jwt({
          iss: 'https://slack.com',
          sub: grant.user,
          aud: tamper === 'aud' ? 'someone-else' : grant.clientId,
          exp: Math.floor(Date.now() / 1000) + 3600,
          iat: Math.floor(Date.now() / 1000),
          nonce: tamper === 'nonce' ? 'forged-nonce' : grant.nonce,
          'https://slack.com/user_id': grant.user,
          'https://slack.com/team_id': FAKE_TEAM,
        }),
      });
    }
    if (target === 'openid.connect.userInfo') {
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const user = userTokens.get(token);
      if (!user) return send(200, { ok: false, error: 'invalid_auth' });
      return send(200, {
        ok: true,
        sub: user,
        'https://slack.com/user_id': user,
        'https://slack.com/team_id': FAKE_TEAM,
        name: 'Alice',
      });
    }
    if (target === 'apps.connections.open') {
      // Socket Mode: an app-level token opens a WebSocket URL.
      if (!auth.startsWith('Bearer xapp-')) return send(200, { ok: false, error: 'invalid_auth' });
      calls.push({ method: target, body, at: Date.now() });
      return send(200, { ok: true, url: `${base.replace('http', 'ws')}/link/?ticket=t${++seq}` });
    }
    if (!auth.startsWith('Bearer xoxb-')) return send(200, { ok: false, error: 'not_authed' });
    calls.push({ method: target, body, at: Date.now() });
    const needed = METHOD_SCOPE[target];
    if (needed && !scopes.has(needed))
      return send(200, { ok: false, error: 'missing_scope', needed, provided: [...scopes].join(',') });
    // Slack's answers for conversations the bot cannot see or use.
    const channelId = String(body.channel ?? body.channel_id ?? '');
    const conv = channelId ? channelOf(channelId) : null;
    if (conv?.archived && target !== 'conversations.join')
      return send(200, { ok: false, error: 'is_archived' });
    if (conv && !conv.member && conv.kind !== 'public' && target !== 'conversations.join')
      return send(200, { ok: false, error: 'channel_not_found' });
    switch (target) {
      case 'conversations.join': {
        if (!conv) return send(200, { ok: false, error: 'channel_not_found' });
        if (conv.kind !== 'public') {
          // A bot cannot join a private channel or a DM; one it cannot see is not found.
          return send(200, {
            ok: false,
            error:
              conv.member || conv.kind === 'im'
                ? 'method_not_supported_for_channel_type'
                : 'channel_not_found',
          });
        }
        if (conv.archived) return send(200, { ok: false, error: 'is_archived' });
        const already = conv.member;
        channels.set(channelId, { ...conv, member: true });
        return send(200, {
          ok: true,
          channel: { id: channelId },
          ...(already ? { warning: 'already_in_channel' } : {}),
        });
      }
      case 'auth.test':
        return send(200, {
          ok: true,
          url: 'https://fake.slack.test/',
          team: 'Fake',
          user: 'loupe',
          team_id: FAKE_TEAM,
          user_id: FAKE_BOT_USER,
          bot_id: 'B0BOT',
        });
      case 'chat.postMessage':
      case 'chat.update':
      case 'chat.postEphemeral': {
        if (!body.channel) return send(200, { ok: false, error: 'channel_not_found' });
        if (conv && !conv.member && !scopes.has('chat:write.public'))
          return send(200, { ok: false, error: 'not_in_channel' });
        const errors = blockKitViolations(body.blocks, body.text);
        if (errors.length) {
          invalid.push({ method: target, errors });
          return send(200, { ok: false, error: 'invalid_blocks', errors });
        }
        if (body.metadata !== undefined && target !== 'chat.postEphemeral') {
          const error = metadataError(body.metadata);
          if (error) {
            invalid.push({ method: target, errors: [`metadata: ${error}`] });
            return send(200, { ok: false, error });
          }
        }
        const ts =
          target === 'chat.update'
            ? body.ts
            : `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
        const metadata =
          body.metadata === undefined
            ? undefined
            : ((typeof body.metadata === 'string'
                ? JSON.parse(body.metadata)
                : body.metadata) as FakeMessage['metadata']);
        const kept = history.get(channelId) ?? [];
        if (target === 'chat.postMessage') {
          kept.push({
            type: 'message',
            ts: String(ts),
            text: body.text,
            blocks: body.blocks,
            user: FAKE_BOT_USER,
            bot_id: 'B0BOT',
            app_id: 'A0LOUPE',
            ...(metadata ? { metadata } : {}),
          });
          history.set(channelId, kept);
        } else if (target === 'chat.update') {
          const m = kept.find((k) => k.ts === body.ts);
          if (m) Object.assign(m, { text: body.text, blocks: body.blocks }, metadata ? { metadata } : {});
        }
        return send(200, {
          ok: true,
          channel: body.channel,
          ts,
          message: { text: body.text, blocks: body.blocks },
        });
      }
      case 'conversations.history': {
        if (!conv) return send(200, { ok: false, error: 'channel_not_found' });
        const needs = HISTORY_SCOPE[conv.kind];
        if (!scopes.has(needs))
          return send(200, {
            ok: false,
            error: 'missing_scope',
            needed: needs,
            provided: [...scopes].join(','),
          });
        // A bot reads the history of conversations it is in.
        if (!conv.member) return send(200, { ok: false, error: 'not_in_channel' });
        const flag = (v: unknown) => v === true || v === 'true' || v === '1' || v === 1;
        const inclusive = flag(body.inclusive);
        const oldest = body.oldest === undefined ? 0 : Number(body.oldest);
        const latest = body.latest === undefined ? Number.POSITIVE_INFINITY : Number(body.latest);
        const limit = Math.min(999, Math.max(1, Number(body.limit ?? 100) || 100));
        const offset = body.cursor
          ? Number(Buffer.from(String(body.cursor), 'base64').toString().slice(5))
          : 0;
        // Newest first, within (oldest, latest), or [oldest, latest] with `inclusive`.
        const inRange = [...(history.get(channelId) ?? [])]
          .filter((m) => {
            const t = Number(m.ts);
            return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
          })
          .reverse();
        const page = inRange.slice(offset, offset + limit);
        const more = offset + limit < inRange.length;
        const withMetadata = flag(body.include_all_metadata);
        return send(200, {
          ok: true,
          messages: page.map(({ metadata, ...m }) => (withMetadata && metadata ? { ...m, metadata } : m)),
          has_more: more,
          pin_count: 0,
          response_metadata: {
            next_cursor: more ? Buffer.from(`next:${offset + limit}`).toString('base64') : '',
          },
        });
      }
      case 'users.info': {
        const user = users.get(String(body.user ?? ''));
        if (!user) return send(200, { ok: false, error: 'user_not_found' });
        return send(200, { ok: true, user: { ...user, team_id: FAKE_TEAM, is_bot: false } });
      }
      case 'conversations.open': {
        const user = String(body.users ?? '');
        if (!/^[UW][A-Z0-9]+$/.test(user)) return send(200, { ok: false, error: 'user_not_found' });
        // The bot is a member of a DM it opened, as in Slack.
        const dm = `D${user.slice(1)}`;
        channels.set(dm, { kind: 'im', member: true });
        return send(200, { ok: true, channel: { id: dm } });
      }
      case 'files.getUploadURLExternal': {
        const id = `F${++seq}`;
        return send(200, { ok: true, upload_url: `${base}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const files = (typeof body.files === 'string' ? JSON.parse(body.files) : body.files) as {
          id: string;
          title?: string;
        }[];
        // Files need membership: chat:write.public covers messages only.
        if (conv && !conv.member) return send(200, { ok: false, error: 'not_in_channel' });
        return send(200, { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) });
      }
      default:
        return send(200, { ok: false, error: 'unknown_method' });
    }
  });
  const sockets = new WebSocketServer({ server, path: '/link/' });
  const received: Record<string, unknown>[] = [];
  let app: WebSocket | null = null;
  let greeted: () => void = () => {};
  const connected = new Promise<void>((r) => {
    greeted = r;
  });
  sockets.on('connection', (ws) => {
    app = ws;
    ws.on('message', (data) => received.push(JSON.parse(String(data))));
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'fake', approximate_connection_time: 3600 },
        connection_info: { app_id: 'A0LOUPE' },
      }),
    );
    greeted();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    apiUrl: `${base}/api/`,
    calls,
    responses,
    uploads,
    invalid,
    attempts,
    responseUrl: (id = `r${++seq}`) => `${base}/response/${id}`,
    fail: (target, fault, times = 1) => faults.set(target, { fault, left: times }),
    callsTo: (method) => calls.filter((c) => c.method === method),
    channel: (id, c) => channels.set(id, c),
    scopes,
    history,
    users,
    oidc,
    socket: {
      received,
      connected: () => connected,
      send(envelope) {
        if (!app) throw new Error('fake Slack: no Socket Mode app connected');
        app.send(JSON.stringify(envelope));
      },
    },
    async waitFor(fn, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = fn();
        if (v) return v as Exclude<typeof v, 0 | '' | false | null | undefined>;
        if (Date.now() > until) throw new Error('fake Slack: timed out waiting');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () =>
      new Promise<void>((r) => {
        for (const c of sockets.clients) c.terminate();
        sockets.close();
        server.close(() => r());
      }),
  };
}
