import type { VegaLiteSpec } from './per-class.ts';

export type ColorBy = 'label' | 'predicted' | 'correct' | 'decision';
export const COLOR_BY: ColorBy[] = ['label', 'predicted', 'correct', 'decision'];

/** Past this many categories a legend stops helping: the board shows a searchable one instead. */
export const MAX_LEGEND_CATEGORIES = 20;

const TABLEAU20 = [
  '#4c78a8',
  '#9ecae9',
  '#f58518',
  '#ffbf79',
  '#54a24b',
  '#88d27a',
  '#b79a20',
  '#f2cf5b',
  '#439894',
  '#83bcb6',
  '#e45756',
  '#ff9d98',
  '#79706e',
  '#bab0ac',
  '#d67195',
  '#fcbfd2',
  '#b279a2',
  '#d6a5c9',
  '#9e765f',
  '#d8b5a5',
];

// tableau20 lists each hue dark then light; taken in that order, classes 0/1 or 8/9 would be two
// shades of one hue. The ten dark hues first, then the ten light ones: neighbours differ in hue.
const CATEGORICAL20 = [
  ...TABLEAU20.filter((_, i) => i % 2 === 0),
  ...TABLEAU20.filter((_, i) => i % 2 === 1),
];

/**
 * n colours: up to 20 from a categorical palette whose first ten hues all differ, then hues
 * spaced by the golden angle with alternating lightness (past 20 the board's highlight helps).
 */
export function categoryPalette(n: number): string[] {
  if (n <= CATEGORICAL20.length) return CATEGORICAL20.slice(0, n);
  return Array.from({ length: n }, (_, i) => {
    const hue = Math.round((i * 137.508) % 360);
    const light = [45, 62, 32][i % 3];
    const sat = [70, 55, 80][Math.floor(i / 3) % 3];
    return `hsl(${hue}, ${sat}%, ${light}%)`;
  });
}

/** Fixed colours where the category means something: red for wrong, grey for nothing known. */
const SEMANTIC: Record<string, string> = {
  unlabeled: '#b8b8b8',
  correct: '#54a24b',
  incorrect: '#e45756',
  none: '#b8b8b8',
  approve: '#54a24b',
  rework: '#f58518',
  dismiss: '#7f3c8d',
};

/** One colour per category: the semantic ones fixed, classes from the palette. */
export function categoryColors(colorBy: ColorBy, categories: string[]): string[] {
  if (colorBy === 'correct' || colorBy === 'decision') return categories.map((c) => SEMANTIC[c] ?? '#888888');
  const classes = categories.filter((c) => c !== 'unlabeled');
  const palette = categoryPalette(classes.length);
  let i = 0;
  return categories.map((c) => (c === 'unlabeled' ? SEMANTIC.unlabeled : palette[i++]));
}

/** The categories a colouring shows, in legend order. */
export function colorCategories(colorBy: ColorBy, classNames: string[]): string[] {
  if (colorBy === 'correct') return ['correct', 'incorrect', 'unlabeled'];
  if (colorBy === 'decision') return ['none', 'approve', 'rework', 'dismiss'];
  const names = [...classNames];
  return colorBy === 'label' ? [...names, 'unlabeled'] : names;
}

/**
 * The projector scatter: the board supplies the points as the named dataset `points`
 * (fields x, y, c = colour category, id, label, predicted, rowId) at embed time, draws on
 * canvas, brushes with an interval selection and dims everything but `highlight` when set.
 *
 * @example
 * const spec = projectorSpec({ colorBy: 'label', categories: ['0', '1', 'unlabeled'], points: 100_000 });
 */
export function projectorSpec({
  colorBy,
  categories,
  points,
  width = 'container',
  height = 560,
}: {
  colorBy: ColorBy;
  categories: string[];
  points: number;
  /** 'container': as wide as the board's column. */
  width?: number | 'container';
  height?: number;
}): VegaLiteSpec {
  const legend = categories.length <= MAX_LEGEND_CATEGORIES;
  const size = points > 50_000 ? 4 : points > 10_000 ? 8 : 24;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `Embedding projection coloured by ${colorBy}`,
    width,
    height,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { name: 'points' },
    params: [
      { name: 'highlight', value: '' },
      { name: 'brush', select: { type: 'interval', encodings: ['x', 'y'], clear: 'dblclick' } },
    ],
    mark: { type: 'point', filled: true, size, cursor: 'pointer' },
    encoding: {
      x: { field: 'x', type: 'quantitative', axis: null, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', axis: null, scale: { zero: false } },
      color: {
        field: 'c',
        type: 'nominal',
        title: colorBy,
        scale: { domain: categories, range: categoryColors(colorBy, categories) },
        legend: legend ? { symbolLimit: MAX_LEGEND_CATEGORIES } : null,
      },
      opacity: {
        condition: { test: "highlight === '' || datum.c === highlight", value: 0.75 },
        value: 0.04,
      },
      tooltip: [
        { field: 'id', type: 'nominal', title: 'id' },
        { field: 'label', type: 'nominal', title: 'label' },
        { field: 'predicted', type: 'nominal', title: 'prediction' },
      ],
    },
    config: { view: { stroke: null } },
  };
}
