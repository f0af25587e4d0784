import { join } from 'node:path';
import { createSlackJobs, slackJobBackoff, slackWebClient } from '../bot/jobs.ts';
import { createBoardLinks } from '../bot/links.ts';
import { createChannelPacer } from '../bot/outbox.ts';
import { defaultSources } from '../bot/sources.ts';
import { createComputePool } from '../src/compute/pool.ts';
import type { Config } from '../src/config.ts';
import { type Deps, type Logger, createLogger } from '../src/deps.ts';
import { backoffMs } from '../src/jobs/backoff.ts';
import { JOB_NAMES, SLACK_JOB_KINDS } from '../src/jobs/names.ts';
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
 * The one job runner of a `serve` or `worker` process, over deps that carry the process's vector
 * service: the pipeline's jobs, and Slack's (`extra`) when the process has a Slack client. Slack
 * jobs retry from 30 s up to 5 minutes apart, the others from 2 s.
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
    backoff: (attempt, kind) =>
      SLACK_JOB_KINDS.includes(kind) ? slackJobBackoff(attempt) : backoffMs(attempt),
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
  // Chart rendering (alerts, digests) in worker threads: the job's lease heartbeat keeps beating.
  const compute = createComputePool();
  const deps = { ...opened, vectors, compute };
  // Slack's jobs (digests, alerts, reminders) need a Web API client: with SLACK_BOT_TOKEN this
  // worker runs them and their daily schedules; without it they wait for a process that has one.
  const client = slackWebClient(deps, {});
  const slackJobs = client
    ? createSlackJobs(deps, {
        client,
        links: createBoardLinks({ config, clock: deps.clock }),
        sources: defaultSources,
        pace: createChannelPacer(),
        notify: () => runner.notify(),
      })
    : null;
  const runner = jobRunnerFor(deps, { concurrency, extra: slackJobs?.handlers });
  if (!client)
    logger.info(
      `SLACK_BOT_TOKEN is not set: ${SLACK_JOB_KINDS.map((k) => JOB_NAMES[k]).join(', ')} jobs are left queued for a process that has it`,
    );
  const close = async () => {
    slackJobs?.stop();
    await vectors.close();
    await compute.close();
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
  await slackJobs?.start();
  logger.info(`Loupe worker running ${concurrency} job(s) at a time (database: ${deps.database.driver})`);
  return {
    stop: async () => {
      slackJobs?.stop();
      await runner.stop();
      await close();
    },
    done: null,
  };
}
