import type { VegaLiteSpec } from './per-class.ts';

export interface ConfusionInput {
  /** Class names; for detection the last one is 'background' (missed or spurious boxes). */
  labels: string[];
  /** matrix[actual][predicted] counts. */
  matrix: number[][];
}

export interface ConfusionCell {
  actual: string;
  predicted: string;
  count: number;
  /** Share of the actual class's row, 0 when the row is empty. */
  rowShare: number;
  correct: boolean;
  href: string | null;
}

/**
 * The matrix as one record per non-empty cell; `hrefFor` names the gallery that shows the cell.
 * A matrix whose shape disagrees with its labels is refused rather than drawn wrong.
 */
export function confusionCells(
  { labels, matrix }: ConfusionInput,
  hrefFor: (actual: string, predicted: string) => string | null = () => null,
): ConfusionCell[] {
  if (matrix.length !== labels.length || matrix.some((r) => r.length !== labels.length)) {
    throw new Error(
      `confusion matrix is ${matrix.length}×${matrix[0]?.length ?? 0} but there are ${labels.length} labels`,
    );
  }
  const cells: ConfusionCell[] = [];
  matrix.forEach((row, i) => {
    const total = row.reduce((s, v) => s + v, 0);
    row.forEach((count, j) => {
      if (count === 0) return;
      cells.push({
        actual: labels[i],
        predicted: labels[j],
        count,
        rowShare: total ? count / total : 0,
        correct: i === j,
        href: hrefFor(labels[i], labels[j]),
      });
    });
  });
  return cells;
}

/**
 * A heatmap of the confusion matrix (actual down, predicted across), coloured by row share so
 * small classes stay readable; each cell carries the gallery link it opens.
 *
 * @example
 * const spec = confusionHeatmapSpec({ labels: ['cat', 'dog'], matrix: [[5, 1], [2, 7]] }, (a, p) => `/g?label=${a}&predicted=${p}`);
 */
export function confusionHeatmapSpec(
  input: ConfusionInput,
  hrefFor?: (actual: string, predicted: string) => string | null,
  { cell = 28 }: { cell?: number } = {},
): VegaLiteSpec {
  const order = input.labels;
  const showText = order.length <= 20;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: 'Confusion matrix: rows are the given labels, columns the predictions',
    width: { step: cell },
    height: { step: cell },
    data: { values: confusionCells(input, hrefFor) },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: order, title: 'predicted', scale: { domain: order } },
      y: { field: 'actual', type: 'nominal', sort: order, title: 'label', scale: { domain: order } },
    },
    layer: [
      {
        mark: { type: 'rect', cursor: 'pointer', stroke: '#fff', strokeWidth: 0.5 },
        encoding: {
          color: {
            field: 'rowShare',
            type: 'quantitative',
            title: 'share of label',
            scale: { scheme: 'blues', domain: [0, 1] },
          },
          tooltip: [
            { field: 'actual', type: 'nominal', title: 'label' },
            { field: 'predicted', type: 'nominal', title: 'predicted' },
            { field: 'count', type: 'quantitative', title: 'rows' },
            { field: 'rowShare', type: 'quantitative', title: 'share of label', format: '.1%' },
          ],
        },
      },
      ...(showText
        ? [
            {
              mark: { type: 'text', fontSize: 10 },
              encoding: {
                text: { field: 'count', type: 'quantitative' },
                color: { condition: { test: 'datum.rowShare > 0.5', value: 'white' }, value: 'black' },
              },
            },
          ]
        : []),
    ],
  };
}
