/**
 * Property runs: a fixed seed and a small count in `npm test`; `npm run fuzz` sets FUZZ_RUNS
 * (and optionally FUZZ_SEED) for a longer run. A failure prints the seed and path to replay it.
 */
export function fuzzParams(runs: number): { seed: number; numRuns: number } {
  const scale = Number(process.env.FUZZ_RUNS ?? '0');
  return {
    seed: Number(process.env.FUZZ_SEED ?? '20261130'),
    numRuns: scale > 0 ? Math.max(runs, scale) : runs,
  };
}

/** A long fuzz run needs more than vitest's default 5 s per test. */
export const FUZZ_TIMEOUT = process.env.FUZZ_RUNS ? 3_600_000 : 60_000;
