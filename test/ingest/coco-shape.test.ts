import { describe, expect, it } from 'vitest';
import { gtSchema, resultsSchema } from '../../src/ingest/coco-file.ts';
import { looksLikeGroundTruth, looksLikeResults } from '../../src/ingest/coco-shape.ts';

// The plain check may only accept what the schema accepts: anything it lets through is used
// without zod. Each case changes one field of a valid file.

const gt = () => ({
  images: [{ id: 1, width: 640, height: 480, file_name: 'a.jpg', coco_url: null, extra: { any: 1 } }],
  annotations: [{ id: 7, image_id: 1, category_id: 3, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0 }],
  categories: [{ id: 3, name: 'cat', supercategory: 'animal' }],
});
const result = () => [{ image_id: 1, category_id: 3, bbox: [1, 2, 3, 4], score: 0.5 }];

const values = [
  undefined,
  null,
  0,
  -1,
  1,
  1.5,
  2 ** 60,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'x',
  '1',
  true,
  false,
  [],
  [1, 2, 3],
  [1, 2, 3, 4],
  [1, 2, -3, 4],
  [1, 2, 3, Number.NaN],
  ['1', 2, 3, 4],
  {},
  { id: 1 },
];

function cases<T>(make: () => T, paths: (string | number)[][]): [string, unknown][] {
  const out: [string, unknown][] = [['valid', make()]];
  for (const path of paths)
    for (const v of values) {
      const doc = make() as Record<string | number, unknown>;
      let at: Record<string | number, unknown> = doc;
      for (const p of path.slice(0, -1)) at = at[p] as Record<string | number, unknown>;
      const key = path[path.length - 1];
      if (v === undefined) delete at[key];
      else at[key] = v;
      out.push([`${path.join('.')} = ${JSON.stringify(v)}`, doc]);
    }
  return out;
}

describe('COCO shape checks', () => {
  const gtPaths = [
    ['images'],
    ['images', 0],
    ...['id', 'width', 'height', 'file_name', 'coco_url', 'flickr_url'].map((k) => ['images', 0, k]),
    ['annotations'],
    ['annotations', 0],
    ...['id', 'image_id', 'category_id', 'bbox', 'area', 'iscrowd'].map((k) => ['annotations', 0, k]),
    ['categories'],
    ['categories', 0],
    ...['id', 'name'].map((k) => ['categories', 0, k]),
  ];
  it('accept a ground truth only when zod does', () => {
    let accepted = 0;
    for (const [what, doc] of cases(gt, gtPaths)) {
      if (!looksLikeGroundTruth(doc)) continue;
      accepted++;
      expect(gtSchema.safeParse(doc).success, what).toBe(true);
    }
    expect(looksLikeGroundTruth(gt())).toBe(true);
    expect(accepted).toBeGreaterThan(20);
    expect(looksLikeGroundTruth([gt()])).toBe(false);
    expect(looksLikeGroundTruth({ ...gt(), images: [] })).toBe(false);
  });

  it('accept a results list only when zod does', () => {
    const paths = [[0], ...['image_id', 'category_id', 'bbox', 'score'].map((k) => [0, k])];
    let accepted = 0;
    for (const [what, doc] of cases(result, paths)) {
      if (!looksLikeResults(doc)) continue;
      accepted++;
      expect(resultsSchema.safeParse(doc).success, what).toBe(true);
    }
    expect(looksLikeResults(result())).toBe(true);
    expect(looksLikeResults([])).toBe(true);
    expect(accepted).toBeGreaterThan(3);
    expect(looksLikeResults({ 0: result()[0] })).toBe(false);
  });
});
