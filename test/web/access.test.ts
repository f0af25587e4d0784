import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Logger, createLogger } from '../../src/deps.ts';
import { signLink } from '../../src/links.ts';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver, openTestDb, testDeps } from '../helpers/db.ts';
import { insertBoardFixture } from './fixtures.ts';

const SECRET = 'test-secret-0123456789';
const NOW = new Date('2025-03-01T12:00:00Z');
const csrfOf = (html: string) => /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';
const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0];

describeEachDriver('board access', (ctx) => {
  let rowIds: number[] = [];
  const lines: string[] = [];
  const logger: Logger = createLogger({ level: 'info', write: (l) => lines.push(l) });
  const appWith = (env: Record<string, string>, clock = { now: () => NOW }) =>
    createWebApp(
      testDeps(ctx().database, { config: loadConfig({ LOUPE_DEMO: '0', ...env }), clock, logger }),
    );

  beforeAll(async () => {
    ({ rowIds } = await insertBoardFixture(ctx().database.db));
  });

  describe('local single-user mode', () => {
    it('lets everyone on loopback in as "local" and says so at start-up', async () => {
      const app = appWith({ HOST: '127.0.0.1' });
      const res = await app.request('/');
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('signed in as local');
      expect(lines.some((l) => l.includes('local single-user mode on 127.0.0.1'))).toBe(true);
    });

    it('closes the board when there is no secret and HOST is not loopback', async () => {
      const app = appWith({ HOST: '0.0.0.0' });
      const page = await app.request('/');
      expect(page.status).toBe(401);
      expect(await page.text()).toContain('LOUPE_SECRET is not set');
      const api = await app.request('/api/runs');
      expect(api.status).toBe(401);
      expect((await api.json()).status).toBe(401);
      expect((await app.request('/healthz')).status).toBe(200);
    });
  });

  describe('signed links', () => {
    const app = () => appWith({ LOUPE_SECRET: SECRET, HOST: '0.0.0.0' });
    const link = (path = '/runs/cls-run/gallery?iou_lt=0.5', user = 'U123') =>
      signLink(SECRET, { path, user }, NOW);

    it('answers 401 without a session, explaining /loupe board', async () => {
      const res = await app().request('/runs/cls-run');
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('/loupe board');
      expect((await app().request('/api/runs')).status).toBe(401);
    });

    it('sets an HttpOnly, SameSite=Lax session cookie and redirects to the linked view', async () => {
      const res = await app().request(link());
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/runs/cls-run/gallery?iou_lt=0.5');
      const cookie = res.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/^loupe_session=[^;]+; Max-Age=604800; Path=\/; HttpOnly; SameSite=Lax$/);
      const page = await app().request('/runs/cls-run/gallery?iou_lt=0.5', {
        headers: { cookie: cookieOf(res) },
      });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('signed in as U123');
    });

    it('marks the cookie Secure when served over https', async () => {
      const res = await app().request(link(), { headers: { 'x-forwarded-proto': 'https' } });
      expect(res.headers.get('set-cookie')).toContain('; Secure');
    });

    it('refuses tampered, expired and other-user links with 401', async () => {
      const good = new URL(link(), 'http://x');
      const flip = (k: string, v: string) => {
        const u = new URL(good);
        u.searchParams.set(k, v);
        return `${u.pathname}${u.search}`;
      };
      const sig = good.searchParams.get('sig')!;
      const tampered = [
        flip('sig', `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`),
        flip('u', 'U999'),
        flip('to', '/batches'),
        flip('exp', String(Number(good.searchParams.get('exp')) + 60)),
      ];
      for (const path of tampered) {
        const res = await app().request(path);
        expect(res.status, path).toBe(401);
        expect(res.headers.get('set-cookie')).toBeNull();
      }
      const later = appWith({ LOUPE_SECRET: SECRET }, { now: () => new Date(NOW.getTime() + 8 * 86400_000) });
      const expired = await later.request(link());
      expect(expired.status).toBe(401);
      expect(await expired.text()).toContain('expired or was altered');
    });

    it('refuses an altered or expired session cookie', async () => {
      const cookie = cookieOf(await app().request(link()));
      const [name, value] = cookie.split('=');
      const [u, exp, sig] = value.split('.');
      const other = `${name}=${Buffer.from('U999').toString('base64url')}.${exp}.${sig}`;
      expect((await app().request('/', { headers: { cookie: other } })).status).toBe(401);
      const later = appWith({ LOUPE_SECRET: SECRET }, { now: () => new Date(NOW.getTime() + 8 * 86400_000) });
      expect((await later.request('/', { headers: { cookie } })).status).toBe(401);
      expect(u).toBe(Buffer.from('U123').toString('base64url'));
    });

    it('records actions as the linked Slack user', async () => {
      const a = app();
      const cookie = cookieOf(await a.request(link('/', 'U777')));
      const token = csrfOf(await (await a.request('/', { headers: { cookie } })).text());
      const res = await a.request('/api/decisions', {
        method: 'POST',
        headers: {
          cookie,
          'content-type': 'application/json',
          'x-csrf-token': token,
          origin: 'http://localhost',
        },
        body: JSON.stringify({ decision: 'dismiss', rowIds: [rowIds[0]] }),
      });
      expect(res.status).toBe(200);
      const row = await (await a.request(`/api/rows/${rowIds[0]}`, { headers: { cookie } })).json();
      expect(row.history.map((h: { actor: string; source: string }) => [h.actor, h.source])).toEqual([
        ['U777', 'board'],
      ]);
    });
  });

  describe('CSRF, methods, body size and headers', () => {
    const app = () => appWith({ HOST: '127.0.0.1' });

    it('refuses POSTs without the session token and cross-site form POSTs with 403', async () => {
      const a = app();
      const body = JSON.stringify({ decision: 'approve', rowIds: [rowIds[2]] });
      const none = await a.request('/api/decisions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(none.status).toBe(403);
      const wrong = await a.request('/api/decisions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': 'forged' },
        body,
      });
      expect(wrong.status).toBe(403);
      const token = csrfOf(await (await a.request('/')).text());
      const crossSite = await a.request('/batches/x/close', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        body: `_csrf=${token}`,
      });
      expect(crossSite.status).toBe(403);
      const row = await (await a.request(`/api/rows/${rowIds[2]}`)).json();
      expect(row.history).toEqual([]);
    });

    it('answers GET on action routes with 405', async () => {
      const a = app();
      for (const path of ['/api/decisions', '/api/batches', '/batches/x/close']) {
        expect((await a.request(path)).status, path).toBe(405);
      }
    });

    it('refuses bodies over the limit with 413 before anything else', async () => {
      const res = await app().request('/api/decisions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', rowIds: [], pad: 'x'.repeat(300 * 1024) }),
      });
      expect(res.status).toBe(413);
    });

    it('sends security headers with a same-origin-only script policy', async () => {
      const res = await app().request('/');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    });

    it('serves the chart libraries from the installed packages', async () => {
      const a = app();
      for (const f of ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js', 'vega-interpreter.js']) {
        const res = await a.request(`/static/vendor/${f}`);
        expect(res.status, f).toBe(200);
        expect(res.headers.get('content-type')).toContain('javascript');
      }
      const interp = await (await a.request('/static/vendor/vega-interpreter.js')).text();
      expect(interp).not.toMatch(/^\s*(import|export)\b/m);
      expect(interp).toContain('window.vegaInterpreter');
    });

    it("leaves routes the board does not own (Slack's) outside its CSRF and session checks", async () => {
      const root = new Hono();
      root.route('/', app());
      root.post('/slack/events', (c) => c.text('slack ok'));
      const res = await root.request('/slack/events', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://slack.com' },
        body: 'a=1',
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('slack ok');
    });
  });
});

describe('database down', () => {
  let app: ReturnType<typeof createWebApp>;
  beforeAll(async () => {
    const database = await openTestDb('pglite');
    app = createWebApp(testDeps(database));
    await database.close();
  });
  afterAll(() => {});

  it('answers 503 without a stack trace on pages, the API and /healthz', async () => {
    const page = await app.request('/');
    expect(page.status).toBe(503);
    const html = await page.text();
    expect(html).toContain('The database is unavailable');
    expect(html).not.toMatch(/\bat \S+ \(|\.ts:\d+/);
    const api = await app.request('/api/runs');
    expect(api.status).toBe(503);
    expect(await api.json()).toEqual({
      error: 'The database is unavailable',
      status: 503,
      help: 'Try again in a minute.',
    });
    expect((await app.request('/healthz')).status).toBe(503);
  });
});
