import type { Deps } from '../deps.ts';
import { JOB_NAMES } from '../jobs/names.ts';

/** A job of the run still queued or running, as a command shows it. */
export interface PendingStep {
  kind: string;
  name: string;
  state: string;
  progress: number;
}

/** What each step still running leaves out of an answer that is already there. */
const MISSING: Record<string, string> = {
  index: 'similar rows wait for it',
  analyze: 'metrics and findings are from the previous analysis, if any',
  reevaluate: 'metrics and findings are from the previous analysis',
  knn: 'the ranking is by confident learning until the neighbour evidence is folded in',
  projection: 'the map waits for it',
};

/**
 * The run's analysis steps not done yet (queued or running), so a command answers with what is
 * stored and says what is still coming instead of waiting for it.
 *
 * @example
 * const steps = await pendingSteps(deps, run.id);
 */
export async function pendingSteps(deps: Pick<Deps, 'database'>, runId: number): Promise<PendingStep[]> {
  const { pendingJobs } = await import('../store/jobs.ts');
  return (await pendingJobs(deps.database, runId))
    .filter((j) => j.kind in MISSING)
    .map((j) => ({ kind: j.kind, name: JOB_NAMES[j.kind] ?? j.kind, state: j.state, progress: j.progress }));
}

/**
 * One line per pending step for a text answer, empty when nothing is pending.
 *
 * @example
 * pendingLines([{ kind: 'knn', name: 'neighbour pass', state: 'running', progress: 0.4 }]);
 * // ['still running: neighbour pass 40% (the ranking is by confident learning until …)']
 */
export function pendingLines(steps: PendingStep[]): string[] {
  return steps.map(
    (s) =>
      `still ${s.state === 'running' ? `running: ${s.name} ${Math.floor(s.progress * 100)}%` : `queued: ${s.name}`} (${MISSING[s.kind]})`,
  );
}
