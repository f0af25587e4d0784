import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Deps } from '../deps.ts';
import {
  type ClaimFilter,
  type ClaimedJob,
  type NewJob,
  claimJob,
  completeJob,
  failJob,
  heartbeatJob,
  pendingJobs,
  pruneFinishedJobs,
  releaseOrphanedJobs,
} from '../store/jobs.ts';
import { backoffMs } from './backoff.ts';

/** What a handler gets: its job, and a progress reporter (0..1, stored at most every few hundred ms). */
export interface JobContext {
  job: ClaimedJob;
  progress(fraction: number): void;
  /**
   * Claim one due job of `kinds` (of `runId` when given) and run it here, as this runner runs any
   * job: a job that waits on jobs it fanned out works on them meanwhile, so it never idles a
   * slot. False when none was due.
   */
  runOne(filter: { kinds: string[]; runId?: number }): Promise<boolean>;
}

/**
 * Runs one job; returns the jobs that follow it (added in the same transaction that marks it done).
 * A thrown error with `retryable: false` fails the job at once; any other is retried with backoff.
 */
export type JobHandler = (ctx: JobContext) => Promise<NewJob[] | undefined>;

export type JobHandlers = Record<string, JobHandler>;

export interface JobRunnerOptions {
  handlers: JobHandlers;
  /** Jobs run at once by this process (heavy work runs in worker threads; this bounds them). */
  concurrency?: number;
  /** How often an idle slot looks for work. */
  pollMs?: number;
  /** A claimed job is this process's until its lease ends; a live worker extends it every third. */
  leaseMs?: number;
  /** Wait before retry n (1-based) of a job of `kind`. */
  backoff?: (attempt: number, kind: string) => number;
  /** This worker's name in `jobs.locked_by`. */
  worker?: string;
  /** Told when a job starts (0) and of each progress it reports: a CLI draws it. */
  onProgress?: (job: ClaimedJob, fraction: number) => void;
  /**
   * Queue again, at start, the jobs a crashed embedded-database process left running (default
   * true). A second runner in the same process (the bot's) leaves that to the main one.
   */
  recoverOnStart?: boolean;
  /**
   * Fault injection for crash tests: `kind` or `kind@fraction` — SIGKILL this process when a job of
   * that kind starts, or reports that much progress (LOUPE_CRASH_AT).
   */
  crashAt?: string;
}

export interface JobRunner {
  /** On the embedded database, queue again the jobs a crashed process left "running". */
  recover(): Promise<void>;
  /** Start claiming jobs in the background (after `recover`). */
  start(): Promise<void>;
  /** Wake idle slots now (something was just enqueued by this process). */
  notify(): void;
  /**
   * Run the jobs of one run (or every due job) in the foreground until none is left, waiting for
   * those other workers hold. Throws the first failure of a job it ran, unless `keepGoing`. Counts
   * every job run here, those a job ran on its behalf (its chunks) included.
   */
  drain(opts?: { runId?: number; keepGoing?: boolean }): Promise<{ ran: number; failed: number }>;
  /** Stop claiming and wait for the jobs in hand to finish. */
  stop(): Promise<void>;
}

const sleep = (ms: number, wake: { fn?: () => void }) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
    wake.fn = () => {
      clearTimeout(timer);
      resolve();
    };
  });

function crashPoint(spec: string | undefined): { kind: string; at: number } | null {
  if (!spec) return null;
  const [kind, at] = spec.split('@');
  return { kind, at: at === undefined ? 0 : Number(at) };
}

/**
 * The job worker of a process: `concurrency` slots, each claiming a due job from the queue
 * (SKIP LOCKED, so any number of processes share it), running its handler with a lease it keeps
 * extending, then completing it (with its follow-ups) or failing it with exponential backoff.
 *
 * @example
 * const runner = createJobRunner(deps, { handlers: pipelineHandlers(deps), concurrency: 2 });
 * await runner.start();
 * // …
 * await runner.stop();
 */
export function createJobRunner(
  deps: Deps,
  {
    handlers,
    concurrency = 1,
    pollMs = 1000,
    leaseMs = 60_000,
    backoff = (attempt) => backoffMs(attempt),
    worker = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    crashAt,
    recoverOnStart = true,
    onProgress = () => {},
  }: JobRunnerOptions,
): JobRunner {
  const { database, logger } = deps;
  const crash = crashPoint(crashAt);
  const kinds = Object.keys(handlers);
  const wakers = new Set<{ fn?: () => void }>();
  let stopping = false;
  let loops: Promise<void>[] = [];
  // Every job this runner ran or failed, those a handler ran through `runOne` included.
  const tally = { ran: 0, failed: 0 };

  const maybeCrash = (job: ClaimedJob, fraction: number) => {
    if (crash && crash.kind === job.kind && fraction >= crash.at) {
      logger.warn('crashing on purpose (LOUPE_CRASH_AT)', { job: job.id, kind: job.kind, fraction });
      process.kill(process.pid, 'SIGKILL');
    }
  };

  /** Runs one claimed job to its end; returns the error when it failed. */
  /**
   * Runs one claimed job to its end; returns its error when it failed, and the next job when
   * `claimNext` asked for one and the completion claimed it (one statement).
   */
  async function run(
    job: ClaimedJob,
    claimNext?: ClaimFilter,
  ): Promise<{ error: Error | null; next: ClaimedJob | null }> {
    tally.ran++;
    const out = await runCounted(job, claimNext);
    if (out.error) tally.failed++;
    return out;
  }

  async function runCounted(
    job: ClaimedJob,
    claimNext?: ClaimFilter,
  ): Promise<{ error: Error | null; next: ClaimedJob | null }> {
    const started = performance.now();
    if (job.attempts > job.maxAttempts) {
      const error = `gave up after ${job.maxAttempts} attempts (the last one stopped without finishing)`;
      await failJob(database, job.id, { worker, error, retryInMs: 0 });
      logger.error('job failed', { job: job.id, kind: job.kind, error });
      return { error: new Error(error), next: null };
    }
    logger.info('job started', { job: job.id, kind: job.kind, run: job.runId, attempt: job.attempts });
    let progress = 0;
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const beat = () => {
      lastWrite = performance.now();
      writing = writing
        .then(() => heartbeatJob(database, job.id, { worker, leaseMs, progress }))
        .then((held) => {
          if (!held) logger.warn('job lease lost to another worker', { job: job.id, kind: job.kind });
        })
        .catch((err: Error) => logger.warn('job heartbeat failed', { job: job.id, error: err.message }));
    };
    const heartbeat = setInterval(beat, Math.max(50, Math.floor(leaseMs / 3)));
    heartbeat.unref?.();
    maybeCrash(job, 0);
    onProgress(job, 0);
    try {
      const handler = handlers[job.kind];
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      const next = await handler({
        job,
        async runOne({ kinds: wanted, runId }) {
          const other = await claimJob(database, { worker, leaseMs, runId, kinds: wanted });
          if (!other) return false;
          await run(other);
          return true;
        },
        progress(fraction) {
          progress = Math.min(1, Math.max(progress, fraction));
          maybeCrash(job, progress);
          onProgress(job, progress);
          if (performance.now() - lastWrite > 250) beat();
        },
      });
      clearInterval(heartbeat);
      await writing;
      const done = await completeJob(database, job.id, {
        worker,
        next: next ?? [],
        claimNext: claimNext && !stopping ? claimNext : undefined,
      });
      logger.info('job done', { job: job.id, kind: job.kind, ms: Math.round(performance.now() - started) });
      return { error: null, next: done.claimed };
    } catch (err) {
      clearInterval(heartbeat);
      await writing;
      const error = err as Error;
      const state = await failJob(database, job.id, {
        worker,
        error: error.message,
        retryInMs: backoff(job.attempts, job.kind),
        // An error that says a retry cannot help (a Slack permission, say) fails the job now.
        final: (error as { retryable?: unknown }).retryable === false,
      }).catch((e: Error) => {
        logger.error('job failure not recorded', { job: job.id, error: e.message });
        return null;
      });
      logger.error('job failed', { job: job.id, kind: job.kind, error: error.message, now: state });
      return { error, next: null };
    }
  }

  async function loop() {
    const wake: { fn?: () => void } = {};
    wakers.add(wake);
    try {
      while (!stopping) {
        let job: ClaimedJob | null = null;
        try {
          job = await claimJob(database, { worker, leaseMs, kinds });
        } catch (err) {
          logger.error('claiming a job failed', { error: (err as Error).message });
        }
        // Each completion claims the next job in the same statement, while there is one.
        while (job) job = (await run(job, !stopping ? { worker, leaseMs, kinds } : undefined)).next;
        if (!stopping) await sleep(pollMs, wake);
      }
    } finally {
      wakers.delete(wake);
    }
  }

  const runner: JobRunner = {
    async recover() {
      if (database.driver !== 'pglite') return;
      const released = await releaseOrphanedJobs(database);
      if (released) logger.info('jobs cut short by a previous stop are queued again', { jobs: released });
    },
    async start() {
      if (recoverOnStart) await runner.recover();
      await pruneFinishedJobs(database);
      loops = Array.from({ length: concurrency }, () => loop());
    },
    notify() {
      for (const w of wakers) w.fn?.();
    },
    async drain({ runId, keepGoing = false } = {}) {
      const before = { ...tally };
      const counts = () => ({ ran: tally.ran - before.ran, failed: tally.failed - before.failed });
      const wake: { fn?: () => void } = {};
      const filter: ClaimFilter = { worker, leaseMs, runId, kinds };
      let job: ClaimedJob | null = null;
      for (;;) {
        job ??= await claimJob(database, filter);
        if (job) {
          const { error, next } = await run(job, filter);
          if (error && !keepGoing) throw error;
          job = next;
          continue;
        }
        // Nothing claimable: done, unless another worker holds (or will retry) one of them.
        if (runId === undefined) return counts();
        const pending = (await pendingJobs(database, runId)).filter((j) => kinds.includes(j.kind));
        if (pending.length === 0) return counts();
        await sleep(pollMs, wake);
      }
    },
    async stop() {
      stopping = true;
      for (const w of wakers) w.fn?.();
      await Promise.all(loops);
    },
  };
  return runner;
}
