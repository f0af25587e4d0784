import type { ErrorType } from '../metrics/detection-errors.ts';
import type { VegaLiteSpec } from './per-class.ts';

/**
 * TIDE's dAP breakdown as horizontal bars, "AP lost to" each error type, costliest first; a bar
 * links to the object gallery filtered to that type.
 *
 * @example
 * const spec = dapBarSpec({ cls: 0.16, loc: 0.01, both: 0, dupe: 0, bkg: 0.02, missed: 0.1 }, (t) => `/objects?type=${t}`);
 */
export function dapBarSpec(
  errors: Record<ErrorType, number>,
  hrefFor?: (type: ErrorType) => string,
  { width = 420, barHeight = 22 }: { width?: number; barHeight?: number } = {},
): VegaLiteSpec {
  const rows = (Object.entries(errors) as [ErrorType, number][])
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([type, value], order) => ({ type, value, order, href: hrefFor?.(type) ?? null }));
  const max = Math.max(0.05, ...rows.map((r) => r.value));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: 'AP50 lost to each error type (TIDE dAP), costliest first',
    width,
    height: { step: barHeight },
    data: { values: rows },
    mark: { type: 'bar', cursor: 'pointer', color: '#b91c1c' },
    encoding: {
      y: {
        field: 'type',
        type: 'nominal',
        sort: { field: 'order', order: 'ascending' },
        title: 'AP lost to',
      },
      x: { field: 'value', type: 'quantitative', title: 'dAP (AP50)', scale: { domain: [0, max] } },
      tooltip: [
        { field: 'type', type: 'nominal', title: 'error type' },
        { field: 'value', type: 'quantitative', title: 'dAP', format: '.4f' },
      ],
    },
  };
}

/** The error type that costs a class the most AP, or null when nothing is lost. */
export function costliestType(errors: Record<ErrorType, number> | null | undefined): ErrorType | null {
  if (!errors) return null;
  let best: ErrorType | null = null;
  for (const [type, v] of Object.entries(errors) as [ErrorType, number][])
    if (v > 0 && (best === null || v > errors[best])) best = type;
  return best;
}
