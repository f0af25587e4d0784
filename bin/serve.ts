import { randomBytes } from 'node:crypto';
import { recordLockServer } from '../db/lock.ts';
import { createSlackHandler } from '../bot/index.ts';
import { createComputePool } from '../src/compute/pool.ts';
import type { Config } from '../src/config.ts';
import { loadDemo } from '../src/demo/load.ts';
import { type Logger, createLogger } from '../src/deps.ts';
import { openDeps } from '../src/open.ts';
import { createServerApp, listen } from './server.ts';
import { jobRunnerFor, processVectors } from './worker.ts';

/**
 * `loupe serve`: open the database (migrations run; failure exits before listening), load the demo
 * on an empty database, listen, start the bot, then run jobs (index, analysis, projection) from
 * the queue unless `worker` is false — those left by a crash or another process included.
 */
export async function serveCommand(
  config: Config,
  {
    logger = createLogger(),
    worker = true,
    concurrency = 1,
  }: { logger?: Logger; worker?: boolean; concurrency?: number } = {},
) {
  const opened = await openDeps(config, { logger });
  const vectors = processVectors(config, logger);
  // CPU-heavy request work (diverse batches, chart rendering, large exports) runs here, never on
  // the thread that answers requests.
  const compute = createComputePool();
  const deps = { ...opened, vectors, compute };
  // One job runner per process: the pipeline's jobs and the bot's (digests, alerts, reminders).
  // With --no-worker there is none: the bot's schedules queue their jobs for `loupe worker`.
  const slack = createSlackHandler(deps, { onJobsQueued: () => runner?.notify() });
  const runner = worker ? jobRunnerFor(deps, { concurrency, extra: slack.jobHandlers }) : null;
  if (config.LOUPE_DEMO) {
    // With a worker here the demo's analysis runs as jobs once we listen; without one, now.
    const demo = await loadDemo(deps, { wait: !runner });
    if (demo.loaded) logger.info(`Loaded the demo: ${demo.runs.join(', ')} (LOUPE_DEMO=0 to skip)`);
  }
  // The embedded database is this process's alone: CLI commands started meanwhile hand their work
  // to it over loopback, presenting this key, which only the data folder's owner can read.
  const localKey = deps.database.dataDir ? randomBytes(32).toString('hex') : undefined;
  const server = await listen(
    createServerApp(deps, { slack, localKey, onJobsQueued: () => runner?.notify() }),
    {
      host: config.HOST,
      port: config.PORT,
    },
  );
  if (deps.database.dataDir && localKey)
    recordLockServer(deps.database.dataDir, {
      url: `http://${loopbackHost(config.HOST)}:${server.port}`,
      key: localKey,
    });
  const base = config.LOUPE_PUBLIC_URL ?? `http://${config.HOST}:${server.port}`;
  logger.info(`Loupe board on ${base}/ (database: ${deps.database.driver})`);
  // The runner first: on the embedded database it queues again what a crash left running.
  await runner?.start();
  await slack.start();

  const stop = async () => {
    await slack.stop();
    await server.close();
    await runner?.stop();
    await vectors.close();
    await compute.close();
    await deps.database.close();
  };
  return { port: server.port, stop };
}

/** Where a CLI on this machine reaches a server listening on `host`. */
function loopbackHost(host: string): string {
  if (host === '0.0.0.0' || host === '' || host === '::' || host === '[::]') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
