import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.ts';
import { createRemoteCache } from '../../src/media/remote.ts';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('remote-image proxy', () => {
  let server: Server;
  let origin = '';
  const hits = new Map<string, number>();
  const dir = mkdtempSync(join(tmpdir(), 'loupe-remote-'));

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
      if (req.url?.startsWith('/ok.png')) {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(PNG);
      } else if (req.url === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<script>alert(1)</script>');
      } else if (req.url === '/big.png') {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(5000) });
        res.end(Buffer.alloc(5000));
      } else if (req.url === '/big-chunked.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
        res.end();
      } else if (req.url === '/slow.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(PNG.subarray(0, 10));
        setTimeout(() => res.end(PNG.subarray(10)), 2000);
      } else if (req.url === '/error.png') {
        res.writeHead(500);
        res.end();
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const cache = () => createRemoteCache({ dir, timeoutMs: 500, maxBytes: 4096 });
  const status = (p: Promise<unknown>) =>
    p.then(
      () => 200,
      (e) => (e instanceof MediaError ? e.status : String(e)),
    );

  it('fetches an image once, then answers from disk', async () => {
    const remote = cache();
    const first = await remote.get(`${origin}/ok.png`);
    expect(first.type).toBe('image/png');
    expect(readFileSync(first.path)).toEqual(PNG);
    const again = await createRemoteCache({ dir }).get(`${origin}/ok.png`);
    expect(again.path).toBe(first.path);
    expect(hits.get('/ok.png')).toBe(1);
  });

  it('shares one fetch between concurrent requests', async () => {
    const remote = cache();
    const url = `${origin}/ok.png?concurrent`;
    await Promise.all([remote.get(url), remote.get(url), remote.get(url)]);
    expect(hits.get('/ok.png?concurrent')).toBe(1);
  });

  it.each([
    ['a 404', '/missing.png', 404],
    ['a server error', '/error.png', 502],
    ['a non-image content type', '/page.html', 415],
    ['an oversized body (declared)', '/big.png', 413],
    ['an oversized body (streamed)', '/big-chunked.png', 413],
    ['a slow server', '/slow.png', 504],
  ])('refuses %s', async (_name, path, expected) => {
    expect(await status(cache().get(`${origin}${path}`))).toBe(expected);
  });

  it('caches nothing it refused', async () => {
    const before = hits.get('/page.html') ?? 0;
    await status(cache().get(`${origin}/page.html`));
    await status(cache().get(`${origin}/page.html`));
    expect(hits.get('/page.html')).toBe(before + 2);
  });
});
