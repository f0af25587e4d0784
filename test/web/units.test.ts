import { describe, expect, it } from 'vitest';
import { calibrationSpec } from '../../src/charts/calibration.ts';
import { confusionCells, confusionHeatmapSpec } from '../../src/charts/confusion.ts';
import { perClassBarSpec, worstFirst } from '../../src/charts/per-class.ts';
import {
  categoryColors,
  categoryPalette,
  colorCategories,
  projectorSpec,
} from '../../src/charts/projector.ts';
import type { ProjectionPoint } from '../../src/store/projections.ts';
import { flagReason, mislabelReason } from '../../web/pages/queues.tsx';
import { parseClass, parseIouBelow, parseRowIds, parseSort } from '../../web/params.ts';
import { createProjectionCache, projectionColumns } from '../../web/projection-data.ts';
import { mediaThumbPath } from '../../src/media/urls.ts';
import { withQuery } from '../../web/safe-url.ts';
import { checkCsrfToken, csrfToken, decodeSession, encodeSession } from '../../web/session.ts';
import { wrapInterpreter } from '../../web/static.ts';
import { isLoopbackHost } from '../../src/authorize.ts';

describe('chart specs', () => {
  it('orders classes worst first, classes without a value last', () => {
    const order = worstFirst([
      { name: 'b', value: 0.5 },
      { name: 'x', value: null },
      { name: 'c', value: 0.2 },
      { name: 'a', value: 0.5 },
    ]).map((c) => c.name);
    expect(order).toEqual(['c', 'a', 'b', 'x']);
    const spec = perClassBarSpec([
      { name: 'b', value: 0.9 },
      { name: 'a', value: 0.1, href: '/g?label=a' },
    ]) as { data: { values: { class: string; order: number; href: string | null }[] } };
    expect(spec.data.values).toEqual([
      { class: 'a', value: 0.1, support: null, href: '/g?label=a', order: 0 },
      { class: 'b', value: 0.9, support: null, href: null, order: 1 },
    ]);
  });

  it('turns a confusion matrix into non-empty cells with row shares and links', () => {
    const cells = confusionCells(
      {
        labels: ['a', 'b'],
        matrix: [
          [3, 1],
          [0, 2],
        ],
      },
      (a, p) => `/g?l=${a}&p=${p}`,
    );
    expect(cells).toEqual([
      { actual: 'a', predicted: 'a', count: 3, rowShare: 0.75, correct: true, href: '/g?l=a&p=a' },
      { actual: 'a', predicted: 'b', count: 1, rowShare: 0.25, correct: false, href: '/g?l=a&p=b' },
      { actual: 'b', predicted: 'b', count: 2, rowShare: 1, correct: true, href: '/g?l=b&p=b' },
    ]);
    expect(() =>
      confusionCells({
        labels: ['a', 'b', 'background'],
        matrix: [
          [1, 0],
          [0, 1],
        ],
      }),
    ).toThrow('confusion matrix is 2×2 but there are 3 labels');
    const spec = confusionHeatmapSpec({
      labels: ['a', 'background'],
      matrix: [
        [1, 1],
        [2, 0],
      ],
    }) as {
      encoding: { x: { scale: { domain: string[] } } };
    };
    expect(spec.encoding.x.scale.domain).toEqual(['a', 'background']);
  });

  it('plots calibration bins that have rows, with the ECE in the title', () => {
    const spec = calibrationSpec(
      [
        { bin: 0, lower: 0, upper: 0.5, count: 0, accuracy: null, confidence: null },
        { bin: 1, lower: 0.5, upper: 1, count: 4, accuracy: 0.5, confidence: 0.75 },
      ],
      { ece: 0.125 },
    ) as { title: string; layer: { data: { values: { gap?: number }[] } }[] };
    expect(spec.title).toBe('Calibration (ECE 0.125)');
    expect(spec.layer[2].data.values).toEqual([
      { bin: 1, lower: 0.5, upper: 1, count: 4, accuracy: 0.5, confidence: 0.75, gap: 0.25 },
    ]);
  });

  it('keeps 200 class colours distinct and hides the legend past 20 categories', () => {
    expect(categoryPalette(3)).toEqual(['#4c78a8', '#f58518', '#54a24b']);
    // Ten digit classes: ten different hues, no light/dark pair of one hue (0/1 and 8/9 were).
    const ten = categoryPalette(10);
    expect(new Set(ten).size).toBe(10);
    expect(ten.slice(0, 2)).not.toContain('#9ecae9');
    expect(ten.slice(8, 10)).toEqual(['#b279a2', '#9e765f']);
    expect(categoryPalette(20)).toHaveLength(20);
    const many = categoryPalette(200);
    expect(new Set(many).size).toBe(200);
    const names = Array.from({ length: 200 }, (_, i) => `c${i}`);
    const wide = projectorSpec({
      colorBy: 'label',
      categories: colorCategories('label', names),
      points: 100_000,
    }) as {
      mark: { size: number };
      encoding: { color: { legend: unknown } };
    };
    expect(wide.encoding.color.legend).toBeNull();
    expect(wide.mark.size).toBe(4);
    expect(categoryColors('correct', colorCategories('correct', []))).toEqual([
      '#54a24b',
      '#e45756',
      '#b8b8b8',
    ]);
    expect(categoryColors('label', ['a', 'b', 'unlabeled'])).toEqual(['#4c78a8', '#f58518', '#b8b8b8']);
  });
});

describe('projection data', () => {
  const point = (i: number, label: string | null, correct: boolean | null): ProjectionPoint => ({
    rowId: 100 + i,
    id: `r${i}`,
    x: i + 0.123456,
    y: i === 0 ? 0 : -i,
    fitted: true,
    label,
    predicted: 'dog',
    correct,
  });

  it('sends columns with class indices and thins big projections by a fixed stride', () => {
    const cols = projectionColumns(
      'r',
      ['cat', 'dog'],
      [point(0, 'cat', true), point(1, null, null), point(2, 'dog', false)],
    );
    expect(cols).toEqual({
      run: 'r',
      classNames: ['cat', 'dog'],
      n: 3,
      total: 3,
      rowId: [100, 101, 102],
      id: ['r0', 'r1', 'r2'],
      x: [0.1235, 1.1235, 2.1235],
      y: [0, -1, -2],
      label: [0, -1, 1],
      predicted: [1, 1, 1],
      correct: [1, -1, 0],
    });
    const big = Array.from({ length: 250_000 }, (_, i) => point(i, 'cat', true));
    const thin = projectionColumns('r', ['cat'], big);
    expect([thin.n, thin.total, thin.rowId[1] - thin.rowId[0]]).toEqual([83_334, 250_000, 3]);
  });

  it('caches a projection per key until it expires, and forgets failed loads', async () => {
    const cache = createProjectionCache({ ttlMs: 1000 });
    let loads = 0;
    const load = async () => {
      loads++;
      return projectionColumns('r', [], []);
    };
    await cache.get('1:a', 0, load);
    await cache.get('1:a', 999, load);
    expect(loads).toBe(1);
    await cache.get('1:a', 1000, load);
    await cache.get('1:b', 1000, load);
    expect(loads).toBe(3);
    await expect(cache.get('2:a', 0, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await cache.get('2:a', 1, load);
    expect(loads).toBe(4);
  });
});

describe('parameters and URLs', () => {
  it('checks iou_lt, sort, row ids and class names', () => {
    expect(parseIouBelow('0.5')).toBe(0.5);
    expect(parseIouBelow(undefined)).toBe(0.5);
    expect(parseIouBelow('all')).toBeNull();
    for (const bad of ['1.5', '-1', 'abc', '0.5; drop table'])
      expect(() => parseIouBelow(bad)).toThrow('iou_lt');
    expect(parseSort('desc')).toBe('confidence:desc');
    expect(parseRowIds('3,1,3')).toEqual([3, 1]);
    expect(parseRowIds([5, '6'])).toEqual([5, 6]);
    expect(() => parseRowIds('1,x')).toThrow('rowIds must be a positive whole number, got "x"');
    expect(parseClass('background', ['a', 'b'], { field: 'label', background: true })).toBe(2);
    expect(() => parseClass('background', ['a', 'b'], { field: 'label' })).toThrow(
      'label "background" is not a class',
    );
  });

  it('turns only same-site paths, http(s) URLs and registered files into image URLs', () => {
    const thumb = (imageUrl: string) => mediaThumbPath({ rowId: 7, imageUrl });
    expect(thumb('/media/digits/1.svg')).toBe('/media/digits/1.svg');
    // Remote images come through the board's own proxy, never straight from the page.
    expect(thumb('https://cdn.example/a.png')).toBe('/media/rows/7/thumb/256');
    expect(thumb('root:2/a.png')).toBe('/media/rows/7/thumb/256');
    for (const bad of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      '//evil.example/x.png',
      'data:text/html,<b>',
      'vbscript:x',
    ])
      expect(thumb(bad), bad).toBeNull();
    expect(withQuery('/g', { a: 'x y', b: undefined, c: '', d: 0 })).toBe('/g?a=x+y&d=0');
  });

  it('words a mislabel reason from the stored evidence', () => {
    expect(
      flagReason({
        kind: 'label',
        given: '1',
        suggested: '7',
        evidence: 'model 0.97 sure: 7; labeled 1 (0.01); 4 of 5 nearest neighbours are 7',
      }),
    ).toBe('model 97% sure this is a 7; labeled 1; 4 of 5 nearest neighbours are 7');
    expect(
      flagReason({
        kind: 'label',
        given: '7',
        suggested: '2',
        evidence:
          'model 0.46 sure: 1; labeled 7 (0.10); suggested 2: the class of its nearest neighbours; 4 of 5 nearest neighbours are 2',
      }),
    ).toBe(
      'model 46% sure this is a 1; labeled 7; suggested 2: the class of its nearest neighbours; 4 of 5 nearest neighbours are 2',
    );
    expect(mislabelReason({ kind: 'overlooked', given: null, suggested: 'cat', confidence: 0.8 })).toBe(
      'model 80% sure this is a cat here; no box is labeled',
    );
  });
});

describe('sessions', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  const exp = Math.floor(now.getTime() / 1000) + 60;

  it('round-trips a session and refuses altered or expired ones', () => {
    const value = encodeSession('k', { user: 'U1', exp });
    expect(decodeSession('k', value, now)).toEqual({ user: 'U1', exp });
    expect(decodeSession('other-key', value, now)).toBeNull();
    expect(decodeSession('k', value.replace(/\.(\d+)\./, `.${exp + 1}.`), now)).toBeNull();
    expect(decodeSession('k', value, new Date(now.getTime() + 61_000))).toBeNull();
    expect(decodeSession('k', 'garbage', now)).toBeNull();
  });

  it('ties the CSRF token to the session', () => {
    const token = csrfToken('k', { user: 'U1', exp });
    expect(checkCsrfToken('k', { user: 'U1', exp }, token)).toBe(true);
    expect(checkCsrfToken('k', { user: 'U2', exp }, token)).toBe(false);
    expect(checkCsrfToken('k', { user: 'U1', exp }, undefined)).toBe(false);
    expect(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '10.0.0.5'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('vega-interpreter as a classic script', () => {
  it('reads vega-util from the vega global and publishes the interpreter', () => {
    const src =
      "import { ascending, isString } from 'vega-util';\nfunction expression() { return ascending; }\nexport { expression as expressionInterpreter };\n";
    const out = wrapInterpreter(src);
    const win: Record<string, unknown> = { vega: { ascending: 'A', isString: 'S' } };
    new Function('window', out)(win);
    expect((win.vegaInterpreter as { expressionInterpreter: () => unknown }).expressionInterpreter()).toBe(
      'A',
    );
    expect(() => wrapInterpreter('export default 1')).toThrow('vega-interpreter changed shape');
  });
});
