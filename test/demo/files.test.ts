import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIGITS_FILES } from '../../src/demo/digits.ts';
import { type DemoFiles, writeDemoFiles } from '../../src/demo/files.ts';
import { readNpy } from '../../src/ingest/npy.ts';
import { DEMO_SEED } from '../../src/demo/settings.ts';
import { buildShapesDemo } from '../../src/demo/shapes/demo.ts';
import type { CocoInstances, CocoResult } from '../../src/demo/shapes/coco.ts';
import { demoTruth } from '../../src/demo/truth.ts';

const dirs: string[] = [];
function write(seed: number): { dir: string; files: DemoFiles } {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-demo-test-'));
  dirs.push(dir);
  return { dir, files: writeDemoFiles(dir, { seed }) };
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('demo files', () => {
  const a = write(DEMO_SEED);
  const b = write(DEMO_SEED);
  const c = write(DEMO_SEED + 1);
  const truth = demoTruth();

  it('are byte-identical for the same seed and differ for another', () => {
    const names = listFiles(a.dir);
    expect(names).toEqual([
      'digits/classes.txt',
      'digits/digits.jsonl',
      'digits/embeddings.npy',
      'shapes/embeddings.npy',
      'shapes/instances.json',
      'shapes/results-v1.json',
      'shapes/results-v2.json',
    ]);
    for (const name of names)
      expect(readFileSync(join(b.dir, name)).equals(readFileSync(join(a.dir, name))), name).toBe(true);
    for (const name of [
      'digits/digits.jsonl',
      'shapes/instances.json',
      'shapes/results-v1.json',
      'shapes/embeddings.npy',
    ])
      expect(readFileSync(join(c.dir, name)).equals(readFileSync(join(a.dir, name))), name).toBe(false);
    expect(readFileSync(a.files.digits.embeddings).equals(readFileSync(DIGITS_FILES.embeddings))).toBe(true);
  });

  it('hold the digits as a JSONL table matching the truth', () => {
    const rows = readFileSync(a.files.digits.table, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1797);
    expect(Object.keys(rows[0])).toEqual(['id', 'label', 'probs', 'metadata']);
    const pool = rows.filter((r) => r.label === null);
    expect(pool.map((r) => r.id)).toEqual(truth.digits.heldOut.map((h) => h.externalId));
    const flipped = rows.filter((r) => r.metadata?.flipped === true);
    expect(flipped.map((r) => ({ id: r.id, label: r.label, trueLabel: r.metadata.trueLabel }))).toEqual(
      truth.digits.flipped.map((f) => ({ id: f.externalId, label: f.given, trueLabel: f.trueLabel })),
    );
    expect(truth.digits.flipped).toHaveLength(40);
    expect(readFileSync(a.files.digits.classNames, 'utf8')).toBe('0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
  });

  it('hold the shapes as COCO ground truth and results matching the truth', () => {
    const gt = JSON.parse(readFileSync(a.files.shapes.gt, 'utf8')) as CocoInstances;
    const v1 = JSON.parse(readFileSync(a.files.shapes.v1, 'utf8')) as CocoResult[];
    expect(gt.images).toHaveLength(120);
    expect(gt.categories.map((c) => c.name)).toEqual(['circle', 'square', 'triangle', 'star', 'cross']);
    const byId = new Map(gt.annotations.map((x) => [x.id, x]));
    for (const s of truth.shapes.swapped) {
      expect(byId.get(s.annId)?.category_id).toBe(s.givenCategoryId);
      expect(s.givenCategoryId).not.toBe(s.trueCategoryId);
      // The detector reports the true class on that box, confidently.
      const hit = v1.find(
        (r) => r.image_id === s.imageId && r.category_id === s.trueCategoryId && r.score >= 0.88,
      );
      expect(hit).toBeDefined();
    }
    for (const o of truth.shapes.overlooked) {
      const sameBox = gt.annotations.filter(
        (x) => x.image_id === o.imageId && x.bbox.join() === o.bbox.join(),
      );
      expect(sameBox).toEqual([]);
    }
    expect(truth.shapes.swapped.length).toBeGreaterThanOrEqual(3);
    expect(truth.shapes.overlooked.length).toBeGreaterThanOrEqual(3);
    for (const r of v1) expect(Object.keys(r)).toEqual(['image_id', 'category_id', 'bbox', 'score']);
  });

  it('hold the shapes embeddings as float32 .npy rows in the order of the COCO images', () => {
    const { header, data } = readNpy(a.files.shapes.embeddings, { ndim: 2 });
    expect(header.shape).toEqual([120, 16]);
    expect(data).toBeInstanceOf(Float32Array);
    expect(data).toEqual(buildShapesDemo({ seed: DEMO_SEED }).embeddings);
  });
});
