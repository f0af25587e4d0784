import type { Database } from '../../db/index.ts';
import type { JobState } from '../../db/schema.ts';
import { type BulkTx, withBulkTransaction } from './ingest-tx.ts';

// The queue is our own table rather than pg-boss or graphile-worker: both need what embedded
// PGlite does not offer (graphile-worker a pg Pool and LISTEN; pg-boss its own schema outside our
// migrations, installed through an adapter that inlines SQL parameters, and no progress field),
// and jobs must be enqueued inside the import's own transaction. It is the pattern they use:
// a row per job, `FOR UPDATE SKIP LOCKED` to claim, a lease that a live worker extends.

export type { JobState };

/** A job to add to the queue. `dedupeKey` defaults to `kind:run` (one untried job per kind and run). */
export interface NewJob {
  kind: string;
  runId?: number | null;
  payload?: Record<string, unknown>;
  dedupeKey?: string | null;
  maxAttempts?: number;
}

/** A job a worker holds: it runs it, then completes or fails it. */
export interface ClaimedJob {
  id: number;
  kind: string;
  runId: number | null;
  payload: Record<string, unknown>;
  /** Attempts so far, this one included. */
  attempts: number;
  maxAttempts: number;
}

/** A line of `loupe jobs`. */
export interface JobRow {
  id: number;
  kind: string;
  run: string | null;
  state: JobState;
  progress: number;
  attempts: number;
  error: string | null;
}

type Query = <T>(text: string, params?: unknown[]) => Promise<T[]>;

/** Parameterised SQL on either driver, outside any transaction. */
function queryOf(database: Database): Query {
  if (database.driver === 'postgres') {
    const sql = database.sql!;
    return async <T>(text: string, params: unknown[] = []) =>
      (await sql.unsafe(text, params as never[])) as unknown as T[];
  }
  const pglite = database.pglite!;
  return async <T>(text: string, params: unknown[] = []) => (await pglite.query<T>(text, params)).rows;
}

/** Rows per INSERT statement (5 parameters each, well under Postgres's 65535). */
const INSERT_BATCH = 1000;

const insertParams = (job: NewJob) => [
  job.kind,
  job.runId ?? null,
  JSON.stringify(job.payload ?? {}),
  job.dedupeKey === undefined ? `${job.kind}:${job.runId ?? ''}` : job.dedupeKey,
  job.maxAttempts ?? 5,
];

async function insertJobs(query: Query, jobs: NewJob[]): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < jobs.length; start += INSERT_BATCH) {
    const batch = jobs.slice(start, start + INSERT_BATCH);
    const values = batch.map(
      (_, i) =>
        `($${i * 5 + 1}, $${i * 5 + 2}::int, $${i * 5 + 3}::jsonb, $${i * 5 + 4}, $${i * 5 + 5}::int)`,
    );
    const rows = await query<{ id: number }>(
      `insert into jobs (kind, run_id, payload, dedupe_key, max_attempts) values ${values.join(', ')}
        on conflict (dedupe_key) where state = 'queued' and attempts = 0 do nothing
        returning id::float8 as id`,
      batch.flatMap(insertParams),
    );
    for (const r of rows) ids.push(Number(r.id));
  }
  return ids;
}

/**
 * The queue's own bookkeeping (claims, heartbeats, completions) commits without waiting for the
 * WAL flush: a crash can lose only the last few hundred milliseconds of it, which at worst runs
 * an idempotent job again — and a completion's follow-up jobs are lost only with the completion.
 */
function bookkeeping<T>(
  database: Database,
  fn: (query: Query) => Promise<T>,
  { statements = 1 }: { statements?: number } = {},
): Promise<T> {
  // The embedded database has no WAL flush to skip, and each extra statement costs a round
  // through the WASM engine: one statement runs alone.
  if (database.driver === 'pglite' && statements === 1) return fn(queryOf(database));
  return withBulkTransaction(database, async (tx) => {
    await tx.query('set local synchronous_commit = off');
    return fn((text, params) => tx.query(text, params));
  });
}

/**
 * Add jobs; one already queued and untried with the same dedupe key absorbs the new one.
 * Returns the ids of the jobs added.
 *
 * @example
 * await enqueueJobs(deps.database, [{ kind: 'analyze', runId }]);
 */
export function enqueueJobs(database: Database, jobs: NewJob[]): Promise<number[]> {
  return insertJobs(queryOf(database), jobs);
}

/** Add jobs inside an open import transaction: they exist exactly when the import committed. */
export function enqueueJobsIn(tx: BulkTx, jobs: NewJob[]): Promise<number[]> {
  return insertJobs((text, params) => tx.query(text, params), jobs);
}

/**
 * Claim the next due job: a queued one whose time has come, or a running one whose lease ran out
 * (its worker died). `SKIP LOCKED` lets any number of workers claim at once, each job once.
 */
export async function claimJob(
  database: Database,
  { worker, leaseMs, runId, kinds }: { worker: string; leaseMs: number; runId?: number; kinds?: string[] },
): Promise<ClaimedJob | null> {
  const rows = await bookkeeping(database, (query) =>
    query<{
      id: number;
      kind: string;
      run_id: number | null;
      payload: Record<string, unknown> | string;
      attempts: number;
      max_attempts: number;
    }>(
      `update jobs set state = 'running', attempts = attempts + 1, progress = 0, locked_by = $1,
        locked_until = now() + $2 * interval '1 millisecond', started_at = now(), finished_at = null
      where id = (
        select id from jobs
         where ((state = 'queued' and run_after <= now()) or (state = 'running' and locked_until < now()))
           and ($3::int is null or run_id = $3::int)
           and ($4::text is null or kind = any(string_to_array($4::text, ',')))
         order by run_after, id
         limit 1
         for update skip locked)
      returning id::float8 as id, kind, run_id, payload, attempts, max_attempts`,
      [worker, leaseMs, runId ?? null, kinds?.length ? kinds.join(',') : null],
    ),
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: Number(r.id),
    kind: r.kind,
    runId: r.run_id === null ? null : Number(r.run_id),
    payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
  };
}

/** Extend a held job's lease and record its progress; false when the lease was lost. */
export async function heartbeatJob(
  database: Database,
  id: number,
  { worker, leaseMs, progress }: { worker: string; leaseMs: number; progress: number },
): Promise<boolean> {
  const rows = await bookkeeping(database, (query) =>
    query(
      `update jobs set locked_until = now() + $3 * interval '1 millisecond', progress = $4
        where id = $1 and locked_by = $2 and state = 'running' returning id`,
      [id, worker, leaseMs, Math.min(1, Math.max(0, progress))],
    ),
  );
  return rows.length > 0;
}

/**
 * Mark a held job done and add its follow-up jobs in the same transaction, so a crash leaves
 * either both or neither. False when the lease was lost to another worker (nothing changes).
 */
export async function completeJob(
  database: Database,
  id: number,
  { worker, next = [] }: { worker: string; next?: NewJob[] },
): Promise<boolean> {
  return bookkeeping(
    database,
    async (query) => {
      const rows = await query(
        `update jobs set state = 'done', progress = 1, error = null, finished_at = now(),
          locked_by = null, locked_until = null
        where id = $1 and locked_by = $2 and state = 'running' returning id`,
        [id, worker],
      );
      if (rows.length === 0) return false;
      await insertJobs(query, next);
      return true;
    },
    { statements: next.length ? 2 : 1 },
  );
}

/**
 * Record a held job's failure: queued again after `retryInMs` while attempts remain, else failed
 * (at once when `final`: the error says no retry can fix it).
 * Returns the state it ends in, or null when the lease was lost.
 */
export async function failJob(
  database: Database,
  id: number,
  {
    worker,
    error,
    retryInMs,
    final = false,
  }: {
    worker: string;
    error: string;
    retryInMs: number /** No retry can help: failed now. */;
    final?: boolean;
  },
): Promise<JobState | null> {
  const rows = await bookkeeping(database, (query) =>
    query<{ state: JobState }>(
      `update jobs set
        state = case when $5::boolean or attempts >= max_attempts then 'failed' else 'queued' end,
        run_after = now() + $4 * interval '1 millisecond',
        finished_at = case when $5::boolean or attempts >= max_attempts then now() else null end,
        error = $3, locked_by = null, locked_until = null
      where id = $1 and locked_by = $2 and state = 'running' returning state`,
      [id, worker, error, retryInMs, final],
    ),
  );
  return rows[0]?.state ?? null;
}

/**
 * Hand every running job back to the queue. Only for the embedded database at start: its lock
 * file makes this the one process, so whatever says "running" was cut short by a crash.
 */
export async function releaseOrphanedJobs(database: Database): Promise<number> {
  const rows = await queryOf(database)(
    `update jobs set state = 'queued', locked_by = null, locked_until = null, run_after = now()
      where state = 'running' returning id`,
  );
  return rows.length;
}

/** The most recent jobs (oldest first), as `loupe jobs` lists them. */
export async function listJobs(
  database: Database,
  { limit = 500 }: { limit?: number } = {},
): Promise<JobRow[]> {
  const rows = await queryOf(database)<{
    id: number;
    kind: string;
    run: string | null;
    state: JobState;
    progress: number;
    attempts: number;
    error: string | null;
  }>(
    `select * from (
       select j.id::float8 as id, j.kind, r.name as run, j.state, j.progress, j.attempts, j.error
         from jobs j left join model_runs r on r.id = j.run_id
        order by j.id desc limit $1) recent
      order by id`,
    [limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    run: r.run,
    state: r.state,
    progress: Number(r.progress),
    attempts: Number(r.attempts),
    error: r.error,
  }));
}

/** An unfinished job of a run, as the board shows it. */
export interface PendingWork {
  id: number;
  kind: string;
  state: JobState;
  progress: number;
  error: string | null;
}

/** The run's unfinished jobs (queued or running), oldest first: what a page waits on. */
export async function pendingJobs(database: Database, runId: number): Promise<PendingWork[]> {
  const rows = await queryOf(database)<{
    id: number;
    kind: string;
    state: JobState;
    progress: number;
    error: string | null;
  }>(
    `select id::float8 as id, kind, state, progress, error from jobs
      where run_id = $1 and state in ('queued', 'running') order by id`,
    [runId],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), progress: Number(r.progress) }));
}

/** Forget finished jobs older than `days`: the queue keeps what is pending and recent history. */
export async function pruneFinishedJobs(
  database: Database,
  { days = 7 }: { days?: number } = {},
): Promise<number> {
  const rows = await queryOf(database)(
    `delete from jobs where state in ('done', 'failed') and finished_at < now() - $1 * interval '1 day' returning id`,
    [days],
  );
  return rows.length;
}
