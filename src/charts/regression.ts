import type { ClassRegression } from '../regression/types.ts';

/** Classes drawn at most (the largest drops); an alert chart must stay readable. */
export const REGRESSION_CHART_CLASSES = 20;

/**
 * Vega-Lite spec of a regression alert's chart: each class's change (new − previous) as a point
 * with its 95% bootstrap interval, largest drop first, regressed classes in red. Pure data in, spec out.
 *
 * @example
 * const spec = regressionChartSpec({ run: 'v2', previous: 'v1', metric: 'f1', classes });
 */
export function regressionChartSpec({
  run,
  previous,
  metric,
  classes,
}: {
  run: string;
  previous: string;
  metric: 'f1' | 'ap';
  classes: readonly ClassRegression[];
}): Record<string, unknown> {
  const shown = [...classes]
    .sort((a, b) => a.delta - b.delta || a.name.localeCompare(b.name))
    .slice(0, REGRESSION_CHART_CLASSES);
  const name = metric === 'f1' ? 'F1' : 'AP';
  const values = shown.map((c) => ({
    class: c.name,
    delta: c.delta,
    low: c.low,
    high: c.high,
    status: c.regressed ? 'regressed' : 'not significant',
  }));
  const color = {
    field: 'status',
    type: 'nominal',
    title: null,
    scale: { domain: ['regressed', 'not significant'], range: ['#dc2626', '#64748b'] },
  };
  const y = { field: 'class', type: 'nominal', sort: shown.map((c) => c.name), title: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${name} change per class: ${run} vs ${previous} (95% interval)`,
    width: 520,
    height: { step: 18 },
    background: 'white',
    data: { values },
    layer: [
      { mark: { type: 'rule', color: '#94a3b8' }, encoding: { x: { datum: 0 } } },
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          y,
          x: { field: 'low', type: 'quantitative', title: `${name} change (new − previous)` },
          x2: { field: 'high' },
          color,
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: { y, x: { field: 'delta', type: 'quantitative' }, color },
      },
    ],
  };
}
