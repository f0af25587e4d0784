/**
 * What each kind of job is called where people see it: the board's "projection 45%", the CLI's
 * progress bars. A light module of its own, so the CLI's remote path loads no analysis code.
 */
export const JOB_NAMES: Record<string, string> = {
  index: 'vector index',
  analyze: 'analysis',
  knn: 'neighbour pass',
  'knn-chunk': 'neighbour pass chunk',
  projection: 'projection',
  regression: 'regression check',
  reevaluate: 're-evaluation',
  digest: 'daily digest',
  'regression-alert': 'regression alert',
  'batch-reminder': 'batch reminder',
};

/** The daily digest of one channel and day. */
export const DIGEST_JOB = 'digest';
/** A run's regression alert to the alert channels. */
export const ALERT_JOB = 'regression-alert';
/** One batch owner's reminder on the batch's due day. */
export const REMINDER_JOB = 'batch-reminder';

/**
 * The jobs that talk to Slack: only a process with a Slack client (SLACK_BOT_TOKEN) claims them,
 * `loupe serve` or `loupe worker` alike; elsewhere they wait in the queue.
 */
export const SLACK_JOB_KINDS: readonly string[] = [DIGEST_JOB, ALERT_JOB, REMINDER_JOB];

/** Why a Slack job is still queued, for `loupe jobs`. */
export const SLACK_JOB_WAIT =
  'waits for a `loupe serve` or `loupe worker` with SLACK_BOT_TOKEN set (a process without it leaves Slack jobs queued)';
