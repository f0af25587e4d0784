import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { Database } from '../../db/index.ts';
import { type SlackHandler, type SlackHandlerOptions, createSlackHandler } from '../../bot/index.ts';
import { loadConfig } from '../../src/config.ts';
import { type Clock, type Deps, createLogger } from '../../src/deps.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';
import { type JobRunner, createJobRunner } from '../../src/jobs/runner.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';
import { argmax, insertPredictions, insertRun } from '../helpers/builder.ts';
import { type FakeSlack, startFakeSlack } from './fake-slack.ts';
import type { SignedRequest } from './signed.ts';

export const SECRET = 'test-signing-secret-0123456789';

export interface Harness {
  url: string;
  slack: FakeSlack;
  handler: SlackHandler;
  /** The process's job runner over the bot's jobs, as `serve` has it (with `runJobs`). */
  jobs: JobRunner | null;
  deps: Deps;
  logs: string[];
  send(req: SignedRequest | RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The bot as `loupe serve` mounts it, on a real port, talking to a fake Slack: requests go over
 * HTTP exactly as Slack sends them.
 */
export async function startHarness(
  database: Database,
  {
    env = {},
    clock = { now: () => new Date() },
    options = {},
    slack: given,
    runJobs = false,
  }: {
    env?: Record<string, string>;
    clock?: Clock;
    options?: SlackHandlerOptions;
    slack?: FakeSlack;
    runJobs?: boolean;
  } = {},
): Promise<Harness> {
  const slack = given ?? (await startFakeSlack());
  const logs: string[] = [];
  const deps: Deps = {
    db: database.db,
    database,
    config: loadConfig({
      LOUPE_DEMO: '0',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      LOUPE_SECRET: 'link-secret',
      LOUPE_PUBLIC_URL: 'https://loupe.example.com',
      ...env,
    }),
    logger: createLogger({ level: 'info', write: (l) => logs.push(l) }),
    clock,
    objectCache: createObjectCache(),
  };
  const handler = createSlackHandler(deps, {
    retryConfig: { retries: 2, factor: 1, minTimeout: 20, maxTimeout: 50 },
    responsePolicy: { attempts: 3, backoffMs: 20, maxRetryAfterMs: 5000 },
    postIntervalMs: 0,
    schedule: false,
    reminders: false,
    onJobsQueued: () => jobs?.notify(),
    ...options,
  });
  const jobs = runJobs
    ? createJobRunner(deps, { handlers: handler.jobHandlers, pollMs: 50, backoff: () => 20 })
    : null;
  const root = new Hono();
  root.route('/slack/events', handler.app);
  await handler.start();
  await jobs?.start();
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: root.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  return {
    url,
    slack,
    handler,
    jobs,
    deps,
    logs,
    send: (req) => fetch(url, req as RequestInit),
    async close() {
      await handler.stop();
      await jobs?.stop();
      await new Promise<void>((r) => server.close(() => r()));
      if (!given) await slack.close();
    },
  };
}

/**
 * A small analysed classification run: 12 labeled rows (2 confident disagreements with the
 * label: rows '9' and '10') and 4 unlabeled ones. Class 2's name tries to ping the channel.
 */
export async function seedRun(deps: Deps, name = 'run-a') {
  const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 1, 2, null, null, null, null];
  const probs = labels.map((l, i) => {
    if (l === null) return [0.4, 0.35, 0.25];
    const p = [0.1, 0.1, 0.1];
    p[i === 9 ? 1 : i === 10 ? 2 : l] = 0.8;
    return p;
  });
  const run = await insertClassificationRun(deps.db, {
    name,
    classNames: ['cat', 'dog', '<!channel>'],
    labels,
    probs,
  });
  await analyzeRun(deps, run.runId);
  return run;
}

/**
 * A second run on the dataset of `seedRun`: the same predictions except row '0' (a cat) is now
 * predicted dog, so cat gets worse and accuracy drops from 10/12 to 9/12.
 */
export async function seedNextRun(deps: Deps, base: { datasetId: number; rowIds: number[] }, name: string) {
  const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 1, 2, null, null, null, null];
  const runId = await insertRun(deps.db, {
    name,
    datasetId: base.datasetId,
    kind: 'classification',
    createdAt: new Date(Date.now() + 60_000),
  });
  await insertPredictions(
    deps.db,
    runId,
    labels.map((l, i) => {
      const p = l === null ? [0.4, 0.35, 0.25] : [0.1, 0.1, 0.1];
      if (l !== null) p[i === 0 || i === 9 ? 1 : i === 10 ? 2 : l] = 0.8;
      const label = argmax(p);
      return { rowId: base.rowIds[i], predKey: 0, label, score: p[label], probs: p };
    }),
  );
  await analyzeRun(deps, runId);
  return { runId };
}
