import { describe, expect, it } from 'vitest';
import { DEMO_SEED } from '../../src/demo/settings.ts';
import { shapeCategoryId } from '../../src/demo/shapes/coco.ts';
import { buildShapesDemo } from '../../src/demo/shapes/demo.ts';
import {
  CONFUSED_WITH,
  type DetectionKind,
  type SimulatedImage,
  boxIou,
} from '../../src/demo/shapes/detector.ts';
import { SCENE_SIZE, generateScene } from '../../src/demo/shapes/scene.ts';

const demo = buildShapesDemo({ seed: DEMO_SEED });
const drawn = demo.scenes.flatMap((s) => s.shapes);

function kinds(images: SimulatedImage[]) {
  const counts: Record<DetectionKind | 'missed', number> = {
    correct: 0,
    mislocated: 0,
    confused: 0,
    spurious: 0,
    overlooked: 0,
    swap: 0,
    missed: 0,
  };
  for (const img of images) {
    for (const d of img.detections) counts[d.kind]++;
    counts.missed += img.missed.length;
  }
  return counts;
}

describe('scene generator', () => {
  it('is a pure function of (image id, seed)', () => {
    expect(generateScene(7, { seed: DEMO_SEED })).toEqual(demo.scenes[6]);
    expect(generateScene(7, { seed: DEMO_SEED + 1 })).not.toEqual(demo.scenes[6]);
    expect(generateScene(8, { seed: DEMO_SEED })).not.toEqual(demo.scenes[6]);
    expect(() => generateScene(0, { seed: 1 })).toThrow(/positive integer/);
  });

  it('draws 0–6 non-overlapping shapes per image, boxes inside the image', () => {
    expect(demo.scenes).toHaveLength(120);
    for (const scene of demo.scenes) {
      expect(scene.shapes.length).toBeLessThanOrEqual(6);
      scene.shapes.forEach((s, i) => {
        const [x, y, w, h] = s.bbox;
        expect([x, y, w, h].every(Number.isInteger)).toBe(true);
        expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= SCENE_SIZE && y + h <= SCENE_SIZE).toBe(true);
        for (const other of scene.shapes.slice(i + 1)) expect(boxIou(s.bbox, other.bbox)).toBe(0);
      });
    }
    expect(demo.scenes.filter((s) => s.shapes.length === 0).length).toBeGreaterThanOrEqual(2);
    expect(new Set(drawn.map((s) => s.annId)).size).toBe(drawn.length);
  });

  it('covers the COCO small, medium and large areas', () => {
    const areas = drawn.map((s) => s.bbox[2] * s.bbox[3]);
    const small = areas.filter((a) => a < 32 ** 2).length;
    const large = areas.filter((a) => a > 96 ** 2).length;
    expect(small).toBeGreaterThan(20);
    expect(large).toBeGreaterThan(20);
    expect(areas.length - small - large).toBeGreaterThan(20);
  });

  it('leaves overlooked shapes out of the ground truth and gives swapped ones another class', () => {
    const byId = new Map(demo.gt.annotations.map((a) => [a.id, a]));
    const overlooked = drawn.filter((s) => s.labeledAs === null);
    const swapped = drawn.filter((s) => s.labeledAs !== null && s.labeledAs !== s.shape);
    expect(overlooked.length).toBeGreaterThanOrEqual(3);
    expect(swapped.length).toBeGreaterThanOrEqual(3);
    for (const s of overlooked) expect(byId.has(s.annId)).toBe(false);
    for (const s of swapped) expect(byId.get(s.annId)?.category_id).toBe(shapeCategoryId(s.labeledAs!));
    expect(demo.gt.annotations).toHaveLength(drawn.length - overlooked.length);
    const a = demo.gt.annotations[0];
    expect(a.area).toBe(a.bbox[2] * a.bbox[3]);
    expect(demo.gt.images[4]).toEqual({
      id: 5,
      file_name: '5.png',
      width: 256,
      height: 256,
    });
  });
});

describe('simulated detector', () => {
  it('boxIou by hand', () => {
    expect(boxIou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150, 12);
    expect(boxIou([0, 0, 10, 10], [2.5, 2.5, 5, 5])).toBe(0.25);
    expect(boxIou([0, 0, 10, 10], [10, 0, 10, 10])).toBe(0);
  });

  for (const version of ['v1', 'v2'] as const) {
    it(`${version}: every error kind occurs, with the geometry it claims`, () => {
      const { images, results } = demo.runs[version];
      const counts = kinds(images);
      for (const [kind, n] of Object.entries(counts)) expect(n, kind).toBeGreaterThanOrEqual(3);
      const shapes = new Map(drawn.map((s) => [s.annId, s]));
      for (const d of images.flatMap((i) => i.detections)) {
        const [x, y, w, h] = d.bbox;
        expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= SCENE_SIZE && y + h <= SCENE_SIZE).toBe(true);
        expect(d.score > 0 && d.score < 1).toBe(true);
        const shape = d.annId === null ? null : shapes.get(d.annId)!;
        if (shape) expect(d.iou).toBeCloseTo(boxIou(d.bbox, shape.bbox), 12);
        if (d.kind === 'mislocated') expect(d.iou >= 0.1 && d.iou <= 0.5).toBe(true);
        if (d.kind === 'correct' || d.kind === 'confused' || d.kind === 'overlooked' || d.kind === 'swap')
          expect(d.iou).toBeGreaterThan(0.7);
        if (d.kind === 'confused') expect(d.label).toBe(CONFUSED_WITH[shape!.shape]);
        if (d.kind === 'correct' || d.kind === 'overlooked' || d.kind === 'swap')
          expect(d.label).toBe(shape!.shape);
        if (d.kind === 'overlooked') expect(shape!.labeledAs).toBeNull();
        if (d.kind === 'swap') expect(shape!.labeledAs).not.toBe(shape!.shape);
        if (d.kind === 'overlooked' || d.kind === 'swap') expect(d.score).toBeGreaterThanOrEqual(0.88);
        if (d.kind === 'spurious')
          for (const s of drawn.filter((s) => d.imageId * 100 <= s.annId && s.annId < d.imageId * 100 + 100))
            expect(boxIou(s.bbox, d.bbox)).toBe(0);
      }
      expect(results).toHaveLength(images.reduce((n, i) => n + i.detections.length, 0));
    });
  }

  it('v2 makes fewer mistakes than v1 and finds every planted label error in both', () => {
    const v1 = kinds(demo.runs.v1.images);
    const v2 = kinds(demo.runs.v2.images);
    expect(v2.missed).toBeLessThan(v1.missed);
    expect(v2.mislocated + v2.confused + v2.spurious).toBeLessThan(v1.mislocated + v1.confused + v1.spurious);
    expect(v2.correct).toBeGreaterThan(v1.correct);
    expect(v1.overlooked).toBe(drawn.filter((s) => s.labeledAs === null).length);
    expect(v2.swap).toBe(v1.swap);
  });
});
