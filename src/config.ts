import { SLACK_USER_ID } from './authorize.ts';
import { z } from 'zod';
import { parseAddressRanges } from './media/addresses.ts';

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** LOUPE_REVIEWERS: Slack user ids only; a name or @handle could be taken by anyone. */
const reviewers = list.superRefine((ids, ctx) => {
  for (const id of ids)
    if (!SLACK_USER_ID.test(id))
      ctx.addIssue({
        code: 'custom',
        message: `"${id.slice(0, 40)}" is not a Slack user id; list user ids like U012AB3CD (in Slack: a profile's ⋯ menu → Copy member ID), not names`,
      });
});

/** LOUPE_MEDIA_FETCH_PRIVATE: CIDR ranges or single addresses. */
const addressRanges = list.superRefine((entries, ctx) => {
  try {
    parseAddressRanges(entries);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().optional(),
  LOUPE_DATA: z.string().default('.loupe'),
  LOUPE_SECRET: z.string().optional(),
  /** Public base URL of the board, used in links posted to Slack. */
  LOUPE_PUBLIC_URL: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: z.string().optional(),
  /** Sign in with Slack (OpenID Connect) on the board: the app's client id and secret. */
  SLACK_CLIENT_ID: z.string().optional(),
  SLACK_CLIENT_SECRET: z.string().optional(),
  /** The OpenID authorize page (default Slack's); token and userinfo calls go to SLACK_API_URL. */
  SLACK_OIDC_AUTHORIZE_URL: z.string().default('https://slack.com/openid/connect/authorize'),
  LOUPE_SLASH_COMMAND: z.string().default('/loupe'),
  LOUPE_REVIEWERS: reviewers,
  LOUPE_DIGEST_CHANNELS: list,
  LOUPE_DIGEST_CRON: z.string().default('0 9 * * 1-5'),
  LOUPE_TZ: z.string().default('UTC'),
  /** Channels that get a regression alert when a run is worse than the previous one on its dataset. */
  LOUPE_ALERT_CHANNELS: list,
  /** A class regresses only when its F1 (or AP) drops by more than this, besides being significant. */
  LOUPE_ALERT_MIN_DROP: z.coerce.number().min(0).max(1).default(0.02),
  /** When batch owners are reminded of batches due that day (every day, in LOUPE_TZ). */
  LOUPE_REMINDER_CRON: z.string().default('0 9 * * *'),
  /** Seconds a worker holds a job without a heartbeat before another worker takes it over. */
  LOUPE_JOB_LEASE_SECONDS: z.coerce.number().positive().default(60),
  /**
   * Rows searched per chunk job of a kNN pass: a run with more embedded rows than this has its kNN
   * pass split into chunk jobs that any worker takes, and its neighbour evidence folded in at the end.
   */
  LOUPE_KNN_CHUNK_ROWS: z.coerce.number().int().positive().default(50_000),
  /** usearch threads of a process's vector service (index builds, kNN passes, searches). */
  LOUPE_VECTOR_THREADS: z.coerce.number().int().positive().default(2),
  /** Fault injection for crash tests: SIGKILL when a job of this kind starts (`kind`) or reaches `kind@fraction`. */
  LOUPE_CRASH_AT: z.string().optional(),
  /** Largest upload the HTTP ingest API takes, all files together (MB; fractions allowed). */
  LOUPE_UPLOAD_LIMIT_MB: z.coerce.number().positive().default(4096),
  /**
   * Folders (comma-separated) an ingest over the HTTP API may register as image folders, with
   * everything below them; default none. The CLI on the server's own machine is not limited.
   */
  LOUPE_MEDIA_ROOTS: list,
  /**
   * Loopback, private or link-local ranges (CIDR, comma-separated) the server may fetch remote
   * images from, e.g. an internal image store at 10.2.0.0/16; default none (public addresses only).
   */
  LOUPE_MEDIA_FETCH_PRIVATE: addressRanges,
  LOUPE_DEMO: z
    .enum(['0', '1', 'true', 'false'])
    .default('1')
    .transform((v) => v === '1' || v === 'true'),
});

export type Config = z.output<typeof schema>;

/**
 * Read configuration from the environment, with defaults; a bad value names the variable.
 *
 * @example
 * const config = loadConfig({ PORT: '8080' });
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
