import { COLOR_BY, type ColorBy, MAX_LEGEND_CATEGORIES } from '../../src/charts/projector.ts';
import { withQuery } from '../safe-url.ts';
import type { BoardRun } from '../views.ts';
import { pendingLabel, runPath } from './layout.tsx';

export function ProjectorPage({
  run,
  colorBy,
  categories,
  spec,
  batches,
}: {
  run: BoardRun;
  colorBy: ColorBy;
  categories: string[];
  spec: Record<string, unknown>;
  batches: string[];
}) {
  const searchable = categories.length > MAX_LEGEND_CATEGORIES;
  // The map comes last in a run's pipeline: any unfinished job of the run comes before it.
  const projecting = run.pending.find((j) => j.kind === 'projection') ?? run.pending[0];
  return (
    <>
      <h1>Projector</h1>
      <p class="muted projector-note" hidden />
      <p class="empty projector-empty" hidden>
        {projecting
          ? `The map is being computed (${pendingLabel(projecting)}); reload in a moment.`
          : 'This run has no stored projection yet (it needs embeddings and an analysis pass).'}
      </p>
      <form class="filters" method="get" action={runPath(run.name, 'projector')}>
        <label>
          colour by{' '}
          <select name="color" class="autosubmit">
            {COLOR_BY.map((c) => (
              <option value={c} selected={c === colorBy}>
                {c === 'label' ? 'ground-truth class' : c === 'predicted' ? 'predicted class' : c}
              </option>
            ))}
          </select>
        </label>
        <noscript>
          <button type="submit">Apply</button>
        </noscript>
        <label>
          highlight{' '}
          <input
            type="search"
            class="highlight"
            list="projector-categories"
            placeholder={searchable ? `${categories.length} classes: type one` : 'a category'}
          />
          <datalist id="projector-categories">
            {categories.map((c) => (
              <option value={c} />
            ))}
          </datalist>
        </label>
        <span class="muted">
          Drag to select points, double-click to clear; click a point to open its row.
        </span>
      </form>
      <div
        class="projector"
        data-spec={JSON.stringify(spec)}
        data-src={withQuery(`/api/runs/${encodeURIComponent(run.name)}/projection`, {
          with: colorBy === 'decision' ? 'decision' : undefined,
        })}
        data-color={colorBy}
        data-run={run.name}
      >
        <div class="vega-target" />
      </div>
      <section class="gallery" data-run={run.name} data-run-id={String(run.id)}>
        <div class="actionbar" role="toolbar" aria-label="actions on selected points">
          <span class="count">0 selected</span>
          <button type="button" data-action="approve" disabled>
            Approve
          </button>
          <button type="button" data-action="rework" disabled>
            Send to rework
          </button>
          <input type="text" class="batch-name" list="batch-names" placeholder="batch name" maxlength={200} />
          <datalist id="batch-names">
            {batches.map((b) => (
              <option value={b} />
            ))}
          </datalist>
          <button type="button" data-action="batch" disabled>
            Add to batch…
          </button>
          <button type="button" data-action="similar" disabled>
            Find similar
          </button>
          <output class="status" />
        </div>
      </section>
    </>
  );
}
