/**
 * Thumbnails: N JPEG files (default 1,000, 640 × 480) imported with `--images`, then every
 * thumbnail made cold through the media module (4 at a time, as a browser asks), then each asked
 * again through the HTTP route with the thumbnail cached. Baselines in the same run: sharp alone
 * on one file (the floor of a cold thumbnail) and a bare readFile of a cached thumbnail.
 * Targets (issue 13): ≤ 10 s cold for 1,000, cached p95 ≤ 5 ms.
 *
 *   npx tsx test/bench/media.ts [files]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import { createDb } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/deps.ts';
import { ingestClassification } from '../../src/ingest/index.ts';
import { createMediaService } from '../../src/media/service.ts';
import { createWebApp } from '../../web/app.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function main() {
  const n = Number(process.argv[2] ?? 1000);
  const work = mkdtempSync(join(tmpdir(), 'loupe-bench-media-'));
  try {
    const images = join(work, 'images');
    mkdirSync(images);
    const lines = ['id,label,p_0,p_1'];
    for (let i = 0; i < n; i += 8)
      await Promise.all(
        Array.from({ length: Math.min(8, n - i) }, async (_, j) => {
          const id = i + j;
          await sharp({
            create: {
              width: 640,
              height: 480,
              channels: 3,
              background: { r: id % 256, g: (id * 7) % 256, b: (id * 13) % 256 },
            },
          })
            .composite([
              {
                input: Buffer.from(
                  `<svg width="640" height="480"><circle cx="${100 + (id % 400)}" cy="240" r="90" fill="#fff"/></svg>`,
                ),
              },
            ])
            .jpeg({ quality: 85 })
            .toFile(join(images, `${id}.jpg`));
        }),
      );
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

    const app = createWebApp(deps, { media });
    const times: number[] = [];
    for (const id of ids) {
      const t = performance.now();
      const res = await app.request(`/media/rows/${id}/thumb/256`);
      await res.arrayBuffer();
      times.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`row ${id}: ${res.status}`);
    }
    times.sort((a, b) => a - b);
    const thumb = await media.thumb(ids[0], { size: 256 });
    const floor: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await readFile(thumb.path);
      floor.push(performance.now() - t);
    }
    floor.sort((a, b) => a - b);
    console.log(
      `cached through the route: p50 ${percentile(times, 0.5).toFixed(2)} ms, p95 ${percentile(times, 0.95).toFixed(2)} ms (target ≤ 5 ms); baseline readFile p95 ${percentile(floor, 0.95).toFixed(3)} ms`,
    );
    await database.close();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
