/**
 * Requests while heavy work runs: `/loupe batch … from uncertain N` (diverse picks over the top 5N
 * of an all-unlabeled pool) is sent through a loopback Slack, and meanwhile `/healthz` and a board
 * page (`/runs/pool`) are requested back to back over HTTP. Reports their p50/p99/max during the
 * work next to the same endpoints idle (the baseline), the Slack ack time and when the answer
 * arrived through `response_url`. Target: p99 ≤ 100 ms during the work.
 *
 * PGlite in a temporary data folder, or Postgres when DATABASE_URL is set.
 *
 *   npx tsx test/bench/heavy.ts [rows=20000] [batch=3000] [dim=64]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { createServerApp, listen } from '../../bin/server.ts';
import { createSlackHandler } from '../../bot/index.ts';
import { type Database, createDb } from '../../db/index.ts';
import { createComputePool } from '../../src/compute/pool.ts';
import { loadConfig } from '../../src/config.ts';
import { type Deps, createLogger } from '../../src/deps.ts';
import { seedUnlabeledPool } from '../helpers/unlabeled-pool.ts';
import { startFakeSlack } from '../slack/fake-slack.ts';
import { slashCommand } from '../slack/signed.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';

const TARGET_MS = 100;
const SECRET = 'bench-heavy-signing-secret-012345';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/** Request `url` back to back until stopped; each request's time in ms. */
function hammer(url: string) {
  const times: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
      times.push(performance.now() - t);
    }
  })();
  return async () => {
    running = false;
    await loop;
    return times.sort((a, b) => a - b);
  };
}

async function openDatabase(): Promise<{ database: Database; cleanup: () => Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-heavy-'));
    const database = await createDb({ dataDir: dir });
    return {
      database,
      cleanup: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `loupe_bench_heavy_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await createDb({ url: url.toString() });
  return {
    database,
    cleanup: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export async function main(
  rows = Number(process.argv[2] ?? 20_000),
  batch = Number(process.argv[3] ?? 3000),
  dim = Number(process.argv[4] ?? 64),
) {
  const { database, cleanup } = await openDatabase();
  const slack = await startFakeSlack();
  const compute = createComputePool();
  try {
    const deps: Deps = {
      db: database.db,
      database,
      config: loadConfig({
        LOUPE_DEMO: '0',
        SLACK_BOT_TOKEN: 'xoxb-bench',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        HOST: '127.0.0.1',
      }),
      logger: createLogger({ level: 'silent' }),
      clock: { now: () => new Date() },
      objectCache: createObjectCache(),
      compute,
    };
    let t = performance.now();
    await seedUnlabeledPool(deps, { name: 'pool', rows, dim });
    console.log(
      `seeded ${rows} unlabeled rows × ${dim}-d on ${database.driver} in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const handler = createSlackHandler(deps, {
      retryConfig: { retries: 2, factor: 1, minTimeout: 20, maxTimeout: 50 },
      postIntervalMs: 0,
      schedule: false,
    });
    await handler.start();
    const server = await listen(createServerApp(deps, { slack: handler }), { host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${server.port}`;
    const endpoints = { '/healthz': `${base}/healthz`, 'board /runs/pool': `${base}/runs/pool` };
    try {
      // Idle baseline: the same endpoints, same loop, nothing else running.
      const idle: Record<string, number[]> = {};
      for (const [label, url] of Object.entries(endpoints)) {
        const stop = hammer(url);
        await new Promise((r) => setTimeout(r, 2000));
        idle[label] = await stop();
      }

      const stops = Object.entries(endpoints).map(([label, url]) => [label, hammer(url)] as const);
      t = performance.now();
      const res = await fetch(
        `${base}/slack/events`,
        slashCommand(SECRET, {
          text: `batch bench-heavy from uncertain ${batch}`,
          responseUrl: slack.responseUrl('bench'),
        }),
      );
      await res.arrayBuffer();
      const ackMs = performance.now() - t;
      const answer = await slack.waitFor(() => slack.responses.find((r) => r.id === 'bench'), 600_000);
      const answerMs = performance.now() - t;
      const busy: Record<string, number[]> = {};
      for (const [label, stop] of stops) busy[label] = await stop();

      console.log(
        `\n/loupe batch … from uncertain ${batch} (diverse over the top ${5 * batch}): ack ${ackMs.toFixed(0)} ms (HTTP ${res.status}), answer through response_url after ${(answerMs / 1000).toFixed(1)} s: ${JSON.stringify(answer.body).includes(`with ${batch} rows`) ? `batch of ${batch} created` : 'UNEXPECTED ANSWER'}`,
      );
      console.log(
        'endpoint            idle p50   idle p99   busy p50   busy p99   busy max   requests   p99 ≤ 100 ms',
      );
      for (const label of Object.keys(endpoints)) {
        const i = idle[label];
        const b = busy[label];
        console.log(
          `${label.padEnd(18)} ${percentile(i, 0.5).toFixed(1).padStart(9)}  ${percentile(i, 0.99).toFixed(1).padStart(9)}  ${percentile(b, 0.5).toFixed(1).padStart(9)}  ${percentile(b, 0.99).toFixed(1).padStart(9)}  ${(b.at(-1) ?? 0).toFixed(1).padStart(9)}  ${String(b.length).padStart(9)}   ${percentile(b, 0.99) <= TARGET_MS ? 'yes' : 'NO'}`,
        );
      }
    } finally {
      await handler.stop();
      await server.close();
    }
  } finally {
    await compute.close();
    await slack.close();
    await cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
