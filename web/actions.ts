import { mayWrite } from '../src/authorize.ts';
import type { Deps } from '../src/deps.ts';
import type { Decision } from '../src/store/database.ts';
import { BatchError, addToBatch, createBatch, listBatches } from '../src/store/batches.ts';
import { RowNotFoundError, recordDecision } from '../src/store/reviews.ts';
import { BoardError } from './errors.tsx';

const PAST: Record<Decision, string> = {
  approve: 'Approved',
  rework: 'Sent to rework',
  dismiss: 'Dismissed',
};
const ALREADY: Record<Decision, string> = {
  approve: 'already approved',
  rework: 'already sent to rework',
  dismiss: 'already dismissed',
};

/**
 * The board's side of the one authorization check (src/authorize.ts): every board and API write
 * calls this first; a refusal is a 403 that says why.
 */
export function requireWriter(deps: Deps, actor: string): void {
  const check = mayWrite(deps.config, { user: actor });
  if (!check.ok) throw new BoardError(403, check.reason);
}

const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;

/**
 * Record one decision on several rows for the signed-in user and say what happened:
 * "Approved 2 rows; 1 was already approved by U123". Repeats are no-ops in the store, so a
 * double click records once.
 */
export async function decideRows(
  deps: Deps,
  {
    rowIds,
    decision,
    runId = null,
    actor,
    actorName = null,
    note = null,
  }: {
    rowIds: number[];
    decision: Decision;
    runId?: number | null;
    actor: string;
    /** The actor's Slack name when known, shown beside the decision (the id is what counts). */
    actorName?: string | null;
    note?: string | null;
  },
): Promise<{ message: string; recorded: number[]; unchanged: { rowId: number; by: string }[] }> {
  requireWriter(deps, actor);
  const recorded: number[] = [];
  const unchanged: { rowId: number; by: string }[] = [];
  for (const rowId of rowIds) {
    try {
      const r = await recordDecision(deps.db, {
        rowId,
        runId,
        decision,
        actor,
        actorName,
        source: 'board',
        note,
      });
      if (r.recorded) recorded.push(rowId);
      else unchanged.push({ rowId, by: r.latest.actorName ?? r.latest.actor });
    } catch (err) {
      if (err instanceof RowNotFoundError) throw new BoardError(404, `No row with id ${rowId}`);
      throw err;
    }
  }
  const parts = [`${PAST[decision]} ${rows(recorded.length)}`];
  if (unchanged.length) {
    const by = [...new Set(unchanged.map((u) => u.by))];
    parts.push(
      `${unchanged.length} ${unchanged.length === 1 ? 'was' : 'were'} ${ALREADY[decision]} by ${by.join(', ')}`,
    );
  }
  return { message: parts.join('; '), recorded, unchanged };
}

/**
 * Put rows into a named batch: the open batch of that name, or a new one. A closed batch of
 * that name is refused (its list is final).
 */
export async function batchRows(
  deps: Deps,
  {
    name,
    rowIds,
    runId = null,
    actor,
  }: { name: string; rowIds: number[]; runId?: number | null; actor: string },
): Promise<{ message: string; batch: string; created: boolean; added: number; skipped: number }> {
  requireWriter(deps, actor);
  const existing = (await listBatches(deps.db)).find((b) => b.name === name);
  try {
    if (existing) {
      const r = await addToBatch(deps.db, { name, rowIds });
      const skipped = r.skipped ? `; ${rows(r.skipped)} already in an open batch` : '';
      return {
        message: `Added ${rows(r.added)} to batch "${name}"${skipped}`,
        batch: name,
        created: false,
        added: r.added,
        skipped: r.skipped,
      };
    }
    const r = await createBatch(deps.db, {
      name,
      runId,
      rowIds,
      source: { from: 'board' },
      createdBy: actor,
    });
    const skipped = r.skipped ? `; ${rows(r.skipped)} skipped (already in an open batch)` : '';
    return {
      message: `Created batch "${r.batch.name}" with ${rows(r.added)}${skipped}`,
      batch: r.batch.name,
      created: true,
      added: r.added,
      skipped: r.skipped,
    };
  } catch (err) {
    if (err instanceof BatchError) throw new BoardError(409, err.message);
    throw err;
  }
}
