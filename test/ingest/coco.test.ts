import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { IngestError, ingestCoco } from '../../src/ingest/index.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { SHARED, hasShared, runJobs, scratch, snapshot } from './fixtures.ts';

const files = scratch();
afterAll(files.cleanup);

// A hand-made COCO pair: categories out of id order, one image without boxes, one crowd box without area.
const gt = {
  images: [
    { id: 7, width: 640, height: 480, file_name: 'a.jpg', coco_url: 'http://img/a.jpg' },
    { id: 9, width: 320, height: 200, file_name: 'b.jpg', flickr_url: 'http://flickr/b.jpg' },
    { id: 11, width: 10, height: 10, file_name: 'c.jpg' },
  ],
  annotations: [
    { id: 100, image_id: 7, category_id: 18, bbox: [10, 20, 30, 40], area: 1100.5, iscrowd: 0 },
    { id: 101, image_id: 7, category_id: 1, bbox: [0, 0, 5, 5], iscrowd: 1 },
    { id: 102, image_id: 9, category_id: 3, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0 },
  ],
  categories: [
    { id: 18, name: 'dog' },
    { id: 1, name: 'person' },
    { id: 3, name: 'car' },
  ],
};
const results = [
  { image_id: 9, category_id: 3, bbox: [1, 2, 3, 4.5], score: 0.9 },
  { image_id: 7, category_id: 18, bbox: [11, 21, 30, 40], score: 0.8 },
  { image_id: 7, category_id: 1, bbox: [50, 50, 10, 10], score: 0.3 },
];
const gtPath = files.write('instances.json', JSON.stringify(gt));
const predPath = files.write('results.json', JSON.stringify(results));

describeEachDriver('ingest coco', (ctx) => {
  const deps = () => testDeps(ctx().database);
  const db = () => ctx().database.db;
  /** What the hand-made pair's import answers: 3 images, 3 boxes, 3 detections. */
  const tiny = { run: 'tiny', dataset: 'tiny', rows: 3, annotations: 3, predictions: 3, embeddings: 0 };

  it('imports a hand-made pair: class index by sorted category id, per-image prediction ordinals', async () => {
    const r = await ingestCoco(deps(), { run: 'tiny', gt: gtPath, pred: predPath, analyze: false });
    expect(r).toEqual({ ...tiny, unchanged: false });
    const [ds] = await rawRows<{ kind: string; class_names: unknown; source_class_ids: unknown }>(
      db(),
      sql`select kind, class_names, source_class_ids from datasets where name = 'tiny'`,
    );
    expect(ds).toEqual({
      kind: 'detection',
      class_names: ['person', 'car', 'dog'],
      source_class_ids: [1, 3, 18],
    });
    const rows = await rawRows(
      db(),
      sql`select external_id, labeled, image_url, width, height, metadata from data_rows order by id`,
    );
    expect(rows).toEqual([
      {
        external_id: '7',
        labeled: true,
        image_url: 'http://img/a.jpg',
        width: 640,
        height: 480,
        metadata: { file_name: 'a.jpg' },
      },
      {
        external_id: '9',
        labeled: true,
        image_url: 'http://flickr/b.jpg',
        width: 320,
        height: 200,
        metadata: { file_name: 'b.jpg' },
      },
      {
        external_id: '11',
        labeled: true,
        image_url: null,
        width: 10,
        height: 10,
        metadata: { file_name: 'c.jpg' },
      },
    ]);
    const anns = await rawRows(
      db(),
      sql`select r.external_id, a.ann_key, a.label, a.x, a.y, a.w, a.h, a.area, a.iscrowd
          from annotations a join data_rows r on r.id = a.row_id order by a.ann_key`,
    );
    expect(anns).toEqual([
      {
        external_id: '7',
        ann_key: '100',
        label: 2,
        x: 10,
        y: 20,
        w: 30,
        h: 40,
        area: 1100.5,
        iscrowd: false,
      },
      { external_id: '7', ann_key: '101', label: 0, x: 0, y: 0, w: 5, h: 5, area: 25, iscrowd: true },
      { external_id: '9', ann_key: '102', label: 1, x: 1, y: 2, w: 3, h: 4, area: 12, iscrowd: false },
    ]);
    const preds = await rawRows(
      db(),
      sql`select r.external_id, p.pred_key, p.label, p.score, p.x, p.w, p.h, p.probs
          from predictions p join data_rows r on r.id = p.row_id order by r.external_id, p.pred_key`,
    );
    expect(preds).toEqual([
      { external_id: '7', pred_key: 0, label: 2, score: 0.8, x: 11, w: 30, h: 40, probs: null },
      { external_id: '7', pred_key: 1, label: 0, score: 0.3, x: 50, w: 10, h: 10, probs: null },
      { external_id: '9', pred_key: 0, label: 1, score: 0.9, x: 1, w: 3, h: 4.5, probs: null },
    ]);
  });

  it('is idempotent, and a second run on the same dataset adds only its predictions', async () => {
    const before = await snapshot(db());
    expect(await ingestCoco(deps(), { run: 'tiny', gt: gtPath, pred: predPath, analyze: false })).toEqual({
      ...tiny,
      unchanged: true,
    });
    expect(await snapshot(db())).toEqual(before);
    const r = await ingestCoco(deps(), {
      run: 'tiny-2',
      dataset: 'tiny',
      gt: gtPath,
      pred: predPath,
      analyze: false,
    });
    expect(r).toEqual({ ...tiny, run: 'tiny-2', unchanged: false });
    const after = await snapshot(db());
    expect(after.data_rows).toEqual(before.data_rows);
    expect(after.annotations).toEqual(before.annotations);
    expect(after.predictions.n).toBe(6);
  });

  it("answers a new dataset's embeddings as the table holds them, and the same files again as unchanged", async () => {
    const emb = files.write(
      'coco-emb.jsonl',
      '{"id": "7", "embedding": [1, 0]}\n{"id": "9", "embedding": [0, 1]}\n{"id": "11", "embedding": [1, 1]}\n',
    );
    const opts = { run: 'emb', gt: gtPath, pred: predPath, embeddings: emb, analyze: false };
    expect(await ingestCoco(deps(), opts)).toEqual({
      ...tiny,
      run: 'emb',
      dataset: 'emb',
      embeddings: 3,
      unchanged: false,
    });
    const [held] = await rawRows<{ n: number }>(
      db(),
      sql`select count(*)::int as n from embeddings where run_id = (select id from model_runs where name = 'emb')`,
    );
    expect(held.n).toBe(3);
    expect(await ingestCoco(deps(), opts)).toEqual({
      ...tiny,
      run: 'emb',
      dataset: 'emb',
      embeddings: 3,
      unchanged: true,
    });
  });

  it('answers the same files again at once while nothing changed since, and keeps the analysis', async () => {
    const jobs = () => runJobs(db(), 'same');
    const again = () =>
      ingestCoco(deps(), {
        run: 'same',
        gt: files.write('same-instances.json', readFileSync(gtPath)),
        pred: files.write('same-results.json', readFileSync(predPath)),
      });
    const same = { ...tiny, run: 'same', dataset: 'same' };
    expect(await ingestCoco(deps(), { run: 'same', gt: gtPath, pred: predPath })).toEqual({
      ...same,
      unchanged: false,
    });
    const queued = await jobs();
    expect(queued).toBeGreaterThan(0);
    const before = await snapshot(db());
    expect(await again()).toEqual({ ...same, unchanged: true });
    expect(await snapshot(db())).toEqual(before);
    expect(await jobs()).toBe(queued);
    // Another dataset's import since: the files are merged as before, and the analysis runs again.
    await ingestCoco(deps(), { run: 'same-other', gt: gtPath, pred: predPath, analyze: false });
    expect(await again()).toEqual({ ...same, unchanged: true });
    expect(await jobs()).toBeGreaterThan(queued);
  });

  it('adds only what is not stored: a new image with its box, and its prediction into the same run', async () => {
    await ingestCoco(deps(), { run: 'grow', gt: gtPath, pred: predPath, analyze: false });
    const before = await snapshot(db());
    const grown = {
      ...gt,
      images: [...gt.images, { id: 13, width: 50, height: 50, file_name: 'd.jpg' }],
      annotations: [
        ...gt.annotations,
        { id: 103, image_id: 13, category_id: 1, bbox: [5, 5, 10, 10], area: 100, iscrowd: 0 },
      ],
    };
    const r = await ingestCoco(deps(), {
      run: 'grow',
      gt: files.write('instances-grown.json', JSON.stringify(grown)),
      pred: files.write(
        'results-grown.json',
        JSON.stringify([...results, { image_id: 13, category_id: 1, bbox: [6, 5, 10, 10], score: 0.7 }]),
      ),
      analyze: false,
    });
    expect(r).toEqual({
      run: 'grow',
      dataset: 'grow',
      rows: 4,
      annotations: 4,
      predictions: 4,
      embeddings: 0,
      unchanged: false,
    });
    const added = await rawRows<{ ann_key: string; label: number; x: number; pred: number; px: number }>(
      db(),
      sql`select a.ann_key, a.label, a.x, p.label as pred, p.x as px from data_rows r
          join annotations a on a.row_id = r.id join predictions p on p.row_id = r.id
          where r.external_id = '13' and r.dataset_id = (select id from datasets where name = 'grow')`,
    );
    // Category 1 is class 0: classes follow the sorted category ids.
    expect(added).toEqual([{ ann_key: '103', label: 0, x: 5, pred: 0, px: 6 }]);
    expect((await snapshot(db())).predictions.n).toBe(before.predictions.n + 1);
  });

  const variants: [string, (g: typeof gt, p: typeof results) => void, string, boolean?][] = [
    [
      'an unknown image_id in the results',
      (_g, p) => {
        p[2].image_id = 12;
      },
      'results.json: [2].image_id: 12 is not an image of the ground truth, expected one of its image ids',
    ],
    [
      'an unknown category_id in the results',
      (_g, p) => {
        p[1].category_id = 2;
      },
      "results.json: [1].category_id: 2 is not in the ground truth's categories, expected one of their ids",
    ],
    [
      'a malformed bbox in the results',
      (_g, p) => {
        p[0].bbox = [1, 2, 3];
      },
      'results.json: [0].bbox: found [1,2,3], expected [x, y, width, height]',
    ],
    [
      'a negative box width in the ground truth',
      (g) => {
        g.annotations[1].bbox = [0, 0, -5, 5];
      },
      'instances.json: annotations[1].bbox: found [0,0,-5,5], expected a non-negative width and height',
    ],
    [
      'an annotation on a missing image',
      (g) => {
        g.annotations[2].image_id = 8;
      },
      'instances.json: annotations[2].image_id: 8 is not in images, expected an image id',
    ],
    [
      'a string image id',
      (g) => {
        (g.images[0] as Record<string, unknown>).id = '7';
      },
      'instances.json: images[0].id: found "7", Invalid input: expected number, received string',
    ],
    [
      'ground truth that differs from what the dataset stores',
      (g) => {
        g.annotations[0].bbox = [10, 20, 30, 41];
      },
      'instances.json: image "7" has annotation 100 different from the one dataset "tiny" already stores; expected the same ground truth for every run of a dataset',
      true,
    ],
  ];
  for (const [what, change, message, sameDataset] of variants) {
    it(`refuses ${what} with a clear error and changes nothing`, async () => {
      const g = structuredClone(gt);
      const p = structuredClone(results);
      change(g, p);
      const gtBad = files.write(`instances.json`, JSON.stringify(g));
      const predBad = files.write(`results.json`, JSON.stringify(p));
      const before = await snapshot(db());
      const err = await ingestCoco(deps(), {
        run: 'bad',
        dataset: sameDataset ? 'tiny' : 'bad',
        gt: gtBad,
        pred: predBad,
        analyze: false,
      }).catch((e) => e);
      files.write('instances.json', JSON.stringify(gt));
      files.write('results.json', JSON.stringify(results));
      expect(err).toBeInstanceOf(IngestError);
      expect(err.message).toBe(message);
      expect(await snapshot(db())).toEqual(before);
    });
  }

  it.runIf(hasShared)(
    'imports the COCO val2014 sample as published: 100 images, 830 boxes, 734 detections, 80 classes',
    async () => {
      const dir = join(SHARED, 'coco-val2014-100');
      const r = await ingestCoco(deps(), {
        run: 'fakebbox100',
        gt: join(dir, 'instances.json'),
        pred: join(dir, 'results.json'),
        analyze: false,
      });
      expect(r).toEqual({
        run: 'fakebbox100',
        dataset: 'fakebbox100',
        rows: 100,
        annotations: 830,
        predictions: 734,
        embeddings: 0,
        unchanged: false,
      });
      const [ds] = await rawRows<{ n: number; first: unknown; ids: number[] }>(
        db(),
        sql`select jsonb_array_length(class_names) as n, class_names->0 as first, source_class_ids as ids
          from datasets where name = 'fakebbox100'`,
      );
      // The counts it answers are what the tables hold.
      const [held] = await rawRows<{ rows: number; annotations: number; predictions: number }>(
        db(),
        sql`select (select count(*)::int from data_rows r join datasets d on d.id = r.dataset_id
                      where d.name = 'fakebbox100') as rows,
                   (select count(*)::int from annotations a join data_rows r on r.id = a.row_id
                      join datasets d on d.id = r.dataset_id where d.name = 'fakebbox100') as annotations,
                   (select count(*)::int from predictions p join model_runs m on m.id = p.run_id
                      where m.name = 'fakebbox100') as predictions`,
      );
      expect(held).toEqual({ rows: 100, annotations: 830, predictions: 734 });
      expect(ds.n).toBe(80);
      expect(ds.first).toBe('person');
      expect(ds.ids[79]).toBe(90);
      // The first detection in the file: image 42, category 18 (dog → class index 16), score 0.236.
      const [p] = await rawRows(
        db(),
        sql`select p.label, p.score, p.x, p.y, p.w, p.h from predictions p join data_rows r on r.id = p.row_id
          where r.external_id = '42' and p.pred_key = 0
          and p.run_id = (select id from model_runs where name = 'fakebbox100')`,
      );
      expect(p).toEqual({ label: 16, score: 0.236, x: 258.15, y: 41.29, w: 348.26, h: 243.78 });
      const inst = JSON.parse(readFileSync(join(dir, 'instances.json'), 'utf8'));
      const [img] = await rawRows<{ image_url: string }>(
        db(),
        sql`select image_url from data_rows where external_id = ${String(inst.images[0].id)}
          and dataset_id = (select id from datasets where name = 'fakebbox100')`,
      );
      expect(img.image_url).toBe(inst.images[0].coco_url);
    },
  );
});
