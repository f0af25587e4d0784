/**
 * The wait before retry `attempt` (1-based): doubling from `baseMs`, capped at `maxMs`. No jitter:
 * workers claim with SKIP LOCKED, so retries cannot stampede one row.
 *
 * @example
 * backoffMs(1); // 2000
 * backoffMs(3); // 8000
 */
export function backoffMs(attempt: number, { baseMs = 2000, maxMs = 300_000 } = {}): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
