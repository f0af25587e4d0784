import { Cron } from 'croner';
import type { Deps } from '../../src/deps.ts';
import { enqueueJobs } from '../../src/store/jobs.ts';
import { digestJob } from './job.ts';
import { dayIn } from './send.ts';

/**
 * The most recent scheduled time at or before `now`, when it is recent enough to still send
 * (a server down at 09:00 and back at 11:00 catches up; one down for a week sends today's only).
 */
export function dueFire(cron: string, timezone: string, now: Date, catchUpMs: number): Date | null {
  const job = new Cron(cron, { timezone, paused: true });
  try {
    const [last] = job.previousRuns(1, new Date(now.getTime() + 1000));
    if (!last || last.getTime() > now.getTime()) return null;
    return now.getTime() - last.getTime() <= catchUpMs ? last : null;
  } finally {
    job.stop();
  }
}

/** A digest missed by less than this (a server down at 09:00) is still sent. */
export const CATCH_UP_MS = 20 * 3600 * 1000;

export interface DigestScheduler {
  start(): void;
  stop(): void;
  /** Queue the digests that are due now (called by croner and at start, for catch-up). */
  tick(): Promise<{ day: string | null; queued: number }>;
}

/**
 * Daily digests on LOUPE_DIGEST_CRON in LOUPE_TZ with croner: each due fire queues one `digest`
 * job per channel. Every tick derives the day from the clock, and the (channel, day) row decides
 * who sends, so a DST change, a restart or a second instance never sends a day twice; retries with
 * backoff (and their cap) are the queue's, and permanent Slack errors are not retried at all.
 *
 * @example
 * const scheduler = createDigestScheduler({ deps, notify: () => runner.notify() });
 */
export function createDigestScheduler({
  deps,
  channels = deps.config.LOUPE_DIGEST_CHANNELS,
  cron = deps.config.LOUPE_DIGEST_CRON,
  timezone = deps.config.LOUPE_TZ,
  notify = () => {},
  catchUpMs = CATCH_UP_MS,
}: {
  deps: Deps;
  channels?: string[];
  cron?: string;
  timezone?: string;
  /** Wake the job runner that sends them. */
  notify?: () => void;
  catchUpMs?: number;
}): DigestScheduler {
  // Fail at start on a bad pattern or zone, not at 09:00.
  new Cron(cron, { timezone, paused: true }).stop();
  let job: Cron | null = null;

  const tick = async () => {
    const fire = dueFire(cron, timezone, deps.clock.now(), catchUpMs);
    if (!fire || channels.length === 0) return { day: null, queued: 0 };
    const day = dayIn(timezone, fire);
    const ids = await enqueueJobs(
      deps.database,
      channels.map((channel) => digestJob(channel, day)),
    );
    if (ids.length) notify();
    return { day, queued: ids.length };
  };
  const guarded = () =>
    tick().catch((err: Error) => {
      deps.logger.error('digest: queueing failed', { error: err.message });
      return { day: null, queued: 0 };
    });

  return {
    start() {
      if (job || channels.length === 0) return;
      job = new Cron(cron, { timezone, protect: true }, () => {
        void guarded();
      });
      void guarded();
    },
    stop() {
      job?.stop();
      job = null;
    },
    tick: guarded,
  };
}
