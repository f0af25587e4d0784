import { expect, it } from 'vitest';
import { backoffMs } from '../../src/jobs/backoff.ts';
import { createJobRunner } from '../../src/jobs/runner.ts';
import { claimJob, enqueueJobs, listJobs, pendingJobs, pruneFinishedJobs } from '../../src/store/jobs.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { seedRun } from '../vectors/seed.ts';

it('backs off doubling from 2 s, capped at 5 minutes', () => {
  expect([1, 2, 3, 4].map((n) => backoffMs(n))).toEqual([2000, 4000, 8000, 16000]);
  expect(backoffMs(20)).toBe(300_000);
});

describeEachDriver('job queue', (ctx) => {
  it('keeps one untried job per key, retries a failure with backoff, and fails for good after the last attempt', async () => {
    const deps = testDeps(ctx().database);
    const { runId } = await seedRun(ctx().database.db, { name: 'q-retry', vectors: [] });
    const added = await enqueueJobs(ctx().database, [
      { kind: 'flaky', runId, maxAttempts: 3 },
      { kind: 'flaky', runId },
    ]);
    expect(added).toHaveLength(1);
    let calls = 0;
    const runner = createJobRunner(deps, {
      backoff: () => 0,
      handlers: {
        async flaky({ progress }) {
          calls++;
          progress(0.5);
          throw new Error(`attempt ${calls} broke`);
        },
      },
    });
    expect(await runner.drain({ runId, keepGoing: true })).toEqual({ ran: 3, failed: 3 });
    const [job] = (await listJobs(ctx().database)).filter((j) => j.run === 'q-retry');
    expect(job).toEqual({
      id: added[0],
      kind: 'flaky',
      run: 'q-retry',
      state: 'failed',
      // Where its last attempt got to.
      progress: 0.5,
      attempts: 3,
      error: 'attempt 3 broke',
    });
    // A failed job no longer blocks a new one of the same key.
    expect(await enqueueJobs(ctx().database, [{ kind: 'flaky', runId }])).toHaveLength(1);
  });

  it('adds a job while one of its key runs, unless it is the same work whenever it runs', async () => {
    const { runId } = await seedRun(ctx().database.db, { name: 'q-running', vectors: [] });
    const again = { kind: 'again', runId };
    const daily = { kind: 'daily', runId, dedupeKey: `daily:${runId}`, notWhileRunning: true };
    expect(await enqueueJobs(ctx().database, [again, daily])).toHaveLength(2);
    const claim = () =>
      claimJob(ctx().database, { worker: 'w', leaseMs: 60_000, runId, kinds: ['again', 'daily'] });
    expect((await claim())?.kind).toBe('again');
    expect((await claim())?.kind).toBe('daily');
    // An analysis queued while one runs must run again on the newer data; a day's reminder not.
    expect(await enqueueJobs(ctx().database, [again])).toHaveLength(1);
    expect(await enqueueJobs(ctx().database, [daily])).toEqual([]);
    expect((await listJobs(ctx().database)).filter((j) => j.run === 'q-running')).toHaveLength(3);
  });

  it('runs follow-up jobs, records progress, and throws the first failure of a drain', async () => {
    const deps = testDeps(ctx().database);
    const { runId } = await seedRun(ctx().database.db, { name: 'q-chain', vectors: [] });
    await enqueueJobs(ctx().database, [{ kind: 'first', runId }]);
    const seen: number[] = [];
    const runner = createJobRunner(deps, {
      handlers: {
        async first({ job, progress }) {
          progress(0.3);
          seen.push(job.attempts);
          return [{ kind: 'second', runId, payload: { n: 2 } }];
        },
        async second({ job }) {
          if (job.payload.n !== 2) throw new Error('payload lost');
          throw new Error('second broke');
        },
      },
    });
    await expect(runner.drain({ runId })).rejects.toThrow('second broke');
    expect((await listJobs(ctx().database)).filter((j) => j.run === 'q-chain')).toEqual([
      expect.objectContaining({ kind: 'first', state: 'done', progress: 1, attempts: 1 }),
      expect.objectContaining({ kind: 'second', state: 'queued', attempts: 1, error: 'second broke' }),
    ]);
    expect(seen).toEqual([1]);
    // Retried after its backoff, not before.
    expect(await claimJob(ctx().database, { worker: 'w', leaseMs: 1000, runId })).toBeNull();
  });

  it('takes over a job whose worker stopped extending its lease, and never hands a held one out twice', async () => {
    const { database } = ctx();
    const { runId } = await seedRun(database.db, { name: 'q-lease', vectors: [] });
    await enqueueJobs(database, [{ kind: 'slow', runId }]);
    const a = await claimJob(database, { worker: 'a', leaseMs: 300, runId });
    expect(a).toMatchObject({ kind: 'slow', attempts: 1 });
    expect(await claimJob(database, { worker: 'b', leaseMs: 300, runId })).toBeNull();
    await new Promise((r) => setTimeout(r, 400));
    const b = await claimJob(database, { worker: 'b', leaseMs: 60_000, runId });
    expect(b).toMatchObject({ id: a!.id, attempts: 2 });
    expect(await pendingJobs(database, runId)).toEqual([
      { id: a!.id, kind: 'slow', state: 'running', progress: 0, error: null },
    ]);
  });

  it('forgets finished jobs past their retention, never pending ones', async () => {
    const { database } = ctx();
    const before = await listJobs(database);
    const finished = before.filter((j) => j.state === 'done' || j.state === 'failed').length;
    expect(finished).toBeGreaterThan(0);
    expect(await pruneFinishedJobs(database, { days: 7 })).toBe(0);
    expect(await pruneFinishedJobs(database, { days: 0 })).toBe(finished);
    expect((await listJobs(database)).map((j) => j.state).sort()).toEqual(
      before
        .filter((j) => j.state === 'queued' || j.state === 'running')
        .map((j) => j.state)
        .sort(),
    );
  });
});
