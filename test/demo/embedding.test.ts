import { describe, expect, it } from 'vitest';
import { DEMO_SEED } from '../../src/demo/settings.ts';
import { buildShapesDemo } from '../../src/demo/shapes/demo.ts';
import { SHAPE_EMBEDDING_DIM, shapeEmbedding, shapesEmbeddings } from '../../src/demo/shapes/embedding.ts';
import type { Scene, SceneShape } from '../../src/demo/shapes/scene.ts';

const shape = (s: SceneShape['shape'], w: number, h = w): SceneShape => ({
  annId: 0,
  shape: s,
  bbox: [0, 0, w, h],
  fill: '#000',
  labeledAs: s,
});
const scene = (imageId: number, shapes: SceneShape[]): Scene => ({
  imageId,
  width: 256,
  height: 256,
  background: '#fff',
  shapes,
});

describe('shape embeddings', () => {
  it('are the class × size histogram of the drawn shapes within ±0.02 noise', () => {
    // circle 20×20 (small), circle 120×120 (large), square 50×50 (medium), star 31×33 (area 1023: small).
    const v = shapeEmbedding(
      scene(5, [shape('circle', 20), shape('circle', 120), shape('square', 50), shape('star', 31, 33)]),
      { seed: 1 },
    );
    const expected = new Array(16).fill(0);
    expected[0 * 3 + 0] = 0.25;
    expected[0 * 3 + 2] = 0.25;
    expected[1 * 3 + 1] = 0.25;
    expected[3 * 3 + 0] = 0.25;
    expect(v).toHaveLength(SHAPE_EMBEDDING_DIM);
    expect(SHAPE_EMBEDDING_DIM).toBe(16);
    for (let j = 0; j < 16; j++)
      expect(Math.abs(v[j] - expected[j]), `component ${j}`).toBeLessThanOrEqual(0.02);
    // The class is what is drawn, not the (possibly swapped) label.
    const swapped = shapeEmbedding(scene(5, [{ ...shape('cross', 40), labeledAs: 'circle' }]), { seed: 1 });
    expect(swapped[4 * 3 + 1]).toBeGreaterThan(0.98);
    expect(swapped[0 * 3 + 1]).toBeLessThan(0.02);
  });

  it('mark an empty image in the last component, so no vector is zero', () => {
    const v = shapeEmbedding(scene(9, []), { seed: 1 });
    expect(v[15]).toBeGreaterThanOrEqual(0.98);
    for (let j = 0; j < 15; j++) expect(Math.abs(v[j])).toBeLessThanOrEqual(0.02);
  });

  it('are seeded per (seed, image): same inputs same floats, another seed or image other noise', () => {
    const s = scene(3, [shape('triangle', 60)]);
    expect(shapeEmbedding(s, { seed: 7 })).toEqual(shapeEmbedding(s, { seed: 7 }));
    expect(shapeEmbedding(s, { seed: 8 })).not.toEqual(shapeEmbedding(s, { seed: 7 }));
    expect(shapeEmbedding({ ...s, imageId: 4 }, { seed: 7 })).not.toEqual(shapeEmbedding(s, { seed: 7 }));
  });

  it('put images of the same content nearer than images of other content', () => {
    const cos = (a: Float32Array, b: Float32Array) => {
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let j = 0; j < a.length; j++) {
        ab += a[j] * b[j];
        aa += a[j] * a[j];
        bb += b[j] * b[j];
      }
      return ab / Math.sqrt(aa * bb);
    };
    const a = shapeEmbedding(scene(1, [shape('star', 40), shape('star', 60)]), { seed: 1 });
    const b = shapeEmbedding(scene(2, [shape('star', 70)]), { seed: 1 });
    const c = shapeEmbedding(scene(3, [shape('cross', 50)]), { seed: 1 });
    expect(cos(a, b)).toBeGreaterThan(0.95);
    expect(cos(a, c)).toBeLessThan(0.1);
  });

  it('come in scene order for the whole demo', () => {
    const demo = buildShapesDemo({ seed: DEMO_SEED });
    expect(demo.embeddings).toHaveLength(120 * 16);
    expect(demo.embeddings.subarray(6 * 16, 7 * 16)).toEqual(
      shapeEmbedding(demo.scenes[6], { seed: DEMO_SEED }),
    );
    expect(shapesEmbeddings(demo.scenes, { seed: DEMO_SEED })).toEqual(demo.embeddings);
  });
});
