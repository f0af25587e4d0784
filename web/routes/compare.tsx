import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import { getRegression, listFlippedRows, mutedClasses } from '../../src/store/regressions.ts';
import { lookupRun, previousRun } from '../../src/store/run-lookup.ts';
import type { BoardEnv } from '../env.ts';
import { ComparePage } from '../pages/compare.tsx';
import { renderPage } from '../render.tsx';
import { type PageOptions, openBatchNames, runTab } from './page.ts';
import { type BoardRun, cardsForRows, className, loadRun } from '../views.ts';

/** Flipped rows shown per direction. */
const FLIPPED_SHOWN = 24;

/**
 * The run comparison page, `/runs/:run/compare`: the run against the previous one on its dataset,
 * from the stored regression check.
 *
 * @example
 * app.route('/', createCompareRoutes(deps, { playground }));
 */
export function createCompareRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/runs/:run/compare', async (c) => {
    const run = await loadRun(deps, c.req.param('run'));
    const ref = await lookupRun(deps.db, run.name);
    const previous = ref ? await previousRun(deps.db, ref) : null;
    const tab = runTab(run, 'compare');
    const title = `Compare · ${run.name}`;
    if (!previous) return renderPage(c, { title, run: tab, playground }, <ComparePage {...emptyView(run)} />);
    const [check, muted, batches] = await Promise.all([
      getRegression(deps.db, run.id),
      mutedClasses(deps.db, run.datasetId),
      openBatchNames(deps),
    ]);
    const flipped = async (direction: 'worse' | 'better') => {
      const { rows, total } = await listFlippedRows(deps.db, {
        kind: run.kind,
        beforeRunId: previous.id,
        nowRunId: run.id,
        direction,
        limit: FLIPPED_SHOWN,
      });
      const byRow = new Map(rows.map((r) => [r.rowId, r]));
      const cards = await cardsForRows(
        deps,
        run,
        rows.map((r) => r.rowId),
        (rowId) => {
          const r = byRow.get(rowId);
          return r?.before !== null && r?.before !== undefined
            ? {
                reason: `${previous.name} said ${className(run, r.before)}, ${run.name} says ${className(run, r.now)}`,
              }
            : {};
        },
      );
      return { cards, total };
    };
    const [worse, better] = await Promise.all([flipped('worse'), flipped('better')]);
    const sameCheck = check && check.previousRunId === previous.id ? check : null;
    return renderPage(
      c,
      { title, run: tab, playground },
      <ComparePage
        run={run}
        previous={{ name: previous.name }}
        check={sameCheck}
        muted={muted}
        confusion={sameCheck?.cells ? confusionDiff(run.classNames.length, sameCheck.cells) : null}
        worse={worse}
        better={better}
        batches={batches}
      />,
    );
  });
  return app;
}

function emptyView(run: BoardRun) {
  const none = { cards: [], total: 0 };
  return {
    run,
    previous: null,
    check: null,
    muted: new Set<number>(),
    confusion: null,
    worse: none,
    better: none,
    batches: [],
  };
}

/** (now − before) counts by [label][prediction] from the check's cells. */
export function confusionDiff(
  k: number,
  cells: { label: number; before: number; now: number; count: number }[],
) {
  const diff = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const c of cells) {
    diff[c.label][c.now] += c.count;
    diff[c.label][c.before] -= c.count;
  }
  return diff;
}
