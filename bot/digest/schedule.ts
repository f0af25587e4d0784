import { Cron } from 'croner';
import type { Deps } from '../../src/deps.ts';
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

export interface DigestScheduler {
  start(): void;
  stop(): void;
  /** Send what is due now (called by croner, at start for catch-up, and after failures). */
  tick(): Promise<Record<string, 'sent' | 'taken' | 'failed'>>;
}

/**
 * Daily digests on LOUPE_DIGEST_CRON in LOUPE_TZ with croner. Every tick derives the day from
 * the clock, so a DST change or a second instance can never send a day twice: the (channel, day)
 * row decides.
 *
 * @example
 * const scheduler = createDigestScheduler({ deps, channels: ['C1'], send: (c, day) => sendDailyDigest(s, out, c, day) });
 */
export function createDigestScheduler({
  deps,
  channels = deps.config.LOUPE_DIGEST_CHANNELS,
  cron = deps.config.LOUPE_DIGEST_CRON,
  timezone = deps.config.LOUPE_TZ,
  send,
  catchUpMs = 20 * 3600 * 1000,
  retryMs = 5 * 60 * 1000,
}: {
  deps: Deps;
  channels?: string[];
  cron?: string;
  timezone?: string;
  send: (channel: string, day: string) => Promise<'sent' | 'taken' | 'failed'>;
  catchUpMs?: number;
  retryMs?: number;
}): DigestScheduler {
  // Fail at start on a bad pattern or zone, not at 09:00.
  new Cron(cron, { timezone, paused: true }).stop();
  let job: Cron | null = null;
  let retry: NodeJS.Timeout | null = null;
  let running: Promise<Record<string, 'sent' | 'taken' | 'failed'>> | null = null;

  const tick = async () => {
    const now = deps.clock.now();
    const fire = dueFire(cron, timezone, now, catchUpMs);
    const results: Record<string, 'sent' | 'taken' | 'failed'> = {};
    if (!fire) return results;
    const day = dayIn(timezone, fire);
    for (const channel of channels) {
      try {
        results[channel] = await send(channel, day);
      } catch (err) {
        deps.logger.error('digest tick failed', { channel, day, error: (err as Error).message });
        results[channel] = 'failed';
      }
    }
    if (Object.values(results).includes('failed') && job && !retry) {
      retry = setTimeout(() => {
        retry = null;
        void guarded();
      }, retryMs);
      retry.unref();
    }
    return results;
  };
  // One tick at a time per process; other processes are kept out by the database row.
  const guarded = () => {
    running ??= tick().finally(() => {
      running = null;
    });
    return running;
  };

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
      if (retry) clearTimeout(retry);
      retry = null;
    },
    tick: guarded,
  };
}
