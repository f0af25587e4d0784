import { createRandom, deriveSeed } from '../../random.ts';
import { SHAPE_CLASSES, type Scene } from './scene.ts';

/** 5 classes × 3 COCO size buckets, plus one "empty image" component. */
export const SHAPE_EMBEDDING_DIM = SHAPE_CLASSES.length * 3 + 1;
/** Half-width of the uniform noise: small beside a histogram bin of one shape among six (≈ 0.17). */
const NOISE = 0.02;
/** Key of the noise stream, apart from the scene's own stream (deriveSeed(seed, imageId)). */
const NOISE_KEY = 0x454d42;

/** COCO size bucket of a box by area: small < 32², medium < 96², large above. */
const sizeBucket = (w: number, h: number) => (w * h < 32 * 32 ? 0 : w * h < 96 * 96 ? 1 : 2);

/**
 * Rule: component class·3 + size bucket is the share of the image's drawn shapes (true class, not
 * the possibly wrong label) of that class and COCO size, the last is 1 for an image with no shapes
 * (so no vector is zero under the cosine metric), and every component gets uniform noise in
 * ±0.02 seeded by (seed, imageId) — images with similar content sit together on the map.
 *
 * @example
 * const v = shapeEmbedding(generateScene(3, { seed: DEMO_SEED }), { seed: DEMO_SEED }); // 16 floats
 */
export function shapeEmbedding(scene: Scene, { seed }: { seed: number }): Float32Array {
  const v = new Float32Array(SHAPE_EMBEDDING_DIM);
  const n = scene.shapes.length;
  if (n === 0) v[SHAPE_EMBEDDING_DIM - 1] = 1;
  for (const s of scene.shapes)
    v[SHAPE_CLASSES.indexOf(s.shape) * 3 + sizeBucket(s.bbox[2], s.bbox[3])] += 1 / n;
  const random = createRandom(deriveSeed(seed, scene.imageId, NOISE_KEY));
  for (let j = 0; j < v.length; j++) v[j] += random.between(-NOISE, NOISE);
  return v;
}

/**
 * The embeddings of `scenes` as one n × SHAPE_EMBEDDING_DIM float32 block, in scene order (the
 * order of the COCO `images` array, which is how `ingestCoco` reads `.npy` rows).
 *
 * @example
 * writeFileSync('embeddings.npy', encodeNpy(shapesEmbeddings(scenes, { seed }), [scenes.length, SHAPE_EMBEDDING_DIM]));
 */
export function shapesEmbeddings(scenes: Scene[], { seed }: { seed: number }): Float32Array {
  const out = new Float32Array(scenes.length * SHAPE_EMBEDDING_DIM);
  scenes.forEach((s, i) => {
    out.set(shapeEmbedding(s, { seed }), i * SHAPE_EMBEDDING_DIM);
  });
  return out;
}
