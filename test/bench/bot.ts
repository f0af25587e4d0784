/**
 * Command handling latency on Postgres with a 1M-row classification run: signed HTTP request in,
 * ack out, through the real route, Bolt and the stores. `help` (no database) is the baseline.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/bench/bot.ts [rows]
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { createSlackHandler } from '../../bot/index.ts';
import { createDb } from '../../db/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/deps.ts';
import { startFakeSlack } from '../slack/fake-slack.ts';
import { slashCommand } from '../slack/signed.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';

const SECRET = 'bench-secret';
const COMMANDS = [
  'help',
  'runs',
  'worst-classes',
  'worst-classes by f1 20',
  'errors',
  'mislabels',
  'uncertain 20',
  'rework',
  'board',
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Build a run of `rows` rows with SQL (10 classes, 10% unlabeled, ~3% wrong, 1% flagged). */
async function seed(db: ReturnType<typeof createDb> extends Promise<infer D> ? D : never, rows: number) {
  const { db: d } = db;
  const classes = Array.from({ length: 10 }, (_, i) => `class-${i}`);
  await d.execute(
    sql`insert into datasets (name, kind, class_names) values ('bench', 'classification', ${JSON.stringify(classes)}::jsonb)`,
  );
  await d.execute(
    sql`insert into model_runs (name, dataset_id, kind, metrics) select 'bench-run', id, 'classification', ${JSON.stringify(
      {
        kind: 'classification',
        accuracy: 0.97,
        classes: classes.map((name, i) => ({
          name,
          precision: 0.9 + i / 100,
          recall: 0.95 - i / 100,
          f1: 0.92,
          support: rows / 10,
        })),
      },
    )}::jsonb from datasets where name = 'bench'`,
  );
  await d.execute(sql`insert into data_rows (dataset_id, external_id, labeled)
    select (select id from datasets where name='bench'), g::text, g % 10 <> 0 from generate_series(1, ${rows}::int) g`);
  await d.execute(
    sql`insert into annotations (row_id, ann_key, label) select id, 'label', (id % 10)::int from data_rows where labeled`,
  );
  await d.execute(sql`insert into predictions (run_id, row_id, pred_key, label, score)
    select (select id from model_runs where name='bench-run'), id, 0, (case when id % 33 = 0 then (id + 1) % 10 else id % 10 end)::int, 0.5 + (id % 50) / 100.0 from data_rows`);
  await d.execute(sql`insert into row_scores (run_id, row_id, labeled, iou, confidence, label, predicted, num_gt, num_pred, uncertainty_least, uncertainty_margin, uncertainty_entropy)
    select p.run_id, p.row_id, r.labeled, case when not r.labeled then null when p.label = (r.id % 10) then 1 else 0 end, p.score,
           case when r.labeled then (r.id % 10)::int end, p.label, case when r.labeled then 1 else 0 end, 1,
           case when not r.labeled then 1 - p.score end, case when not r.labeled then 1 - p.score end, case when not r.labeled then 1 - p.score end
    from predictions p join data_rows r on r.id = p.row_id`);
  await d.execute(sql`insert into label_flags (run_id, row_id, kind, given, suggested, score, methods, evidence, rank)
    select s.run_id, s.row_id, 'label', s.label, s.predicted, 1 - s.confidence, '["confident_learning"]'::jsonb, 'bench', row_number() over (order by s.confidence desc, s.row_id)
    from row_scores s where s.labeled and s.iou = 0 and s.row_id % 3 = 0`);
  await d.execute(sql`analyze`);
}

export async function main(rows = Number(process.argv[2] ?? 1_000_000), iterations = 40) {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('bench/bot: set DATABASE_URL (Postgres); the target is about Postgres');
  const name = `loupe_bench_bot_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await createDb({ url: url.toString() });
  const slack = await startFakeSlack();
  try {
    let t = Date.now();
    await seed(database, rows);
    console.log(`seeded ${rows} rows in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const deps = {
      db: database.db,
      database,
      config: loadConfig({
        LOUPE_DEMO: '0',
        SLACK_BOT_TOKEN: 'xoxb-bench',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
      }),
      logger: createLogger({ level: 'warn' }),
      clock: { now: () => new Date() },
      objectCache: createObjectCache(),
    };
    const handler = createSlackHandler(deps, { schedule: false });
    await handler.start();
    const results: { command: string; p50: number; p95: number; max: number }[] = [];
    for (const text of COMMANDS) {
      const times: number[] = [];
      for (let i = 0; i < iterations + 3; i++) {
        const req = slashCommand(SECRET, { text, responseUrl: slack.responseUrl() });
        t = performance.now();
        const res = await handler.app.request('/', req);
        const body = await res.text();
        const ms = performance.now() - t;
        if (res.status !== 200 || body.includes('Working on it') || body.includes("didn't work"))
          throw new Error(`${text}: ${res.status} ${body.slice(0, 200)}`);
        if (i >= 3) times.push(ms); // the first calls warm the caches and the JIT
      }
      times.sort((a, b) => a - b);
      results.push({
        command: text,
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        max: times.at(-1) ?? 0,
      });
    }
    const baseline = results[0].p50;
    console.log(
      `\ncommand handling on Postgres, ${rows} rows, ${iterations} requests each (signed request → ack)`,
    );
    console.log('command                     p50 ms   p95 ms   max ms   p50 / help   p95 < 300 ms');
    for (const r of results)
      console.log(
        `${r.command.padEnd(26)} ${r.p50.toFixed(1).padStart(7)}  ${r.p95.toFixed(1).padStart(7)}  ${r.max.toFixed(1).padStart(7)}  ${(r.p50 / baseline).toFixed(1).padStart(10)}×   ${r.p95 < 300 ? 'yes' : 'NO'}`,
      );
    await handler.stop();
    return results;
  } finally {
    await database.close();
    await slack.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
