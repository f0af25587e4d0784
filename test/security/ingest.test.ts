import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IngestError, ingestClassification, ingestCoco } from '../../src/ingest/index.ts';
import { encodeNpy } from '../../src/ingest/npy.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { scratch, snapshot } from '../ingest/fixtures.ts';

// Cases from a hostile probe of the CLI's imports (RELIABILITY.md 38 and "bad input gets a clear
// error naming the file"), on both databases.

const files = scratch();
afterAll(files.cleanup);

const probs = files.write(
  'pred_probs.npy',
  encodeNpy(new Float32Array([0.9, 0.1, 0.2, 0.8, 0.6, 0.4]), [3, 2]),
);
const labels = files.write('labels.npy', encodeNpy(new BigInt64Array([0n, 1n, 1n]), [3]));
const gt = {
  images: [
    { id: 1, width: 10, height: 10 },
    { id: 2, width: 10, height: 10 },
  ],
  annotations: [
    { id: 10, image_id: 1, category_id: 1, bbox: [0, 0, 5, 5], area: 25, iscrowd: 0 },
    { id: 11, image_id: 2, category_id: 2, bbox: [1, 1, 4, 4], area: 16, iscrowd: 0 },
  ],
  categories: [
    { id: 1, name: 'cat' },
    { id: 2, name: 'dog' },
  ],
};
const goodResults = [
  { image_id: 1, category_id: 1, bbox: [0, 0, 5, 5], score: 0.9 },
  { image_id: 2, category_id: 2, bbox: [1, 1, 4, 4], score: 0.7 },
];
const json = (name: string, v: unknown) => files.write(name, JSON.stringify(v));

describeEachDriver('ingest security', (ctx) => {
  const deps = () => testDeps(ctx().database);

  /** The import fails with an IngestError whose message matches, and stores nothing. */
  async function refused(work: () => Promise<unknown>, message: RegExp | string) {
    const before = await snapshot(ctx().database.db);
    const err = await work().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, String(message)).toBeInstanceOf(IngestError);
    expect((err as Error).message).toMatch(message);
    expect(await snapshot(ctx().database.db)).toEqual(before);
  }

  it('9. two imports of the same run at once: both end cleanly, one dataset and one run stored', async () => {
    const [a, b] = await Promise.allSettled([
      ingestClassification(deps(), { run: 'race', probs, labels, analyze: false }),
      ingestClassification(deps(), { run: 'race', probs, labels, analyze: false }),
    ]);
    for (const r of [a, b]) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(IngestError);
        expect(String(r.reason.message)).not.toMatch(/duplicate key|unique constraint/);
      }
    }
    expect([a, b].some((r) => r.status === 'fulfilled')).toBe(true);
    const snap = await snapshot(ctx().database.db);
    expect(snap.datasets.n).toBe(1);
    expect(snap.model_runs.n).toBe(1);
    expect(snap.data_rows.n).toBe(3);
    expect(snap.predictions.n).toBe(3);
  });

  describe('10. error messages name the file', () => {
    it('a directory given as --labels', async () => {
      const dir = join(files.dir, 'labels-dir.npy');
      mkdirSync(dir, { recursive: true });
      await refused(
        () => ingestClassification(deps(), { run: 'r10a', probs, labels: dir, analyze: false }),
        /^labels-dir\.npy: is a directory or special file, expected a file/,
      );
      const txt = join(files.dir, 'labels-dir.txt');
      mkdirSync(txt, { recursive: true });
      await refused(
        () => ingestClassification(deps(), { run: 'r10a', probs, labels: txt, analyze: false }),
        /^labels-dir\.txt: is a directory/,
      );
    });

    it('a NUL in a class-names file', async () => {
      const names = files.write('classes-nul.txt', 'cat\nd\0g\n');
      await refused(
        () => ingestClassification(deps(), { run: 'r10b', probs, labels, classNames: names, analyze: false }),
        'classes-nul.txt: line 2: class name contains the control character U+0000, expected printable text',
      );
    });

    it('a complete .npy whose header is 5 MB is not called truncated', async () => {
      const dict =
        `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }`.padEnd(5_000_000, ' ') + '\n';
      const head = Buffer.alloc(12);
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]).copy(head);
      head.writeUInt32LE(dict.length, 8);
      const big = files.write(
        'big-header.npy',
        Buffer.concat([head, Buffer.from(dict, 'latin1'), Buffer.from(new Float32Array(6).buffer)]),
      );
      await refused(
        () => ingestClassification(deps(), { run: 'r10c', probs: big, analyze: false }),
        /^big-header\.npy: \.npy header is 5000001 bytes long, expected at most \d+/,
      );
    });
  });

  describe('11. questionable input: refused, or accepted with a warning', () => {
    it('|b1 labels are refused (booleans are not class indices)', async () => {
      const b1 = files.write('labels-b1.npy', encodeNpy(new Uint8Array([0, 1, 1]), [3], { descr: '|b1' }));
      await refused(
        () => ingestClassification(deps(), { run: 'r11a', probs, labels: b1, analyze: false }),
        "labels-b1.npy: dtype |b1 holds booleans, expected integer class indices such as <i8 (save with labels.astype('int64'))",
      );
    });

    it('inputs without rows are refused: a 0-row .npy, a header-only CSV, COCO without images', async () => {
      const empty = files.write('empty.npy', encodeNpy(new Float32Array(0), [0, 2]));
      await refused(
        () => ingestClassification(deps(), { run: 'r11b', probs: empty, analyze: false }),
        'empty.npy: shape (0, 2) has no rows, expected at least one',
      );
      const csv = files.write('header-only.csv', 'id,label,p_0,p_1\n');
      await refused(
        () => ingestClassification(deps(), { run: 'r11b', table: csv, analyze: false }),
        'header-only.csv: no rows, expected at least one',
      );
      const noImages = json('no-images.json', { images: [], annotations: [], categories: gt.categories });
      await refused(
        () => ingestCoco(deps(), { run: 'r11b', gt: noImages, pred: json('none.json', []), analyze: false }),
        'no-images.json: images: found [], expected at least one image',
      );
    });

    it('class names: an empty line, a 200,000-character name and COCO duplicates are refused', async () => {
      const blank = files.write('classes-blank.txt', 'cat\n\ndog\n');
      const three = files.write('p3.npy', encodeNpy(new Float32Array([0.2, 0.3, 0.5]), [1, 3]));
      await refused(
        () => ingestClassification(deps(), { run: 'r11c', probs: three, classNames: blank, analyze: false }),
        'classes-blank.txt: line 2: class name is empty, expected a name',
      );
      const long = files.write('classes-long.txt', `cat\n${'x'.repeat(200_000)}\n`);
      await refused(
        () => ingestClassification(deps(), { run: 'r11c', probs, classNames: long, analyze: false }),
        'classes-long.txt: line 2: class name is 200000 characters long, expected at most 200',
      );
      const dup = json('dup-cats.json', {
        ...gt,
        categories: [
          { id: 1, name: 'cat' },
          { id: 2, name: 'cat' },
        ],
      });
      await refused(
        () => ingestCoco(deps(), { run: 'r11c', gt: dup, pred: json('r.json', goodResults), analyze: false }),
        'dup-cats.json: categories[1].name: class name "cat" repeats dup-cats.json: categories[0].name',
      );
    });

    it('COCO scores outside [0, 1] are refused', async () => {
      const g = json('gt-ok.json', gt);
      for (const score of [1.7, -0.5])
        await refused(
          () =>
            ingestCoco(deps(), {
              run: 'r11d',
              gt: g,
              pred: json('bad-score.json', [{ ...goodResults[0], score }]),
              analyze: false,
            }),
          `bad-score.json: [0].score: found ${score}, expected a confidence in [0, 1]`,
        );
    });

    it('zero-area boxes are kept with a warning: they are valid COCO, they just never match', async () => {
      const g = json('gt-zero.json', {
        ...gt,
        annotations: [gt.annotations[0], { ...gt.annotations[1], bbox: [1, 1, 0, 4], area: 0 }],
      });
      const p = json('pred-zero.json', [goodResults[0], { ...goodResults[1], bbox: [1, 1, 4, 0] }]);
      const r = await ingestCoco(deps(), { run: 'r11e', gt: g, pred: p, analyze: false });
      expect(r.rows).toBe(2);
      expect(r.warnings).toEqual([
        'gt-zero.json: 1 annotation has a zero-area box (first: annotations[1].bbox); kept, but no detection can match it (IoU 0)',
        'pred-zero.json: 1 detection has a zero-area box (first: [1].bbox); kept, but it can never match a ground-truth box (IoU 0)',
      ]);
    });
  });
});
