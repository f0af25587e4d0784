import type { Deps } from '../src/deps.ts';
import { type ReviewLoop, learnedLine, precisionLine, reviewLoop } from '../src/review/queue.ts';
import { type MislabelPage, listMislabels } from '../src/store/findings.ts';
import { BoardError } from './errors.tsx';
import { parseCursor, parseLimit } from './params.ts';
import { withQuery } from './safe-url.ts';
import type { BoardRun } from './views.ts';

/** The mislabel queue's order: learned once reviewers decided enough flags, else the original. */
export type QueueOrder = 'learned' | 'original';

/**
 * A page of the mislabel queue: in the learned order (the undecided flags re-ranked by a model
 * fitted on the run's verdicts) when there is one and `order` is not `original`, else the
 * original ranking with its cursor. The learned order pages by position (`from`).
 */
export async function mislabelQueue(
  deps: Deps,
  run: BoardRun,
  path: string,
  q: Record<string, string>,
): Promise<{ page: MislabelPage; next: string | null; loop: ReviewLoop; order: QueueOrder }> {
  const limit = parseLimit(q.limit);
  const loop = await reviewLoop(deps, run);
  if (q.order !== undefined && q.order !== '' && q.order !== 'learned' && q.order !== 'original')
    throw new BoardError(400, `order must be learned or original, got "${q.order.slice(0, 40)}"`);
  const order: QueueOrder = loop.learned && q.order !== 'original' ? 'learned' : 'original';
  if (order === 'learned' && loop.learned) {
    const from = parseFrom(q.from);
    const ids = loop.learned.order.slice(from, from + limit).map((f) => f.flagId);
    const page = await listMislabels(deps.db, {
      runId: run.id,
      limit: Math.max(1, ids.length),
      flagIds: ids,
    });
    const more = from + limit < loop.learned.order.length;
    return {
      page,
      next: more ? withQuery(path, { order: 'learned', from: String(from + limit), limit: q.limit }) : null,
      loop,
      order,
    };
  }
  const page = await listMislabels(deps.db, { runId: run.id, limit, cursor: parseCursor(q.cursor) });
  return {
    page,
    next: page.nextCursor
      ? withQuery(path, { order: q.order, cursor: page.nextCursor, limit: q.limit })
      : null,
    loop,
    order,
  };
}

function parseFrom(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  if (!/^\d{1,6}$/.test(raw))
    throw new BoardError(400, `from must be a whole number, got "${raw.slice(0, 40)}"`);
  return Number(raw);
}

/** Flag precision and, when the queue is re-ranked, its cross-validated precision and a switch. */
export function ReviewLoopNote({ loop, order, path }: { loop: ReviewLoop; order: QueueOrder; path: string }) {
  const line = precisionLine(loop.precision);
  const classes = loop.precision.classes
    .slice(0, 6)
    .map((c) => `${c.key}: ${c.confirmed} of ${c.decided}`)
    .join(' · ');
  return (
    <div class="review-loop" id="review-loop">
      <p class="summary">
        {line ?? 'No verdicts yet: approving a label or sending a row to rework teaches the queue.'}
      </p>
      {classes ? <p class="muted">{`by class: ${classes}`}</p> : null}
      {loop.learned ? (
        <p class="learned">
          {`${order === 'learned' ? 'Showing the undecided flags ' : 'Can be '}${learnedLine(loop.learned)}. `}
          {order === 'learned' ? (
            <a href={withQuery(path, { order: 'original' })}>Show the original order</a>
          ) : (
            <a href={withQuery(path, { order: 'learned' })}>Show the learned order</a>
          )}
        </p>
      ) : null}
    </div>
  );
}
