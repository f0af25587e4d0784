import type { ClassRegression } from '../../src/regression/types.ts';
import type { BoardRun } from '../views.ts';
import { BoxLegend, type Card, CardGrid } from './cards.tsx';
import { runPath } from './layout.tsx';

export interface CompareView {
  run: BoardRun;
  previous: { name: string } | null;
  /** Null while the check is pending. */
  check: {
    metric: 'f1' | 'ap';
    rows: number;
    resamples: number;
    minDrop: number;
    classes: ClassRegression[];
  } | null;
  muted: Set<number>;
  /** Classification: (now − before) counts by [label][prediction]. */
  confusion: number[][] | null;
  worse: { cards: Card[]; total: number };
  better: { cards: Card[]; total: number };
  batches: string[];
}

const f3 = (v: number) => v.toFixed(3);
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`;

/** The interval of a change on a shared axis, 0 marked: a glance says which side it lies on. */
function IntervalBar({ c, span }: { c: ClassRegression; span: number }) {
  const x = (v: number) => 50 + (v / span) * 48;
  const color = c.regressed ? '#dc2626' : c.low > 0 ? '#16a34a' : '#64748b';
  return (
    <svg
      viewBox="0 0 100 12"
      width="160"
      height="12"
      role="img"
      aria-label={`${signed(c.low)} to ${signed(c.high)}`}
    >
      <line x1="50" x2="50" y1="0" y2="12" stroke="#cbd5e1" />
      <line x1={x(c.low)} x2={x(c.high)} y1="6" y2="6" stroke={color} stroke-width="2" />
      <circle cx={x(c.delta)} cy="6" r="2.5" fill={color} />
    </svg>
  );
}

function ClassTable({ check, muted }: { check: NonNullable<CompareView['check']>; muted: Set<number> }) {
  const name = check.metric === 'f1' ? 'F1' : 'AP';
  const span = Math.max(0.05, ...check.classes.flatMap((c) => [Math.abs(c.low), Math.abs(c.high)]));
  const classes = [...check.classes].sort((a, b) => a.delta - b.delta || a.name.localeCompare(b.name));
  return (
    <table class="classes compare" id="compare-classes">
      <thead>
        <tr>
          <th>class</th>
          <th class="num">{name} before</th>
          <th class="num">{name} now</th>
          <th class="num">change</th>
          <th>95% interval</th>
          <th class="num">support</th>
          <th>status</th>
        </tr>
      </thead>
      <tbody>
        {classes.map((c) => (
          <tr class={c.regressed ? 'regressed' : ''} data-class={c.name}>
            <td>{c.name}</td>
            <td class="num">{f3(c.before)}</td>
            <td class="num">{f3(c.now)}</td>
            <td class="num">{signed(c.delta)}</td>
            <td>
              <IntervalBar c={c} span={span} />{' '}
              <span class="muted">{`${signed(c.low)} to ${signed(c.high)}`}</span>
            </td>
            <td class="num">{c.support}</td>
            <td>
              {c.regressed
                ? muted.has(c.label)
                  ? 'regressed (muted)'
                  : 'regressed'
                : c.low > 0
                  ? 'improved'
                  : '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The confusion matrix of the new run minus the previous one's, on the shared rows. */
function ConfusionDiff({ diff, names }: { diff: number[][]; names: string[] }) {
  const max = Math.max(1, ...diff.flat().map(Math.abs));
  return (
    <table class="confusion-diff" id="confusion-diff">
      <thead>
        <tr>
          <th>label ↓ · predicted →</th>
          {names.map((n) => (
            <th class="num">{n}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {diff.map((row, y) => (
          <tr>
            <th>{names[y]}</th>
            {row.map((v, p) => {
              // More on the diagonal is better, more off it is worse.
              const good = y === p ? v > 0 : v < 0;
              const alpha = (Math.abs(v) / max) * 0.6;
              const bg =
                v === 0 ? 'transparent' : good ? `rgba(22,163,74,${alpha})` : `rgba(220,38,38,${alpha})`;
              return (
                <td class="num" style={`background:${bg}`}>
                  {v === 0 ? '·' : v > 0 ? `+${v}` : `−${-v}`}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The run comparison page: per-class change with bootstrap intervals, the confusion difference, and
 * the rows that flipped right → wrong and wrong → right.
 */
export function ComparePage(v: CompareView) {
  const { run, previous, check } = v;
  if (!previous)
    return (
      <>
        <h1>Compare</h1>
        <p class="muted">
          {run.name} is the first run of its dataset: there is no earlier run to compare it with.
        </p>
      </>
    );
  const unit = run.kind === 'classification' ? 'rows' : 'images';
  return (
    <>
      <h1>
        {run.name} vs <a href={runPath(previous.name)}>{previous.name}</a>
      </h1>
      {check ? (
        <>
          <p class="summary">
            {`${check.metric === 'f1' ? 'F1' : 'AP'} per class on the ${check.rows.toLocaleString('en-US')} ${unit} both runs share; intervals from a paired bootstrap of ${check.resamples.toLocaleString('en-US')} resamples. A class regresses when its interval lies below 0 and it drops by more than ${check.minDrop}.`}
          </p>
          <ClassTable check={check} muted={v.muted} />
        </>
      ) : (
        <p class="muted">The regression check is still running; reload in a moment.</p>
      )}
      {v.confusion ? (
        <>
          <h2>Confusion difference (now − before)</h2>
          <ConfusionDiff diff={v.confusion} names={run.classNames} />
        </>
      ) : null}
      {run.kind === 'detection' ? <BoxLegend /> : null}
      <h2 id="worse">{`Right before, wrong now (${v.worse.total})`}</h2>
      <CardGrid cards={v.worse.cards} run={run.name} runId={run.id} batches={v.batches} />
      <h2 id="better">{`Wrong before, right now (${v.better.total})`}</h2>
      <CardGrid cards={v.better.cards} run={run.name} runId={run.id} batches={v.batches} actions={false} />
    </>
  );
}
