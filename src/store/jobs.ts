import type { Database } from '../../db/index.ts';
import type { JobState } from '../../db/schema.ts';
import type { BulkTx } from './ingest-tx.ts';

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
  /** The job that fans this one out and waits for it. */
  parentId?: number | null;
  /**
   * Not added while a job with the same dedupe key runs: for work that is the same whenever it
   * runs (a day's reminder), unlike an analysis, which must run again on data newer than the
   * running one read.
   */
  notWhileRunning?: boolean;
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

/** Rows per INSERT statement (7 parameters each, well under Postgres's 65535). */
const INSERT_BATCH = 1000;
const JOB_PARAMS = 7;

const insertParams = (job: NewJob) => [
  job.kind,
  job.runId ?? null,
  JSON.stringify(job.payload ?? {}),
  job.dedupeKey === undefined ? `${job.kind}:${job.runId ?? ''}` : job.dedupeKey,
  job.maxAttempts ?? 5,
  job.parentId ?? null,
  job.notWhileRunning === true,
];

/** `($1, $2::int, …), (…)`: the VALUES rows of `count` jobs, parameters from `first` on. */
function jobValues(count: number, first = 1): string {
  return Array.from({ length: count }, (_, i) => {
    const p = (n: number) => `$${first + i * JOB_PARAMS + n}`;
    return `(${p(0)}, ${p(1)}::int, ${p(2)}::jsonb, ${p(3)}, ${p(4)}::int, ${p(5)}::bigint, ${p(6)}::boolean)`;
  }).join(', ');
}

const JOB_COLUMNS = 'kind, run_id, payload, dedupe_key, max_attempts, parent_id';
/**
 * The rows of `count` new jobs (parameters from `first` on) as a SELECT whose WHERE leaves out
 * a job `notWhileRunning` while one of its key runs; callers may add `and …` conditions.
 */
function newJobRows(count: number, first = 1): string {
  return `select ${JOB_COLUMNS} from (values ${jobValues(count, first)}) as v (${JOB_COLUMNS}, not_while_running)
    where not (v.not_while_running
      and exists (select 1 from jobs j where j.dedupe_key = v.dedupe_key and j.state = 'running'))`;
}

const ON_QUEUED_DUPLICATE = `on conflict (dedupe_key) where state = 'queued' and attempts = 0 do nothing`;

async function insertJobs(query: Query, jobs: NewJob[]): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < jobs.length; start += INSERT_BATCH) {
    const batch = jobs.slice(start, start + INSERT_BATCH);
    const rows = await query<{ id: number }>(
      `insert into jobs (${JOB_COLUMNS}) ${newJobRows(batch.length)}
        ${ON_QUEUED_DUPLICATE} returning id::float8 as id`,
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
 * Each is one statement, so one round trip: this CTE turns the flush off for its own (implicit)
 * transaction, where a `set local` would need a transaction block of four.
 */
function asyncCommit(database: Database): string {
  // Not on the embedded database: its WAL is flushed by this very process, so a crash right after
  // an asynchronous commit would lose it, the job it claimed or completed with it.
  return database.driver === 'postgres'
    ? `async_commit as materialized (select set_config('synchronous_commit', 'off', true) as off)`
    : 'async_commit as materialized (select null as off)';
}

/** What a worker claims: any due job, or only those of a run and of some kinds. */
export interface ClaimFilter {
  worker: string;
  leaseMs: number;
  runId?: number;
  kinds?: string[];
}

/** The `claimed` CTE: the next due job, locked for `worker`; parameters from `first` on. */
function claimCte(first: number): string {
  const p = (n: number) => `$${first + n}`;
  return `claimed as (
    update jobs set state = 'running', attempts = attempts + 1, progress = 0, locked_by = ${p(0)},
      locked_until = now() + ${p(1)} * interval '1 millisecond', started_at = now(), finished_at = null
    where id = (
      select id from jobs
       where ((state = 'queued' and run_after <= now()) or (state = 'running' and locked_until < now()))
         and (${p(2)}::int is null or run_id = ${p(2)}::int)
         and (${p(3)}::text is null or kind = any(string_to_array(${p(3)}::text, ',')))
       order by run_after, id
       limit 1
       for update skip locked)
    returning id::float8 as id, kind, run_id, payload, attempts, max_attempts)`;
}

const claimParams = ({ worker, leaseMs, runId, kinds }: ClaimFilter) => [
  worker,
  leaseMs,
  runId ?? null,
  kinds?.length ? kinds.join(',') : null,
];

interface ClaimedRow {
  id: number | null;
  kind: string;
  run_id: number | null;
  payload: Record<string, unknown> | string;
  attempts: number;
  max_attempts: number;
}

function claimedJob(r: ClaimedRow | undefined): ClaimedJob | null {
  if (!r || r.id === null) return null;
  return {
    id: Number(r.id),
    kind: r.kind,
    runId: r.run_id === null ? null : Number(r.run_id),
    payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
  };
}

/**
 * Add jobs; one already queued and untried with the same dedupe key absorbs the new one (and
 * a running one too, for a job `notWhileRunning`). Returns the ids of the jobs added.
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
export async function claimJob(database: Database, filter: ClaimFilter): Promise<ClaimedJob | null> {
  const rows = await queryOf(database)<ClaimedRow>(
    `with ${asyncCommit(database)}, ${claimCte(1)} select claimed.* from claimed, async_commit`,
    claimParams(filter),
  );
  return claimedJob(rows[0]);
}

/** Extend a held job's lease and record its progress; false when the lease was lost. */
export async function heartbeatJob(
  database: Database,
  id: number,
  { worker, leaseMs, progress }: { worker: string; leaseMs: number; progress: number },
): Promise<boolean> {
  const rows = await queryOf(database)(
    `with ${asyncCommit(database)}, beat as (
       update jobs set locked_until = now() + $3 * interval '1 millisecond', progress = $4
        where id = $1 and locked_by = $2 and state = 'running' returning id)
     select beat.id from beat, async_commit`,
    [id, worker, leaseMs, Math.min(1, Math.max(0, progress))],
  );
  return rows.length > 0;
}

/**
 * Mark a held job done and add its follow-up jobs, in one statement, so a crash leaves either
 * both or neither; with `claimNext`, claim the worker's next job in the same statement (one round
 * trip per job). `completed` is false when the lease was lost to another worker (nothing of this
 * job changes then).
 */
export async function completeJob(
  database: Database,
  id: number,
  { worker, next = [], claimNext }: { worker: string; next?: NewJob[]; claimNext?: ClaimFilter },
): Promise<{ completed: boolean; claimed: ClaimedJob | null }> {
  const query = queryOf(database);
  // A very long list of follow-ups (more than one INSERT holds) goes in its own statements.
  const inline = next.length <= INSERT_BATCH ? next : [];
  const params: unknown[] = [id, worker, ...inline.flatMap(insertParams)];
  const added = inline.length
    ? `, added as (
        insert into jobs (${JOB_COLUMNS}) ${newJobRows(inline.length, 3)}
          and exists (select 1 from done)
        ${ON_QUEUED_DUPLICATE} returning id)`
    : '';
  const claim = claimNext ? `, ${claimCte(params.length + 1)}` : '';
  if (claimNext) params.push(...claimParams(claimNext));
  const rows = await query<ClaimedRow & { completed: number }>(
    `with ${asyncCommit(database)}, done as (
       update jobs set state = 'done', progress = 1, error = null, finished_at = now(),
         locked_by = null, locked_until = null
       where id = $1 and locked_by = $2 and state = 'running' returning id)${added}${claim}
     select (select count(*) from done)::int as completed${claimNext ? ', claimed.*' : ''}
       from async_commit${claimNext ? ' left join claimed on true' : ''}`,
    params,
  );
  const completed = Number(rows[0]?.completed ?? 0) > 0;
  if (completed && inline.length === 0 && next.length) await insertJobs(query, next);
  return { completed, claimed: claimNext ? claimedJob(rows[0]) : null };
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
    retryInMs: number;
    /** No retry can help: failed now. */
    final?: boolean;
  },
): Promise<JobState | null> {
  const rows = await queryOf(database)<{ state: JobState }>(
    `with ${asyncCommit(database)}, failed as (
       update jobs set
         state = case when $5::boolean or attempts >= max_attempts then 'failed' else 'queued' end,
         run_after = now() + $4 * interval '1 millisecond',
         finished_at = case when $5::boolean or attempts >= max_attempts then now() else null end,
         error = $3, locked_by = null, locked_until = null
       where id = $1 and locked_by = $2 and state = 'running' returning state)
     select failed.state from failed, async_commit`,
    [id, worker, error, retryInMs, final],
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

/**
 * The run's unfinished jobs (queued or running), oldest first: what a page waits on. Children (the
 * chunks of a kNN pass) are left out: their parent carries their progress.
 */
export async function pendingJobs(database: Database, runId: number): Promise<PendingWork[]> {
  const rows = await queryOf(database)<{
    id: number;
    kind: string;
    state: JobState;
    progress: number;
    error: string | null;
  }>(
    `select id::float8 as id, kind, state, progress, error from jobs
      where run_id = $1 and state in ('queued', 'running') and parent_id is null order by id`,
    [runId],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), progress: Number(r.progress) }));
}

/** How the jobs a job fanned out stand: counts by state, and the errors of the failed ones. */
export interface ChildJobs {
  total: number;
  queued: number;
  running: number;
  done: number;
  failed: number;
  errors: string[];
}

/**
 * The state of a job's children (the chunks of a kNN pass), in one query.
 *
 * @example
 * const { done, total } = await childJobs(deps.database, job.id);
 */
export async function childJobs(database: Database, parentId: number): Promise<ChildJobs> {
  const rows = await queryOf(database)<{ state: JobState; n: number; errors: string[] | null }>(
    `select state, count(*)::int as n, array_agg(error) filter (where error is not null) as errors
       from jobs where parent_id = $1 group by state`,
    [parentId],
  );
  const out: ChildJobs = { total: 0, queued: 0, running: 0, done: 0, failed: 0, errors: [] };
  for (const r of rows) {
    out[r.state] = Number(r.n);
    out.total += Number(r.n);
    if (r.state === 'failed') out.errors.push(...(r.errors ?? []));
  }
  return out;
}

/** Where the analysis of an import stands: its jobs (the chain an ingest queued), by state. */
export interface AnalysisState {
  state: 'running' | 'done' | 'failed';
  /** The job running (or next to run) and its progress; null once done. */
  step: { id: number; kind: string; progress: number } | null;
  /** The first error of a job of the chain (failed for good, or waiting for a retry). */
  error: string | null;
}

/**
 * The analysis an import queued, followed from its first job `since`: the run's jobs of `kinds`
 * from that one on (children left out: their pass carries their progress). Done when none is
 * queued or running; failed when one failed, or failed once and waits for its retry, as a local
 * ingest reports the first failure.
 *
 * @example
 * const { state, step } = await analysisState(deps.database, runId, { since: 41, kinds: ANALYSIS_KINDS });
 */
export async function analysisState(
  database: Database,
  runId: number,
  { since, kinds }: { since: number; kinds: readonly string[] },
): Promise<AnalysisState> {
  const rows = await queryOf(database)<{
    id: number;
    kind: string;
    state: JobState;
    progress: number;
    error: string | null;
  }>(
    `select id::float8 as id, kind, state, progress, error from jobs
      where run_id = $1 and id >= $2 and parent_id is null
        and kind = any(string_to_array($3::text, ','))
      order by id`,
    [runId, since, kinds.join(',')],
  );
  const broken = rows.find((r) => r.state === 'failed' || (r.state === 'queued' && r.error !== null));
  if (broken)
    return { state: 'failed', step: null, error: `${broken.kind} job ${broken.id}: ${broken.error}` };
  const current = rows.find((r) => r.state === 'running') ?? rows.find((r) => r.state === 'queued');
  if (!current) return { state: 'done', step: null, error: null };
  return {
    state: 'running',
    step: { id: Number(current.id), kind: current.kind, progress: Number(current.progress) },
    error: null,
  };
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
