import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviews } from '../../db/schema.ts';
import { loadConfig } from '../../src/config.ts';
import { signLink } from '../../src/links.ts';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { insertBoardFixture, insertDetectionFixture } from '../web/fixtures.ts';

// Cases from a hostile probe of the running board (RELIABILITY.md 31–35, 39), on both databases.

const SECRET = 'test-secret-0123456789';
const NOW = new Date('2025-03-01T12:00:00Z');
const csrfOf = (html: string) => /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';
const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0];

describeEachDriver('board security', (ctx) => {
  let rowIds: number[] = [];
  const appWith = (env: Record<string, string>) =>
    createWebApp(
      testDeps(ctx().database, {
        config: loadConfig({ LOUPE_DEMO: '0', ...env }),
        clock: { now: () => NOW },
      }),
    );

  beforeAll(async () => {
    ({ rowIds } = await insertBoardFixture(ctx().database.db));
    await insertDetectionFixture(ctx().database.db);
  });
  afterAll(async () => {
    await ctx().database.db.delete(reviews);
  });

  /** A signed-mode session for `user`: its cookie and CSRF token. */
  async function signIn(app: ReturnType<typeof appWith>, user: string) {
    const cookie = cookieOf(await app.request(signLink(SECRET, { path: '/', user }, NOW)));
    const token = csrfOf(await (await app.request('/', { headers: { cookie } })).text());
    return { cookie, token };
  }

  describe('1. the board applies LOUPE_REVIEWERS like Slack does', () => {
    const env = { LOUPE_SECRET: SECRET, HOST: '0.0.0.0', LOUPE_REVIEWERS: 'U0BOSS' };

    it('refuses decisions and batches from a signed-in user not on the list, recording nothing', async () => {
      const app = appWith(env);
      const { cookie, token } = await signIn(app, 'U0EVIL');
      const headers = {
        cookie,
        'content-type': 'application/json',
        'x-csrf-token': token,
        origin: 'http://localhost',
      };
      const decide = await app.request('/api/decisions', {
        method: 'POST',
        headers,
        body: JSON.stringify({ decision: 'approve', rowIds: [rowIds[0]] }),
      });
      expect(decide.status).toBe(403);
      expect((await decide.json()).error).toContain('LOUPE_REVIEWERS');
      const batch = await app.request('/api/batches', {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'evil-batch', rowIds: [rowIds[0]] }),
      });
      expect(batch.status).toBe(403);
      expect(await ctx().database.db.select().from(reviews)).toEqual([]);
    });

    it('lets a listed reviewer decide', async () => {
      const app = appWith(env);
      const { cookie, token } = await signIn(app, 'U0BOSS');
      const res = await app.request('/api/decisions', {
        method: 'POST',
        headers: {
          cookie,
          'content-type': 'application/json',
          'x-csrf-token': token,
          origin: 'http://localhost',
        },
        body: JSON.stringify({ decision: 'dismiss', rowIds: [rowIds[1]] }),
      });
      expect(res.status).toBe(200);
      const rows = await ctx().database.db.select().from(reviews);
      expect(rows.map((r) => [r.rowId, r.actor])).toEqual([[rowIds[1], 'U0BOSS']]);
    });
  });

  describe('3. redirects stay on the site', () => {
    it('cleans tabs and newlines as browsers do, and never answers 500', async () => {
      const app = appWith({ HOST: '127.0.0.1' });
      for (const to of [
        '/%09/evil.example/x',
        '/%0a/evil.example',
        '/%0d%0a/evil.example',
        '/%5C/evil.example',
      ]) {
        const res = await app.request(`/auth/link?to=${to}`);
        expect(res.status, to).toBe(302);
        const location = res.headers.get('location') ?? '';
        expect(new URL(location, 'http://127.0.0.1:3000').origin, to).toBe('http://127.0.0.1:3000');
        expect(location, to).toBe('/');
      }
      const ok = await app.request('/auth/link?to=/runs/cls-run%3Fa%3D1');
      expect(ok.headers.get('location')).toBe('/runs/cls-run?a=1');
    });

    it('a signed link whose target holds a tab goes to the board home', async () => {
      const app = appWith({ LOUPE_SECRET: SECRET, HOST: '0.0.0.0' });
      for (const path of ['/\t/evil.example/x', '/\n/evil.example']) {
        const res = await app.request(signLink(SECRET, { path, user: 'U123' }, NOW));
        expect(res.status).toBe(302);
        expect(res.headers.get('location')).toBe('/');
      }
    });
  });

  describe('4. local mode answers only its own host names', () => {
    it('refuses a rebinding Host, for data and for the CSRF token', async () => {
      const app = appWith({ HOST: '127.0.0.1', PORT: '3322' });
      const api = await app.request('http://attacker.example:3322/api/runs');
      expect(api.status).toBe(421);
      const page = await app.request('/', { headers: { host: 'attacker.example:3322' } });
      expect(page.status).toBe(421);
      expect(await page.text()).not.toContain('csrf-token');
      const post = await app.request('http://attacker.example:3322/api/decisions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://attacker.example:3322' },
        body: JSON.stringify({ decision: 'approve', rowIds: [rowIds[2]] }),
      });
      expect(post.status).toBe(421);
      for (const host of ['127.0.0.1:3322', 'localhost:3322', '[::1]:3322'])
        expect((await app.request('/api/runs', { headers: { host } })).status, host).toBe(200);
    });

    it('also answers to LOUPE_PUBLIC_URL', async () => {
      const app = appWith({ HOST: '127.0.0.1', LOUPE_PUBLIC_URL: 'http://loupe.internal:8080' });
      expect((await app.request('/api/runs', { headers: { host: 'loupe.internal:8080' } })).status).toBe(200);
    });
  });

  describe('5. Origin is checked whatever the content type', () => {
    it('refuses a cross-origin JSON POST that carries a valid token', async () => {
      const app = appWith({ HOST: '127.0.0.1' });
      const token = csrfOf(await (await app.request('/')).text());
      const body = JSON.stringify({ decision: 'approve', rowIds: [rowIds[3]] });
      const probes: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { 'sec-fetch-site': 'cross-site' },
        {},
      ];
      for (const headers of probes) {
        const res = await app.request('/api/decisions', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': token, ...headers },
          body,
        });
        expect(res.status, JSON.stringify(headers)).toBe(403);
      }
      const same = await app.request('/api/decisions', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': token,
          'sec-fetch-site': 'same-origin',
        },
        body,
      });
      expect(same.status).toBe(200);
    });
  });

  describe('6. malformed cursors are a 400 naming the field', () => {
    it('on mislabels, errors, rework and the object gallery, as JSON and as pages', async () => {
      const app = appWith({ HOST: '127.0.0.1' });
      const bad = ['bm9wZQ', 'Wzk5OTk5OSwyXQ', 'eyJhdCI6MX0', 'x'.repeat(600), '%00'];
      for (const cursor of bad) {
        for (const path of [
          '/api/runs/cls-run/mislabels',
          '/api/runs/cls-run/errors',
          '/rework',
          '/runs/cls-run/mislabels',
          '/runs/det-run/objects',
        ]) {
          const res = await app.request(`${path}?cursor=${encodeURIComponent(cursor)}`);
          expect(res.status, `${path} ${cursor}`).toBe(400);
          const text = await res.text();
          expect(text, path).toContain('cursor');
          expect(text).not.toMatch(/at .*\.ts:\d+/);
        }
      }
    });
  });

  describe('12. media and /healthz when the board is closed', () => {
    it('refuses media and says only "up" on /healthz', async () => {
      const app = appWith({ HOST: '0.0.0.0' });
      const media = await app.request('/media/shapes/1.svg');
      expect(media.status).toBe(401);
      expect(media.headers.get('content-type')).not.toContain('svg');
      const health = await app.request('/healthz');
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true });
    });

    it('serves media to a board session', async () => {
      const app = appWith({ LOUPE_SECRET: SECRET, HOST: '0.0.0.0' });
      expect((await app.request('/media/shapes/1.svg')).status).toBe(401);
      const { cookie } = await signIn(app, 'U123');
      const res = await app.request('/media/shapes/1.svg', { headers: { cookie } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('image/svg+xml');
    });
  });
});
