import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LookupAddress, lookup } from 'node:dns';
import { isFetchable, parseAddressRanges } from '../../src/media/addresses.ts';
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
        setTimeout(() => res.end(PNG.subarray(10)), 8000);
      } else if (req.url?.startsWith('/redirect?to=')) {
        res.writeHead(302, { location: decodeURIComponent(req.url.slice('/redirect?to='.length)) });
        res.end();
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

  // The test server listens on loopback, which the proxy refuses unless told otherwise.
  const LOOPBACK = parseAddressRanges(['127.0.0.1']);
  const cache = () => createRemoteCache({ dir, timeoutMs: 3000, maxBytes: 4096, allowPrivate: LOOPBACK });
  /** The system resolver, knowing a few made-up names besides (no DNS server in tests). */
  const names: Record<string, string> = {
    'images.intranet.example': '127.0.0.1',
    'other.intranet.example': '127.0.0.2',
    'metadata.example': '169.254.169.254',
  };
  const resolve = (
    host: string,
    _o: unknown,
    cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void,
  ) => {
    const address = names[host];
    if (address) cb(null, [{ address, family: 4 }]);
    else lookup(host, { all: true }, cb);
  };
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
    const again = await createRemoteCache({ dir, allowPrivate: LOOPBACK }).get(`${origin}/ok.png`);
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

  describe('refuses addresses inside the network unless allowed', () => {
    const port = () => new URL(origin).port;
    const strict = () => createRemoteCache({ dir, timeoutMs: 2000, resolve });

    it.each([
      ['loopback', () => `${origin}/ok.png?strict`],
      ['localhost by name', () => `http://localhost:${port()}/ok.png?strict`],
      ['a name that resolves to 127.0.0.1', () => `http://images.intranet.example:${port()}/ok.png?strict`],
      ['IPv6 loopback', () => `http://[::1]:${port()}/ok.png?strict`],
      ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${port()}/ok.png?strict`],
      ['an IPv4 address in hex', () => `http://0x7f000001:${port()}/ok.png?strict`],
      ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/x.png'],
      ['a private address', () => 'http://10.0.0.1/x.png'],
      ['a name that resolves to cloud metadata', () => 'http://metadata.example/x.png'],
    ])('refuses %s with 403, connecting to nothing', async (_name, url) => {
      const err = await strict()
        .get(url())
        .catch((e) => e);
      expect(err).toBeInstanceOf(MediaError);
      expect(err.status).toBe(403);
      expect(err.message).toMatch(/private, loopback or link-local address.*LOUPE_MEDIA_FETCH_PRIVATE/);
      expect(hits.get('/ok.png?strict')).toBeUndefined();
    });

    it('checks the resolved address, so an allowed range opens a name that resolves into it', async () => {
      const remote = createRemoteCache({ dir, resolve, allowPrivate: LOOPBACK });
      expect(await status(remote.get(`http://images.intranet.example:${port()}/ok.png?named`))).toBe(200);
      expect(hits.get('/ok.png?named')).toBe(1);
      expect(await status(remote.get(`http://other.intranet.example:${port()}/ok.png?named2`))).toBe(403);
    });

    it.each([
      ['a private address', 'http://10.0.0.1/x.png'],
      ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
      ['a name that resolves to a loopback address not allowed', 'http://other.intranet.example/x.png'],
      ['another loopback address', 'http://127.0.0.2/x.png'],
      ['a file URL', 'file:///etc/passwd'],
    ])('refuses a redirect to %s', async (_name, target) => {
      const remote = createRemoteCache({ dir, resolve, allowPrivate: LOOPBACK });
      const url = `${origin}/redirect?to=${encodeURIComponent(target)}`;
      const err = await remote.get(url).catch((e) => e);
      expect(err).toBeInstanceOf(MediaError);
      expect(err.status).toBe(403);
    });

    it('follows a redirect to an allowed address', async () => {
      const remote = createRemoteCache({ dir, resolve, allowPrivate: LOOPBACK });
      const url = `${origin}/redirect?to=${encodeURIComponent('/ok.png?hop')}`;
      expect(readFileSync((await remote.get(url)).path)).toEqual(PNG);
      expect(hits.get('/ok.png?hop')).toBe(1);
    });

    it('judges addresses as public or not', () => {
      for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700::1111']) expect(isFetchable(a, [])).toBe(true);
      for (const a of [
        '127.0.0.1',
        '10.1.2.3',
        '172.16.0.1',
        '192.168.1.1',
        '169.254.169.254',
        '100.64.0.1',
        '0.0.0.0',
        '::1',
        '::',
        'fd00::1',
        'fe80::1',
        '::ffff:10.0.0.1',
        'not an address',
      ])
        expect(isFetchable(a, []), a).toBe(false);
      expect(isFetchable('10.2.3.4', parseAddressRanges(['10.2.0.0/16']))).toBe(true);
      expect(isFetchable('10.3.3.4', parseAddressRanges(['10.2.0.0/16']))).toBe(false);
      expect(() => parseAddressRanges(['intranet'])).toThrow(/"intranet" is not an IP address or CIDR range/);
    });
  });
});
