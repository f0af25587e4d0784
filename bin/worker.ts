import { join } from 'node:path';
import type { Config } from '../src/config.ts';
import { type Deps, type Logger, createLogger } from '../src/deps.ts';
import { configuredRunner, pipelineHandlers } from '../src/jobs/pipeline.ts';
import { type JobHandlers, type JobRunner, createJobRunner } from '../src/jobs/runner.ts';
import { openDeps } from '../src/open.ts';
import { type VectorService, createVectorService } from '../src/vectors/service.ts';

/**
 * The process's vector service: indexes saved under LOUPE_DATA/indexes and, on Postgres, in the
 * database, so an index is built once for every instance; LOUPE_VECTOR_THREADS usearch threads.
 */
export function processVectors(config: Config, logger: Logger): VectorService {
  return createVectorService({
    dataDir: join(config.LOUPE_DATA),
    logger,
    threads: config.LOUPE_VECTOR_THREADS,
    shareIndexes: Boolean(config.DATABASE_URL),
  });
}

/**
 * The job runner of a `serve` or `worker` process, over deps that carry the process's vector
 * service.
 *
 * @example
 * const runner = jobRunnerFor(deps, { concurrency: 2, extra: slack.jobHandlers });
 * await runner.start();
 */
export function jobRunnerFor(
  deps: Deps,
  { concurrency = 1, extra = {} }: { concurrency?: number; extra?: JobHandlers } = {},
): JobRunner {
  return createJobRunner(deps, {
    handlers: { ...pipelineHandlers(deps), ...extra },
    concurrency,
    ...configuredRunner(deps.config),
  });
}

/**
 * `loupe worker`: run jobs only (no board, no bot). With `once`, run the jobs that are due and
 * exit; otherwise run until stopped.
 */
export async function workerCommand(
  config: Config,
  {
    logger = createLogger(),
    concurrency = 1,
    once = false,
  }: { logger?: Logger; concurrency?: number; once?: boolean } = {},
): Promise<{ stop: () => Promise<void>; done: Promise<{ ran: number; failed: number }> | null }> {
  const opened = await openDeps(config, { logger });
  const vectors = processVectors(config, logger);
  const deps = { ...opened, vectors };
  const runner = jobRunnerFor(deps, { concurrency });
  const close = async () => {
    await vectors.close();
    await deps.database.close();
  };
  if (once) {
    const done = (async () => {
      try {
        await runner.recover();
        return await runner.drain({ keepGoing: true });
      } finally {
        await close();
      }
    })();
    return { stop: async () => {}, done };
  }
  await runner.start();
  logger.info(`Loupe worker running ${concurrency} job(s) at a time (database: ${deps.database.driver})`);
  return {
    stop: async () => {
      await runner.stop();
      await close();
    },
    done: null,
  };
}
