import { join } from 'node:path';
import { createSlackHandler } from '../bot/index.ts';
import { createComputePool } from '../src/compute/pool.ts';
import type { Config } from '../src/config.ts';
import { loadDemo } from '../src/demo/load.ts';
import { type Logger, createLogger } from '../src/deps.ts';
import { openDeps } from '../src/open.ts';
import { runsAwaitingProjection } from '../src/store/pending-jobs.ts';
import { createVectorService } from '../src/vectors/service.ts';
import { runRunJobs } from '../src/vectors/jobs.ts';
import { createServerApp, listen } from './server.ts';

/**
 * `loupe serve`: open the database (migrations run; failure exits before listening), load the demo
 * on an empty database, listen, start the bot, then index and project runs that need it in the
 * background (worker threads, never on the request path).
 */
export async function serveCommand(
  config: Config,
  { logger = createLogger(), jobPollMs = 60_000 }: { logger?: Logger; jobPollMs?: number } = {},
) {
  const opened = await openDeps(config, { logger });
  const vectors = createVectorService({
    dataDir: join(config.LOUPE_DATA),
    logger,
    threads: 2,
  });
  // CPU-heavy request work (diverse batches, chart rendering, large exports) runs here, never on
  // the thread that answers requests.
  const compute = createComputePool();
  const deps = { ...opened, vectors, compute };
  if (config.LOUPE_DEMO) {
    const demo = await loadDemo(deps);
    if (demo.loaded) logger.info(`Loaded the demo: ${demo.runs.join(', ')} (LOUPE_DEMO=0 to skip)`);
  }
  const slack = createSlackHandler(deps);
  const server = await listen(createServerApp(deps, { slack }), { host: config.HOST, port: config.PORT });
  const base = config.LOUPE_PUBLIC_URL ?? `http://${config.HOST}:${server.port}`;
  logger.info(`Loupe board on ${base}/ (database: ${deps.database.driver})`);
  await slack.start();

  // Runs imported by another process (Postgres) or before a crash are picked up here, one at a time.
  let stopping = false;
  let background: Promise<void> = Promise.resolve();
  const catchUp = () => {
    background = background
      .then(async () => {
        for (const run of await runsAwaitingProjection(deps.db)) {
          if (stopping) return;
          logger.info(`Indexing and projecting run ${run.name} in the background`);
          await runRunJobs(deps, run.id);
        }
      })
      .catch((err: Error) => logger.error('background jobs failed', { error: err.message }));
  };
  catchUp();
  const timer = setInterval(catchUp, jobPollMs);
  timer.unref();

  const stop = async () => {
    stopping = true;
    clearInterval(timer);
    await slack.stop();
    await server.close();
    await background;
    await vectors.close();
    await compute.close();
    await deps.database.close();
  };
  return { port: server.port, stop };
}
