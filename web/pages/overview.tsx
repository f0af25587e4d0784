import { calibrationSpec } from '../../src/charts/calibration.ts';
import type { CalibrationBin } from '../../src/metrics/classification-calibration.ts';
import { confusionHeatmapSpec } from '../../src/charts/confusion.ts';
import { costliestType, dapBarSpec } from '../../src/charts/dap.ts';
import type { ErrorType } from '../../src/metrics/detection-errors.ts';
import { type ClassValue, perClassBarSpec, worstFirst } from '../../src/charts/per-class.ts';
import { withQuery } from '../safe-url.ts';
import type { BoardRun } from '../views.ts';
import { num, pct, runPath } from './layout.tsx';

type Row = Record<string, number | string | null>;

interface Column {
  key: string;
  title: string;
  format: (v: number | null) => string;
}

function Chart({ spec, label }: { spec: Record<string, unknown>; label: string }) {
  return <div class="vega-chart" role="img" aria-label={label} data-spec={JSON.stringify(spec)} />;
}

/** Link from a chart or table to the gallery filtered to a class or a confusion. */
export function galleryHref(
  run: string,
  { label, predicted }: { label?: string; predicted?: string },
): string {
  // A confusion cell is a set of rows, correct or not: no IoU filter.
  return withQuery(runPath(run, 'gallery'), { iou_lt: 'all', label, predicted, sort: 'confidence:asc' });
}

/** Link to the object gallery (detection) filtered as given. */
export function objectsHref(
  run: string,
  query: { iou?: string; kind?: string; type?: string; gt?: string; pred?: string; min_score?: string },
): string {
  return withQuery(runPath(run, 'objects'), query);
}

export function OverviewPage({ run }: { run: BoardRun }) {
  const m = run.metrics as Record<string, unknown> | null;
  if (!m) {
    return (
      <>
        <h1>{run.name}</h1>
        <p class="empty">This run has no metrics yet: it has not been analysed.</p>
      </>
    );
  }
  const detection = run.kind === 'detection';
  const classes = (m.classes as Row[] | undefined) ?? [];
  const metric = detection ? 'ap' : 'f1';
  const columns: Column[] = detection
    ? [
        { key: 'ap', title: 'AP', format: (v) => num(v) },
        { key: 'ap50', title: 'AP50', format: (v) => num(v) },
        { key: 'precision', title: 'precision', format: (v) => num(v) },
        { key: 'recall', title: 'recall', format: (v) => num(v) },
        { key: 'support', title: 'support', format: (v) => (v === null ? '–' : String(v)) },
      ]
    : [
        { key: 'precision', title: 'precision', format: (v) => num(v) },
        { key: 'recall', title: 'recall', format: (v) => num(v) },
        { key: 'f1', title: 'F1', format: (v) => num(v) },
        { key: 'support', title: 'support', format: (v) => (v === null ? '–' : String(v)) },
      ];
  const values: (ClassValue & { row: Row })[] = classes.map((c) => ({
    name: String(c.name),
    value: typeof c[metric] === 'number' ? (c[metric] as number) : null,
    support: typeof c.support === 'number' ? c.support : undefined,
    href: galleryHref(run.name, { label: String(c.name) }),
    row: c,
  }));
  const sorted = worstFirst(values);
  const confusion = m.confusion as { labels: string[]; matrix: number[][] } | undefined;
  const coco = m.coco as Record<string, number> | undefined;
  const calibration = m.calibration as CalibrationBin[] | undefined;
  const errors = detection ? (m.errors as Record<ErrorType, number> | undefined) : undefined;
  const confusionMeta = m.confusion as { iouThreshold?: number; scoreThreshold?: number } | undefined;
  const confusionHref = (label: string, predicted: string) =>
    detection
      ? objectsHref(run.name, {
          iou: String(confusionMeta?.iouThreshold ?? 0.5),
          gt: label,
          pred: predicted,
          min_score: confusionMeta?.scoreThreshold ? String(confusionMeta.scoreThreshold) : undefined,
        })
      : galleryHref(run.name, { label, predicted });
  return (
    <>
      <h1>{run.name}</h1>
      <section class="headline">
        {detection ? (
          <>
            <Stat name="AP" value={num(coco?.AP)} />
            <Stat name="AP50" value={num(coco?.AP50)} />
            <Stat name="AP75" value={num(coco?.AP75)} />
          </>
        ) : (
          <>
            <Stat name="accuracy" value={pct(m.accuracy as number)} />
            <Stat name="macro F1" value={num((m.macro as Record<string, number> | undefined)?.f1)} />
            <Stat name="ECE" value={num(m.ece as number)} />
          </>
        )}
      </section>
      <div class="two-col">
        <section>
          <h2>Per class, worst first</h2>
          {sorted.length > 12 ? (
            <input
              type="search"
              class="class-search"
              placeholder={`search ${sorted.length} classes`}
              aria-label="search classes"
              aria-controls="class-table"
            />
          ) : null}
          <table class="classes sortable" id="class-table">
            <thead>
              <tr>
                <th>class</th>
                {columns.map((col) => (
                  <th class="num">{col.title}</th>
                ))}
                {errors ? <th>costliest error</th> : null}
              </tr>
            </thead>
            <tbody>
              {sorted.map((c) => (
                <tr>
                  <td>
                    <a href={c.href}>{c.name}</a>
                  </td>
                  {columns.map((col) => {
                    const v = typeof c.row[col.key] === 'number' ? (c.row[col.key] as number) : null;
                    return (
                      <td class="num" data-value={v === null ? '' : String(v)}>
                        {col.format(v)}
                      </td>
                    );
                  })}
                  {errors ? <CostliestCell run={run.name} row={c.row} /> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section>
          <h2>{detection ? 'AP' : 'F1'} per class</h2>
          <Chart
            spec={perClassBarSpec(values, { metric: detection ? 'AP' : 'F1' })}
            label={`${detection ? 'AP' : 'F1'} per class bar chart`}
          />
        </section>
      </div>
      {errors ? (
        <section class="dap">
          <h2>AP lost to …</h2>
          <p class="muted">
            TIDE's dAP: how much AP50 ({num(coco?.AP50)}) would rise if every error of one type were fixed.
            Click a bar to see those objects.
          </p>
          <Chart
            spec={dapBarSpec(errors, (type) => objectsHref(run.name, { iou: '0.5', type }))}
            label="AP lost to each error type bar chart"
          />
          <ul class="dap-list">
            {(Object.entries(errors) as [ErrorType, number][]).map(([type, v]) => (
              <li data-type={type}>
                <a href={objectsHref(run.name, { iou: '0.5', type })}>{type}</a> {num(v, 4)}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <div class="two-col">
        {confusion ? (
          <section>
            <h2>Most confused pairs</h2>
            <ConfusedPairs run={run.name} confusion={confusion} />
            <h2>Confusion matrix</h2>
            <p class="muted">
              Rows are labels, columns predictions
              {detection ? '; "background" is a missed or spurious box' : ''}. Click a cell to see its rows.
            </p>
            <Chart spec={confusionHeatmapSpec(confusion, confusionHref)} label="confusion matrix heatmap" />
          </section>
        ) : null}
        {!detection && calibration?.length ? (
          <section>
            <h2>Calibration</h2>
            <Chart
              spec={calibrationSpec(calibration, { ece: (m.ece as number) ?? null })}
              label="calibration chart"
            />
          </section>
        ) : null}
      </div>
    </>
  );
}

/** Pairs shown in the "most confused" list. */
const CONFUSED_SHOWN = 10;

/**
 * The off-diagonal cells of the confusion matrix with the most rows, each a link to its rows:
 * with 80 classes the heatmap is a map to scroll, this list is what to look at first.
 */
function ConfusedPairs({
  run,
  confusion,
}: {
  run: string;
  confusion: { labels: string[]; matrix: number[][] };
}) {
  const pairs: { label: string; predicted: string; n: number }[] = [];
  for (const [i, row] of confusion.matrix.entries())
    for (const [j, n] of row.entries())
      if (i !== j && n > 0) pairs.push({ label: confusion.labels[i], predicted: confusion.labels[j], n });
  pairs.sort((a, b) => b.n - a.n || a.label.localeCompare(b.label) || a.predicted.localeCompare(b.predicted));
  if (!pairs.length) return <p class="muted">No confusions.</p>;
  return (
    <ol class="confused-pairs">
      {pairs.slice(0, CONFUSED_SHOWN).map((p) => (
        <li>
          <a href={galleryHref(run, { label: p.label, predicted: p.predicted })}>
            {p.label} → {p.predicted}
          </a>{' '}
          <span class="muted">
            {p.n} row{p.n === 1 ? '' : 's'}
          </span>
        </li>
      ))}
    </ol>
  );
}

function CostliestCell({ run, row }: { run: string; row: Row }) {
  const type = costliestType((row as { errors?: Record<ErrorType, number> | null }).errors);
  if (!type) return <td class="muted">–</td>;
  const lost = (row as { errors?: Record<ErrorType, number> }).errors?.[type] ?? 0;
  return (
    <td class="costliest" data-type={type}>
      <a
        href={objectsHref(run, {
          iou: '0.5',
          type,
          // A miss or a cls error is about a box of this class; the others about its predictions.
          ...(type === 'missed' || type === 'cls' ? { gt: String(row.name) } : { pred: String(row.name) }),
        })}
      >
        {type}
      </a>{' '}
      −{num(lost, 3)}
    </td>
  );
}

function Stat({ name, value }: { name: string; value: string }) {
  return (
    <div class="stat">
      <span class="value">{value}</span>
      <span class="name">{name}</span>
    </div>
  );
}
