import type { Deps } from '../../src/deps.ts';
import { listBatches } from '../../src/store/batches.ts';
import type { RunTab } from '../pages/layout.tsx';
import type { BoardRun } from '../views.ts';

/** What every page sub-app of the board is built with besides `deps`. */
export interface PageOptions {
  /** Link the bot's playground from the navigation. */
  playground?: boolean;
}

/** The run sub-navigation of a run's page, with `active` the page's own tab. */
export function runTab(run: BoardRun, active: RunTab) {
  return { name: run.name, kind: run.kind, active, pending: run.pending };
}

/** Names of the open batches: the targets of a page's "add to batch" control. */
export async function openBatchNames(deps: Deps): Promise<string[]> {
  return (await listBatches(deps.db)).filter((b) => b.status === 'open').map((b) => b.name);
}
