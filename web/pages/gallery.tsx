import { DECISIONS } from '../params.ts';
import { withQuery } from '../safe-url.ts';
import { type BoardRun, type ErrorFilter, OUTCOMES } from '../views.ts';
import { BoxLegend, type Card, CardGrid } from './cards.tsx';
import { runPath } from './layout.tsx';

export interface GalleryQuery {
  iou_lt?: string;
  outcome?: string;
  conf_min?: string;
  conf_max?: string;
  sort: string;
  label?: string;
  predicted?: string;
  tag?: string;
  decision?: string;
  limit?: string;
}

/** The filter as URL query values, so the page link (and a Slack link) reproduces the view exactly. */
export function galleryQuery(run: BoardRun, f: ErrorFilter): GalleryQuery {
  const name = (i: number | undefined) =>
    i === undefined ? undefined : i === run.classNames.length ? 'background' : run.classNames[i];
  return {
    ...(f.outcome
      ? { outcome: f.outcome === 'wrong' ? undefined : f.outcome }
      : { iou_lt: f.iouBelow === null ? 'all' : String(f.iouBelow) }),
    conf_min: f.minConfidence === undefined ? undefined : String(f.minConfidence),
    conf_max: f.maxConfidence === undefined ? undefined : String(f.maxConfidence),
    sort: f.sort,
    label: name(f.label),
    predicted: name(f.predicted),
    tag: f.tag,
    decision: f.decision,
    limit: f.limit === 48 ? undefined : String(f.limit),
  };
}

export function GalleryPage({
  run,
  filter,
  cards,
  total,
  totalExact,
  nextCursor,
  batches,
}: {
  run: BoardRun;
  filter: ErrorFilter;
  cards: Card[];
  total: number;
  /** False: more than `total` rows match (counted up to a cap); the page says "1,000+". */
  totalExact: boolean;
  nextCursor: string | null;
  batches: string[];
}) {
  const q = galleryQuery(run, filter);
  const base = runPath(run.name, 'gallery');
  const classes = run.kind === 'detection' ? [...run.classNames, 'background'] : run.classNames;
  return (
    <>
      <h1>{filter.outcome && filter.outcome !== 'wrong' ? 'Predictions' : 'Model errors'}</h1>
      <form class="filters" method="get" action={base}>
        {filter.outcome ? (
          <label>
            show{' '}
            <select name="outcome">
              {OUTCOMES.map((o) => (
                <option value={o} selected={filter.outcome === o}>
                  {o === 'wrong' ? 'wrong answers' : o === 'right' ? 'right answers' : 'all'}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            IoU &lt;{' '}
            <input name="iou_lt" value={q.iou_lt} size={4} pattern="all|[01]?(\.\d+)?" title="0–1 or all" />
          </label>
        )}
        <ClassSelect name="label" title="label" value={q.label} classes={classes} />
        <ClassSelect name="predicted" title="prediction" value={q.predicted} classes={classes} />
        <label>
          confidence{' '}
          <input
            name="conf_min"
            value={q.conf_min ?? ''}
            size={4}
            pattern="[01]?(\.\d+)?"
            placeholder="0"
            title="lowest confidence, 0–1"
            aria-label="lowest confidence"
          />
          –
          <input
            name="conf_max"
            value={q.conf_max ?? ''}
            size={4}
            pattern="[01]?(\.\d+)?"
            placeholder="1"
            title="highest confidence, 0–1"
            aria-label="highest confidence"
          />
        </label>
        <label>
          tag <input name="tag" value={q.tag ?? ''} size={8} maxlength={64} />
        </label>
        <label>
          decision{' '}
          <select name="decision">
            <option value="">any</option>
            {DECISIONS.map((d) => (
              <option value={d} selected={q.decision === d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <label>
          sort{' '}
          <select name="sort">
            <option value="confidence:asc" selected={q.sort === 'confidence:asc'}>
              confidence ascending
            </option>
            <option value="confidence:desc" selected={q.sort === 'confidence:desc'}>
              confidence descending
            </option>
          </select>
        </label>
        {q.limit ? <input type="hidden" name="limit" value={q.limit} /> : null}
        <button type="submit">Apply</button>
      </form>
      <p class="summary">
        {`${total.toLocaleString('en-US')}${totalExact ? '' : '+'} row${total === 1 && totalExact ? '' : 's'} match`}
        {filter.cursor ? (
          <>
            {' '}
            · <a href={withQuery(base, { ...q })}>first page</a>
          </>
        ) : null}
      </p>
      {run.kind === 'detection' ? <BoxLegend /> : null}
      <CardGrid cards={cards} run={run.name} runId={run.id} batches={batches} />
      <Pager href={nextCursor ? withQuery(base, { ...q, cursor: nextCursor }) : null} />
    </>
  );
}

function ClassSelect({
  name,
  title,
  value,
  classes,
}: {
  name: string;
  title: string;
  value?: string;
  classes: string[];
}) {
  return (
    <label>
      {title}{' '}
      <select name={name}>
        <option value="">any</option>
        {classes.map((c) => (
          <option value={c} selected={value === c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Pager({ href }: { href: string | null }) {
  return href ? (
    <nav class="pager">
      <a href={href} rel="next">
        Next page →
      </a>
    </nav>
  ) : null;
}
