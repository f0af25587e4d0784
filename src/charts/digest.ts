import type { ClassChange } from '../digest/compare.ts';

/** Classes drawn at most (the lowest-scoring ones); a digest chart must stay readable. */
export const DIGEST_CHART_CLASSES = 20;

/**
 * Vega-Lite spec of the digest chart: per-class metric of the newest run against the previous
 * one, lowest classes first. Pure data in, spec out.
 *
 * @example
 * const spec = digestChartSpec({ run: 'v2', previous: 'v1', classes, metric: 'f1' });
 */
export function digestChartSpec({
  run,
  previous,
  classes,
  metric,
}: {
  run: string;
  previous: string | null;
  classes: ClassChange[];
  metric: string;
}): Record<string, unknown> {
  const shown = [...classes]
    .sort((a, b) => a.now - b.now || a.name.localeCompare(b.name))
    .slice(0, DIGEST_CHART_CLASSES);
  const order = shown.map((c) => c.name);
  const values = shown.flatMap((c) => [
    { class: c.name, run, value: c.now },
    ...(previous && c.before !== null ? [{ class: c.name, run: previous, value: c.before }] : []),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: previous ? `${metric} per class: ${run} vs ${previous}` : `${metric} per class: ${run}`,
    width: 520,
    height: { step: 14 },
    background: 'white',
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'class', type: 'nominal', sort: order, title: null, axis: { labelLimit: 160 } },
      yOffset: { field: 'run', type: 'nominal' },
      x: { field: 'value', type: 'quantitative', title: metric, scale: { domain: [0, 1] } },
      color: {
        field: 'run',
        type: 'nominal',
        title: 'run',
        scale: { domain: previous ? [run, previous] : [run], range: ['#2563eb', '#94a3b8'] },
      },
    },
  };
}
