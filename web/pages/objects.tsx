import { ERROR_TYPES } from '../../src/metrics/detection-errors.ts';
import { OBJECT_KINDS, OBJECT_SORTS, type ObjectItem } from '../../src/store/objects.ts';
import { withQuery } from '../safe-url.ts';
import type { BoardRun } from '../views.ts';
import { BoxCrop } from './box-crop.tsx';
import { ActionBar } from './cards.tsx';
import { Pager } from './gallery.tsx';
import { pct, runPath } from './layout.tsx';

export const OBJECT_IOUS = ['0.5', '0.55', '0.6', '0.65', '0.7', '0.75', '0.8', '0.85', '0.9', '0.95'];

/** The object gallery's filter, as parsed from (and written back to) the URL. */
export interface ObjectFilter {
  iou: string;
  kind?: string;
  type?: string;
  gt?: string;
  pred?: string;
  minScore?: string;
  sort: string;
  limit?: string;
  cursor?: string;
}

function ObjectCrop({ item, run }: { item: ObjectItem; run: BoardRun }) {
  const name = (i: number | null) => (i === null ? null : (run.classNames[i] ?? String(i)));
  return (
    <BoxCrop
      rowId={item.rowId}
      imageUrl={item.imageUrl}
      width={item.width}
      height={item.height}
      pair={{
        gtBox: item.gtBox,
        predBox: item.predBox,
        gtLabel: name(item.gtLabel),
        predLabel: name(item.predLabel),
        score: item.score,
      }}
      label={`object on image ${item.image}`}
    />
  );
}

function ObjectCard({ item, run }: { item: ObjectItem; run: BoardRun }) {
  const name = (i: number | null) => (i === null ? '–' : (run.classNames[i] ?? String(i)));
  const href = withQuery(`/rows/${item.rowId}`, { run: run.name, object: String(item.id) });
  return (
    <article
      class="card object"
      data-row={String(item.rowId)}
      data-id={item.image}
      data-object={String(item.id)}
    >
      <label class="pick">
        <input
          type="checkbox"
          class="pick"
          value={String(item.rowId)}
          aria-label={`select image ${item.image}`}
        />
        <span>#{item.image}</span>
        <span class={`badge type-${item.type}`}>{item.type}</span>
      </label>
      <a href={href} class="thumb-link">
        <ObjectCrop item={item} run={run} />
      </a>
      <dl>
        <dt>{item.kind}</dt>
        <dd class="kind">
          {item.kind === 'tp' ? 'matched' : item.kind === 'fp' ? 'false positive' : 'missed box'}
        </dd>
        <dt>label</dt>
        <dd class="label">{name(item.gtLabel)}</dd>
        <dt>pred</dt>
        <dd class="pred">{name(item.predLabel)}</dd>
        <dt>conf</dt>
        <dd class="conf">{pct(item.score)}</dd>
        <dt>IoU</dt>
        <dd class="iou">{item.iou.toFixed(2)}</dd>
      </dl>
    </article>
  );
}

function Select({
  name,
  title,
  value,
  options,
}: {
  name: string;
  title: string;
  value?: string;
  options: readonly string[];
}) {
  return (
    <label>
      {title}{' '}
      <select name={name}>
        <option value="">any</option>
        {options.map((o) => (
          <option value={o} selected={value === o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The filter as URL query values (defaults left out), so a link reproduces the view. */
export function objectQuery(f: ObjectFilter): Record<string, string | undefined> {
  return {
    iou: f.iou,
    kind: f.kind,
    type: f.type,
    gt: f.gt,
    pred: f.pred,
    min_score: f.minScore,
    sort: f.sort === 'confidence:desc' ? undefined : f.sort,
    limit: f.limit,
  };
}

/** FiftyOne's patches view for a detection run: one card per object at one IoU threshold. */
export function ObjectsPage({
  run,
  filter,
  items,
  totals,
  nextCursor,
  batches,
}: {
  run: BoardRun;
  filter: ObjectFilter;
  items: ObjectItem[];
  totals: { tp: number; fp: number; fn: number } | null;
  nextCursor: string | null;
  batches: string[];
}) {
  const base = runPath(run.name, 'objects');
  const q = objectQuery(filter);
  const classes = [...run.classNames, 'background'];
  return (
    <>
      <h1>Objects</h1>
      <form class="filters" method="get" action={base}>
        <label>
          IoU{' '}
          <select name="iou">
            {OBJECT_IOUS.map((v) => (
              <option value={v} selected={filter.iou === v}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <Select name="kind" title="kind" value={filter.kind} options={OBJECT_KINDS} />
        <Select name="type" title="type" value={filter.type} options={ERROR_TYPES} />
        <Select name="gt" title="label" value={filter.gt} options={classes} />
        <Select name="pred" title="prediction" value={filter.pred} options={classes} />
        <label>
          score ≥ <input name="min_score" value={filter.minScore ?? ''} size={4} pattern="[01]?(\.\d+)?" />
        </label>
        <label>
          sort{' '}
          <select name="sort">
            {OBJECT_SORTS.map((s) => (
              <option value={s} selected={filter.sort === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {filter.limit ? <input type="hidden" name="limit" value={filter.limit} /> : null}
        <button type="submit">Apply</button>
      </form>
      <p class="summary">
        {totals ? (
          <>
            At IoU {filter.iou}: <span class="n-tp">{totals.tp} tp</span> ·{' '}
            <span class="n-fp">{totals.fp} fp</span> · <span class="n-fn">{totals.fn} fn</span> in the run
          </>
        ) : null}
        {filter.cursor ? (
          <>
            {' '}
            · <a href={withQuery(base, q)}>first page</a>
          </>
        ) : null}
      </p>
      <p class="legend">
        <span class="swatch gt" /> ground truth (solid) <span class="swatch pred" /> prediction (dashed);
        actions apply to the objects' images
      </p>
      <section class="gallery" data-run={run.name} data-run-id={String(run.id)}>
        <ActionBar batches={batches} similar label="actions on the selected objects' images" />
        {items.length === 0 ? <p class="empty">No objects match this view.</p> : null}
        <div class="grid">
          {items.map((item) => (
            <ObjectCard item={item} run={run} />
          ))}
        </div>
      </section>
      <Pager href={nextCursor ? withQuery(base, { ...q, cursor: nextCursor }) : null} />
    </>
  );
}
