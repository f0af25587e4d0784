/**
 * Thumbnails: N JPEG files (default 1,000, 640 × 480) imported with `--images`, then every
 * thumbnail made cold through the media module (4 at a time, as a browser asks), then each asked
 * again through the HTTP route with the thumbnail cached: 200 with the bytes, 304 to If-None-Match,
 * and a signed URL on a board with LOUPE_SECRET. Baselines in the same run: sharp alone on one
 * file (the floor of a cold thumbnail), a bare readFile of a cached thumbnail, and /healthz through
 * the same app (the floor of any request).
 * Targets (issue 13): ≤ 10 s cold for 1,000, cached p95 ≤ 5 ms.
 *
 *   npx tsx test/bench/media.ts [files]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import { createDb } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/deps.ts';
import { ingestClassification } from '../../src/ingest/index.ts';
import { createMediaService } from '../../src/media/service.ts';
import { signMediaPath } from '../../src/media/sign.ts';
import { createWebApp } from '../../web/app.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';
import { writeJpegs } from '../helpers/jpegs.ts';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function main() {
  const n = Number(process.argv[2] ?? 1000);
  const work = mkdtempSync(join(tmpdir(), 'loupe-bench-media-'));
  try {
    const images = join(work, 'images');
    mkdirSync(images);
    const lines = ['id,label,p_0,p_1'];
    await writeJpegs(images, n);
    for (let i = 0; i < n; i++) lines.push(`${i},${i % 2},0.7,0.3`);
    writeFileSync(join(work, 'table.csv'), `${lines.join('\n')}\n`);

    const database = await createDb();
    const deps = {
      db: database.db,
      database,
      config: loadConfig({ LOUPE_DEMO: '0', LOUPE_DATA: join(work, 'data') }),
      logger: createLogger({ level: 'silent' }),
      clock: { now: () => new Date() },
      objectCache: createObjectCache(),
    };
    const r = await ingestClassification(deps, {
      run: 'bench-media',
      table: join(work, 'table.csv'),
      images,
      analyze: false,
    });
    console.log(`imported ${r.rows} rows, ${r.media?.images} images, ${r.media?.missing} missing`);
    const ids = (
      await rawRows<{ id: number }>(database.db, sql`select id::int as id from data_rows order by id`)
    ).map((x) => x.id);

    // Baseline: sharp alone, one 256-px thumbnail of one file, no cache, no database.
    const one = join(images, '0.jpg');
    const t0 = performance.now();
    for (let i = 0; i < 20; i++)
      await sharp(one).autoOrient().resize(256, 256, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer();
    console.log(
      `baseline: sharp thumbnail of one file ${((performance.now() - t0) / 20).toFixed(2)} ms each`,
    );

    const media = createMediaService(deps);
    const started = performance.now();
    for (let i = 0; i < ids.length; i += 4)
      await Promise.all(ids.slice(i, i + 4).map((id) => media.thumb(id, { size: 256 })));
    const cold = (performance.now() - started) / 1000;
    console.log(
      `cold: ${n} thumbnails in ${cold.toFixed(2)} s (${((cold * 1000) / n).toFixed(2)} ms each; target ≤ 10 s for 1,000)`,
    );

    // Cached requests through the route, as a browser makes them: a first visit (200 with the
    // bytes), a revisit (If-None-Match → 304), and Slack's signed URL on a board with LOUPE_SECRET.
    const route = async (
      app: ReturnType<typeof createWebApp>,
      path: (id: number) => string,
      etag = false,
      passes = 3,
    ) => {
      const etags = new Map<number, string>();
      if (etag) for (const id of ids) etags.set(id, (await app.request(path(id))).headers.get('etag') ?? '');
      const times: number[] = [];
      for (let pass = 0; pass < passes; pass++)
        for (const id of ids) {
          const t = performance.now();
          const res = await app.request(path(id), {
            headers: etag ? { 'if-none-match': etags.get(id) ?? '' } : {},
          });
          await res.arrayBuffer();
          times.push(performance.now() - t);
          if (res.status !== (etag ? 304 : 200)) throw new Error(`row ${id}: ${res.status}`);
        }
      return times.sort((a, b) => a - b);
    };
    // A new process: thumbnails on disk, nothing in memory (each request resolves row, folder, real path).
    const diskOnly = await route(
      createWebApp(deps, { media: createMediaService(deps) }),
      (id) => `/media/rows/${id}/thumb/256`,
      false,
      1,
    );
    const app = createWebApp(deps, { media });
    const plain = await route(app, (id) => `/media/rows/${id}/thumb/256`);
    const revisit = await route(app, (id) => `/media/rows/${id}/thumb/256`, true);
    const signedDeps = { ...deps, config: { ...deps.config, LOUPE_SECRET: 'bench-secret-0123456789' } };
    const signedApp = createWebApp(signedDeps, { media });
    const signed = await route(signedApp, (id) =>
      signMediaPath(signedDeps.config.LOUPE_SECRET, `/media/rows/${id}/thumb/256`, new Date()),
    );
    const thumb = await media.thumb(ids[0], { size: 256 });
    const floor: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await readFile(thumb.path);
      floor.push(performance.now() - t);
    }
    floor.sort((a, b) => a - b);
    const healthz: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t = performance.now();
      await (await app.request('/healthz')).arrayBuffer();
      healthz.push(performance.now() - t);
    }
    healthz.sort((a, b) => a - b);
    const fmt = (xs: number[]) =>
      `p50 ${percentile(xs, 0.5).toFixed(2)} ms, p95 ${percentile(xs, 0.95).toFixed(2)} ms, max ${xs[xs.length - 1].toFixed(2)} ms`;
    console.log(`baseline: readFile of one cached thumbnail ${fmt(floor)}`);
    console.log(`baseline: GET /healthz through the app (one select 1) ${fmt(healthz)}`);
    console.log(`cached thumbnail, 200 (${plain.length} requests): ${fmt(plain)} (target p95 ≤ 5 ms)`);
    console.log(`cached on disk only, a new process (${diskOnly.length}): ${fmt(diskOnly)}`);
    console.log(`cached thumbnail, 304 If-None-Match (${revisit.length}): ${fmt(revisit)}`);
    console.log(`cached thumbnail, signed URL, LOUPE_SECRET set (${signed.length}): ${fmt(signed)}`);
    console.log(
      `load: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    await database.close();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
