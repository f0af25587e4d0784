import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { loadConfig } from '../../src/config.ts';
import { IngestError, ingestClassification, ingestCoco } from '../../src/ingest/index.ts';
import { createMediaService } from '../../src/media/service.ts';
import { signMediaPath } from '../../src/media/sign.ts';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';

const SECRET = 'media-secret-0123456789';
const NOW = new Date('2026-03-01T12:00:00Z');

/** A small solid-colour JPEG; `orientation` writes an EXIF orientation tag. */
function jpeg(width: number, height: number, orientation?: number): Promise<Buffer> {
  const img = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } });
  return (orientation ? img.withMetadata({ orientation }) : img).jpeg().toBuffer();
}

describeEachDriver('media: ingest, serving, access', (ctx) => {
  const base = mkdtempSync(join(tmpdir(), 'loupe-media-'));
  const images = join(base, 'images');
  const cache = join(base, 'cache');
  let server: Server;
  let origin = '';

  beforeAll(async () => {
    mkdirSync(join(images, 'sub'), { recursive: true });
    writeFileSync(join(images, 'a.jpg'), await jpeg(64, 48));
    writeFileSync(join(images, 'sub', 'b.jpg'), await jpeg(40, 20, 6)); // displayed 20 × 40
    writeFileSync(join(base, 'secret.jpg'), await jpeg(8, 8));
    writeFileSync(
      join(images, 'r1.png'),
      await sharp(await jpeg(30, 30))
        .png()
        .toBuffer(),
    );
    writeFileSync(join(images, 'r2.jpeg'), await jpeg(30, 30));
    writeFileSync(join(images, 'notes.txt'), 'not an image');
    const remoteJpeg = await jpeg(50, 50);
    server = createServer((req, res) => {
      if (req.url?.startsWith('/remote.jpg')) {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(remoteJpeg);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(base, { recursive: true, force: true });
  });

  const deps = (env: Record<string, string> = {}, now = NOW) =>
    testDeps(ctx().database, {
      // The remote images come from a loopback server: allowed explicitly.
      config: loadConfig({
        LOUPE_DEMO: '0',
        LOUPE_DATA: join(base, 'data'),
        LOUPE_MEDIA_FETCH_PRIVATE: '127.0.0.1',
        ...env,
      }),
      clock: { now: () => now },
    });
  const app = (env: Record<string, string> = {}, now = NOW) => {
    const d = deps(env, now);
    return createWebApp(d, { media: createMediaService(d, { dir: cache }) });
  };
  const write = (name: string, body: unknown) => {
    const p = join(base, name);
    writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
    return p;
  };
  const rowOf = async (dataset: string, externalId: string) => {
    const [r] = await rawRows<{ id: number; image_url: string | null; text: string | null }>(
      ctx().database.db,
      sql`select d.id::int as id, d.image_url, d.text from data_rows d join datasets s on s.id = d.dataset_id
          where s.name = ${dataset} and d.external_id = ${externalId}`,
    );
    return r;
  };

  const cocoGt = {
    images: [
      { id: 1, width: 64, height: 48, file_name: 'a.jpg', coco_url: 'http://images.example/a.jpg' },
      { id: 2, width: 20, height: 40, file_name: 'sub/b.jpg' },
      { id: 3, width: 10, height: 10, file_name: 'missing.jpg' },
      { id: 4, width: 8, height: 8, file_name: '../secret.jpg' },
    ],
    annotations: [{ id: 10, image_id: 1, category_id: 1, bbox: [1, 2, 30, 20] }],
    categories: [{ id: 1, name: 'thing' }],
  };
  const cocoPred = [{ image_id: 1, category_id: 1, bbox: [2, 2, 30, 20], score: 0.9 }];

  it('refuses a COCO import with missing files under --strict-media, storing nothing', async () => {
    const gt = write('gt.json', cocoGt);
    const pred = write('pred.json', cocoPred);
    const err = await ingestCoco(deps(), {
      run: 'strict',
      gt,
      pred,
      images,
      strictMedia: true,
      analyze: false,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect(err.message).toContain('2 image files missing');
    expect(err.message).toContain('"missing.jpg"');
    expect(err.message).toContain('"../secret.jpg"');
    const runs = await rawRows(ctx().database.db, sql`select 1 from model_runs where name = 'strict'`);
    expect(runs).toEqual([]);
  });

  it('imports COCO with --images, reporting the missing files and refusing paths out of the folder', async () => {
    const gt = write('gt.json', cocoGt);
    const pred = write('pred.json', cocoPred);
    const r = await ingestCoco(deps(), { run: 'coco-files', gt, pred, images, analyze: false });
    expect(r.media).toEqual({
      images: 2,
      texts: 0,
      missing: 2,
      missingNames: ['missing.jpg', '../secret.jpg'],
    });
    expect((await rowOf('coco-files', '1')).image_url).toMatch(/^root:\d+\/a\.jpg$/);
    expect((await rowOf('coco-files', '2')).image_url).toMatch(/^root:\d+\/sub\/b\.jpg$/);
    // Without a file the COCO URL stays, served through the proxy.
    expect((await rowOf('coco-files', '3')).image_url).toBeNull();
    expect(
      await expect(
        ingestCoco(deps(), { run: 'nofolder', gt, pred, images: join(base, 'nope') }),
      ).rejects.toThrow(/--images .*nope: no such folder/),
    );
  });

  it('serves thumbnails made once, with ETag and Cache-Control, EXIF orientation applied', async () => {
    const web = app();
    const a = await rowOf('coco-files', '1');
    const res = await web.request(`/media/rows/${a.id}/thumb/256`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toBe('private, max-age=86400');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([64, 48]); // never enlarged
    const files = () => readdirSync(join(cache, 'thumbs'), { recursive: true }).length;
    const before = files();
    const again = await web.request(`/media/rows/${a.id}/thumb/256`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect((await web.request(`/media/rows/${a.id}/thumb/256`)).status).toBe(200);
    expect(files()).toBe(before);

    const b = await rowOf('coco-files', '2');
    const rotated = await sharp(
      Buffer.from(await (await web.request(`/media/rows/${b.id}/thumb/96`)).arrayBuffer()),
    ).metadata();
    expect([rotated.width, rotated.height]).toEqual([20, 40]);
    const crop = await web.request(`/media/rows/${a.id}/crop/1,2,30,20/96`);
    expect(crop.status).toBe(200);
    const c = await sharp(Buffer.from(await crop.arrayBuffer())).metadata();
    expect([c.width, c.height]).toEqual([30, 20]);
    const original = await web.request(`/media/rows/${a.id}/image`);
    expect(original.headers.get('content-type')).toBe('image/jpeg');
  });

  it('answers a cached thumbnail from memory and sees a changed or removed image once it revalidates', async () => {
    const folder = join(base, 'cached');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'k1.jpg'), await jpeg(32, 32));
    const table = write('cached.csv', ['id,label,p_0,p_1', 'k1,0,0.9,0.1', ''].join('\n'));
    await ingestClassification(deps(), { run: 'cached', table, images: folder, analyze: false });
    const row = await rowOf('cached', 'k1');
    let now = 1_000_000; // the LRU takes a start time of 0 for "no start"
    const d = deps();
    const web = createWebApp(d, {
      media: createMediaService(d, { dir: cache, cache: { freshMs: 1000, perf: { now: () => now } } }),
    });
    const path = `/media/rows/${row.id}/thumb/96`;
    const first = await web.request(path);
    const etag = first.headers.get('etag')!;
    const bytes = Buffer.from(await first.arrayBuffer());

    // The source and every made thumbnail gone: a fresh entry still answers, touching no file.
    rmSync(join(folder, 'k1.jpg'));
    rmSync(join(cache, 'thumbs'), { recursive: true });
    const revisit = await web.request(path, { headers: { 'if-none-match': `W/${etag}, "other"` } });
    expect(revisit.status).toBe(304);
    expect(revisit.headers.get('etag')).toBe(etag);
    expect(Buffer.from(await (await web.request(path)).arrayBuffer())).toEqual(bytes);

    // Past its freshness the entry is served once more while it is checked again; then it is gone.
    now += 1001;
    expect((await web.request(path)).status).toBe(200);
    let status = 200;
    for (let i = 0; i < 200 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 10));
      status = (await web.request(path)).status;
    }
    expect(status).toBe(404);

    // A new image under the same name: a new thumbnail with a new ETag.
    writeFileSync(join(folder, 'k1.jpg'), await jpeg(48, 24));
    const changed = await web.request(path, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    const meta = await sharp(Buffer.from(await changed.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([48, 24]);
  });

  it.each([
    ['a parent segment', '../secret.jpg'],
    ['nested parent segments', 'sub/../../secret.jpg'],
    ['an absolute path', '/etc/passwd'],
    ['an encoded parent', '%2e%2e/secret.jpg'],
  ])('refuses a stored reference with %s', async (_name, path) => {
    const a = await rowOf('coco-files', '1');
    const [root] = /^root:\d+/.exec(a.image_url!)!;
    await ctx().database.db.execute(
      sql`update data_rows set image_url = ${`${root}/${path}`} where id = ${a.id}`,
    );
    try {
      const res = await app().request(`/media/rows/${a.id}/thumb/256`);
      expect(res.status).toBe(404);
      expect((await app().request(`/media/rows/${a.id}/image`)).status).toBe(404);
    } finally {
      await ctx().database.db.execute(
        sql`update data_rows set image_url = ${a.image_url} where id = ${a.id}`,
      );
    }
  });

  it('refuses remote images on a loopback address unless LOUPE_MEDIA_FETCH_PRIVATE allows it', async () => {
    const a = await rowOf('coco-files', '1');
    await ctx().database.db.execute(
      sql`update data_rows set image_url = ${`${origin}/remote.jpg?private`} where id = ${a.id}`,
    );
    try {
      const refused = await app({ LOUPE_MEDIA_FETCH_PRIVATE: '' }).request(`/media/rows/${a.id}/thumb/96`);
      expect(refused.status).toBe(403);
      expect((await refused.json()).error).toMatch(
        /127\.0\.0\.1 is a private, loopback or link-local address; set LOUPE_MEDIA_FETCH_PRIVATE/,
      );
      expect((await app().request(`/media/rows/${a.id}/thumb/96`)).status).toBe(200);
    } finally {
      await ctx().database.db.execute(
        sql`update data_rows set image_url = ${a.image_url} where id = ${a.id}`,
      );
    }
  });

  it.each([
    ['/media/rows/..%2f..%2fetc%2fpasswd/image', 400],
    ['/media/rows/0/image', 400],
    ['/media/rows/1/thumb/100', 400],
    ['/media/rows/1/crop/0,0,0,5/96', 400],
    ['/media/rows/999999/thumb/256', 404],
  ])('answers %s with %i', async (path, status) => {
    expect((await app().request(path)).status).toBe(status);
  });

  it('imports classification images by row id, an image column (relative, absolute, URL) and texts', async () => {
    const table = write(
      'table.csv',
      ['id,label,p_0,p_1', 'r1,0,0.9,0.1', 'r2,1,0.2,0.8', 'r3,0,0.6,0.4', ''].join('\n'),
    );
    const texts = write('texts.txt', ['first review', 'second review', 'third review', ''].join('\n'));
    const r = await ingestClassification(deps(), { run: 'cls-files', table, images, texts, analyze: false });
    expect(r.media).toEqual({
      images: 2,
      texts: 3,
      missing: 1,
      missingNames: ['r3.{png,jpg,jpeg,webp,gif}'],
    });
    expect((await rowOf('cls-files', 'r1')).image_url).toMatch(/^root:\d+\/r1\.png$/);
    expect((await rowOf('cls-files', 'r2')).image_url).toMatch(/^root:\d+\/r2\.jpeg$/);
    expect(await rowOf('cls-files', 'r3')).toMatchObject({ image_url: null, text: 'third review' });

    const withColumn = write(
      'column.jsonl',
      [
        { id: 'c1', label: 0, probs: [0.7, 0.3], image: 'sub/b.jpg', text: 'has a text' },
        { id: 'c2', label: 1, probs: [0.1, 0.9], image: join(base, 'secret.jpg') },
        { id: 'c3', label: 1, probs: [0.4, 0.6], image: `${origin}/remote.jpg` },
        { id: 'c4', label: 0, probs: [0.8, 0.2], image: 'gone.jpg' },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const c = await ingestClassification(deps(), {
      run: 'cls-column',
      table: withColumn,
      images,
      analyze: false,
    });
    expect(c.media).toEqual({ images: 3, texts: 1, missing: 1, missingNames: ['gone.jpg'] });
    const web = app();
    for (const id of ['c1', 'c2', 'c3']) {
      const row = await rowOf('cls-column', id);
      const res = await web.request(`/media/rows/${row.id}/thumb/96`);
      expect(res.status, id).toBe(200);
    }
    expect((await rowOf('cls-column', 'c1')).text).toBe('has a text');
  });

  it('reads --texts as JSONL by id, and says which line is wrong', async () => {
    const table = write('t2.csv', ['id,label,p_0,p_1', 'x1,0,0.9,0.1', 'x2,1,0.2,0.8', ''].join('\n'));
    const texts = write('texts.jsonl', `${JSON.stringify({ id: 'x2', text: 'only x2' })}\n`);
    const r = await ingestClassification(deps(), { run: 'cls-texts', table, texts, analyze: false });
    expect(r.media).toMatchObject({ images: 0, texts: 1, missing: 0 });
    expect((await rowOf('cls-texts', 'x2')).text).toBe('only x2');
    const bad = write('bad.jsonl', `${JSON.stringify({ id: 'zz', text: 'x' })}\n`);
    await expect(
      ingestClassification(deps(), { run: 'cls-texts', table, texts: bad, analyze: false }),
    ).rejects.toThrow(/bad\.jsonl: line 1: id "zz" is not a row of the dataset/);
    const short = write('short.txt', 'one line\n');
    await expect(
      ingestClassification(deps(), { run: 'cls-texts', table, texts: short, analyze: false }),
    ).rejects.toThrow(/short\.txt: 1 lines, expected one text per row \(2 rows\)/);
  });

  describe('with LOUPE_SECRET set', () => {
    const env = { LOUPE_SECRET: SECRET, HOST: '0.0.0.0' };

    it('needs a session or a signed, unexpired media URL', async () => {
      const a = await rowOf('coco-files', '1');
      const path = `/media/rows/${a.id}/thumb/256`;
      expect((await app(env).request(path)).status).toBe(401);
      expect((await app(env).request('/media/digits/1.svg')).status).toBe(401);
      const signed = signMediaPath(SECRET, path, NOW, 3600);
      expect((await app(env).request(signed)).status).toBe(200);
      const later = new Date(NOW.getTime() + 3601_000);
      expect((await app(env, later).request(signed)).status).toBe(401);
      expect((await app(env).request(signed.replace(/sig=./, 'sig=A'))).status).toBe(401);
      // A signature is for one path only.
      const other = signed.replace(`/rows/${a.id}/`, `/rows/${(await rowOf('coco-files', '2')).id}/`);
      expect((await app(env).request(other)).status).toBe(401);
    });
  });
});
