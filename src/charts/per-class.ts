/** A vega-lite spec as a plain object (the board serialises it; vega-lite validates it in the browser). */
export type VegaLiteSpec = Record<string, unknown>;

export interface ClassValue {
  name: string;
  value: number | null;
  support?: number;
  /** Where clicking the bar goes (the gallery filtered to this class). */
  href?: string;
}

/**
 * Sort classes worst first (lowest value; classes without a value last, then by name), so the
 * chart and the table agree on the order.
 */
export function worstFirst<T extends { name: string; value: number | null }>(classes: T[]): T[] {
  return [...classes].sort((a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value === b.value) return a.name.localeCompare(b.name);
      return a.value === null ? 1 : -1;
    }
    return a.value - b.value || a.name.localeCompare(b.name);
  });
}

/**
 * A horizontal bar per class, worst first, for one metric (F1 for classification, AP for detection).
 *
 * @example
 * const spec = perClassBarSpec([{ name: 'cat', value: 0.4 }, { name: 'dog', value: 0.9 }], { metric: 'F1' });
 */
export function perClassBarSpec(
  classes: ClassValue[],
  {
    metric = 'F1',
    width = 480,
    barHeight = 16,
  }: { metric?: string; width?: number; barHeight?: number } = {},
): VegaLiteSpec {
  const sorted = worstFirst(classes).filter((c) => c.value !== null);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${metric} per class, worst first`,
    width,
    height: { step: barHeight },
    data: {
      values: sorted.map((c, order) => ({
        class: c.name,
        value: c.value,
        support: c.support ?? null,
        href: c.href ?? null,
        order,
      })),
    },
    mark: { type: 'bar', cursor: 'pointer' },
    encoding: {
      y: { field: 'class', type: 'nominal', sort: { field: 'order', order: 'ascending' }, title: null },
      x: { field: 'value', type: 'quantitative', title: metric, scale: { domain: [0, 1] } },
      color: {
        field: 'value',
        type: 'quantitative',
        scale: { scheme: 'redyellowgreen', domain: [0, 1] },
        legend: null,
      },
      tooltip: [
        { field: 'class', type: 'nominal', title: 'class' },
        { field: 'value', type: 'quantitative', title: metric, format: '.3f' },
        { field: 'support', type: 'quantitative', title: 'support' },
      ],
    },
  };
}
