import { type Random, createRandom, deriveSeed } from '../../random.ts';

export const SHAPE_CLASSES = ['circle', 'square', 'triangle', 'star', 'cross'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];
/** COCO box: x, y, width, height in pixels. */
export type Box = [number, number, number, number];

export const SCENE_SIZE = 256;

/** Height over width of each shape's tight box (the star's is that of a regular pentagram). */
const ASPECT: Record<ShapeClass, number> = { circle: 1, square: 1, triangle: 0.87, star: 0.95, cross: 1 };

/**
 * Box widths per COCO size bucket (area < 32², < 96², above), chosen so that every shape's
 * w × h lands in its bucket whatever its aspect.
 */
const SIZE_BUCKETS = [
  { name: 'small', weight: 0.3, min: 14, max: 30 },
  { name: 'medium', weight: 0.45, min: 36, max: 90 },
  { name: 'large', weight: 0.25, min: 110, max: 150 },
] as const;

const FILLS = ['#e4572e', '#17a3a0', '#e0a800', '#2e282a', '#4f8a2b', '#6a4c93', '#1982c4', '#c2185b'];
const BACKGROUNDS = ['#f4f1ea', '#eef2f7', '#f7f7f2', '#e9efe6'];

export interface SceneShape {
  /** COCO annotation id, imageId·100 + ordinal: a pure function of the image, stable across runs. */
  annId: number;
  /** What is drawn. */
  shape: ShapeClass;
  bbox: Box;
  fill: string;
  /** What the ground truth says: the drawn class, another class (a swap), or null (overlooked: left out). */
  labeledAs: ShapeClass | null;
}

export interface Scene {
  imageId: number;
  width: number;
  height: number;
  background: string;
  shapes: SceneShape[];
}

export interface SceneOptions {
  seed: number;
  /** Share of images drawn with no shapes at all. */
  emptyRate?: number;
  /** Share of drawn shapes left out of the ground truth. */
  overlookRate?: number;
  /** Share of drawn shapes whose ground-truth class is another one. */
  swapRate?: number;
  maxShapes?: number;
}

function overlaps(a: Box, b: Box, margin: number): boolean {
  return (
    a[0] < b[0] + b[2] + margin &&
    b[0] < a[0] + a[2] + margin &&
    a[1] < b[1] + b[3] + margin &&
    b[1] < a[1] + a[3] + margin
  );
}

function drawSize(random: Random): number {
  let u = random();
  for (const bucket of SIZE_BUCKETS) {
    if (u < bucket.weight) return bucket.min + random.int(bucket.max - bucket.min + 1);
    u -= bucket.weight;
  }
  const last = SIZE_BUCKETS[SIZE_BUCKETS.length - 1];
  return last.min + random.int(last.max - last.min + 1);
}

/**
 * One image of non-overlapping shapes and its (partly wrong) ground truth, as a pure function of
 * (imageId, seed): the media route re-renders any image alone, and the demo files agree with it.
 *
 * @example
 * const scene = generateScene(3, { seed: DEMO_SEED });
 * scene.shapes.filter((s) => s.labeledAs === null); // shapes drawn but missing from the ground truth
 */
export function generateScene(
  imageId: number,
  { seed, emptyRate = 0.04, overlookRate = 0.03, swapRate = 0.03, maxShapes = 6 }: SceneOptions,
): Scene {
  if (!Number.isInteger(imageId) || imageId < 1)
    throw new Error(`generateScene: imageId must be a positive integer, got ${imageId}`);
  const random = createRandom(deriveSeed(seed, imageId));
  const background = random.pick(BACKGROUNDS);
  const wanted = random() < emptyRate ? 0 : 1 + random.int(maxShapes);
  const shapes: SceneShape[] = [];
  for (let ordinal = 0; ordinal < wanted; ordinal++) {
    const shape = random.pick(SHAPE_CLASSES);
    const w = drawSize(random);
    const h = Math.round(w * ASPECT[shape]);
    const fill = random.pick(FILLS);
    let bbox: Box | null = null;
    // Rejection sampling: big shapes may not fit beside earlier ones, so an image can end up with fewer.
    for (let attempt = 0; attempt < 40 && !bbox; attempt++) {
      const candidate: Box = [random.int(SCENE_SIZE - w + 1), random.int(SCENE_SIZE - h + 1), w, h];
      if (!shapes.some((s) => overlaps(s.bbox, candidate, 3))) bbox = candidate;
    }
    if (!bbox) continue;
    const u = random();
    let labeledAs: ShapeClass | null = shape;
    if (u < overlookRate) labeledAs = null;
    else if (u < overlookRate + swapRate) labeledAs = random.pick(SHAPE_CLASSES.filter((c) => c !== shape));
    shapes.push({ annId: imageId * 100 + shapes.length, shape, bbox, fill, labeledAs });
  }
  return { imageId, width: SCENE_SIZE, height: SCENE_SIZE, background, shapes };
}
