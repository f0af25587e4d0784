import { type Random, createRandom, deriveSeed } from '../../random.ts';
import { type Box, SCENE_SIZE, SHAPE_CLASSES, type Scene, type ShapeClass } from './scene.ts';

/** How often the simulated detector fails, per drawn shape (miss, mislocate, confuse) or per image (spurious). */
export interface DetectorProfile {
  seed: number;
  missRate: number;
  mislocateRate: number;
  confuseRate: number;
  spuriousRate: number;
}

/**
 * v2 keeps v1's seed so each shape draws the same numbers; only the failure bands shrink, so v2
 * is better mostly on the same shapes — like a retrained model, not an unrelated one.
 */
export const DETECTOR_V1: DetectorProfile = {
  seed: 101,
  missRate: 0.08,
  mislocateRate: 0.07,
  confuseRate: 0.06,
  spuriousRate: 0.25,
};
export const DETECTOR_V2: DetectorProfile = {
  seed: 101,
  missRate: 0.05,
  mislocateRate: 0.05,
  confuseRate: 0.04,
  spuriousRate: 0.15,
};

/** The shapes a detector tends to mix up: square↔star most, so the per-class view has a story. */
export const CONFUSED_WITH: Record<ShapeClass, ShapeClass> = {
  circle: 'square',
  square: 'star',
  star: 'square',
  triangle: 'star',
  cross: 'star',
};

/**
 * Why a detection exists: `correct`, `mislocated` (IoU 0.1–0.5 with its shape), `confused` (wrong
 * class), `spurious` (nothing there), and two correct, confident detections the ground truth
 * disagrees with: `overlooked` (the shape is missing from it) and `swap` (it has another class).
 */
export type DetectionKind = 'correct' | 'mislocated' | 'confused' | 'spurious' | 'overlooked' | 'swap';

export interface SimulatedDetection {
  imageId: number;
  label: ShapeClass;
  bbox: Box;
  score: number;
  kind: DetectionKind;
  /** The drawn shape it came from (null for spurious), and the IoU with that shape's box. */
  annId: number | null;
  iou: number;
}

export interface SimulatedImage {
  detections: SimulatedDetection[];
  /** Drawn shapes with no detection. */
  missed: number[];
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const r4 = (v: number) => Math.round(v * 10000) / 10000;

export function boxIou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** Round to 0.01 px and keep inside the image. */
function clip([x, y, w, h]: Box): Box {
  const x0 = Math.max(0, Math.min(SCENE_SIZE, x));
  const y0 = Math.max(0, Math.min(SCENE_SIZE, y));
  const x1 = Math.max(x0, Math.min(SCENE_SIZE, x + w));
  const y1 = Math.max(y0, Math.min(SCENE_SIZE, y + h));
  return [r2(x0), r2(y0), r2(x1 - x0), r2(y1 - y0)];
}

/** Each edge moved by up to `amount` of the box's size. */
function jitter(random: Random, [x, y, w, h]: Box, amount: number): Box {
  const dx0 = random.between(-amount, amount) * w;
  const dy0 = random.between(-amount, amount) * h;
  const dx1 = random.between(-amount, amount) * w;
  const dy1 = random.between(-amount, amount) * h;
  return clip([x + dx0, y + dy0, w - dx0 + dx1, h - dy0 + dy1]);
}

/**
 * A box with IoU in [0.15, 0.45] against `box`: slid along one axis when there is room (two equal
 * boxes offset by d along a side s have IoU (s−d)/(s+d)), otherwise shrunk about its centre
 * (IoU = f²).
 */
function mislocate(random: Random, box: Box): Box {
  const target = random.between(0.15, 0.45);
  const axis = random.int(2);
  const sign = random() < 0.5 ? -1 : 1;
  const [x, y, w, h] = box;
  for (const a of [axis, 1 - axis]) {
    for (const s of [sign, -sign]) {
      const side = a === 0 ? w : h;
      const d = (side * (1 - target)) / (1 + target);
      const moved: Box = a === 0 ? [x + s * d, y, w, h] : [x, y + s * d, w, h];
      const start = a === 0 ? moved[0] : moved[1];
      if (start >= 0 && start + side <= SCENE_SIZE) return clip(moved);
    }
  }
  const f = Math.sqrt(target);
  return clip([x + (w * (1 - f)) / 2, y + (h * (1 - f)) / 2, w * f, h * f]);
}

/**
 * What a simulated detector reports on one scene. Each shape has its own random stream keyed by
 * (profile seed, image, annotation), so the outcome of one shape never depends on the others.
 *
 * @example
 * const { detections, missed } = simulateDetector(generateScene(5, { seed: DEMO_SEED }), DETECTOR_V1);
 */
export function simulateDetector(scene: Scene, profile: DetectorProfile): SimulatedImage {
  const detections: SimulatedDetection[] = [];
  const missed: number[] = [];
  const { imageId } = scene;
  for (const s of scene.shapes) {
    const random = createRandom(deriveSeed(profile.seed, imageId, s.annId));
    const u = random();
    const add = (kind: DetectionKind, label: ShapeClass, bbox: Box, score: number) =>
      detections.push({
        imageId,
        label,
        bbox,
        score: r4(score),
        kind,
        annId: s.annId,
        iou: boxIou(bbox, s.bbox),
      });
    // Mistakes in the ground truth are where a good model is confidently right, so they are always found.
    if (s.labeledAs === null)
      add('overlooked', s.shape, jitter(random, s.bbox, 0.03), random.between(0.88, 0.99));
    else if (s.labeledAs !== s.shape)
      add('swap', s.shape, jitter(random, s.bbox, 0.03), random.between(0.88, 0.99));
    else if (u < profile.missRate) missed.push(s.annId);
    else if (u < profile.missRate + profile.mislocateRate)
      add('mislocated', s.shape, mislocate(random, s.bbox), random.between(0.3, 0.7));
    else if (u < profile.missRate + profile.mislocateRate + profile.confuseRate)
      add('confused', CONFUSED_WITH[s.shape], jitter(random, s.bbox, 0.04), random.between(0.4, 0.8));
    else add('correct', s.shape, jitter(random, s.bbox, 0.04), random.between(0.6, 0.99));
  }
  const random = createRandom(deriveSeed(profile.seed, imageId, 0x5b));
  if (random() < profile.spuriousRate) {
    const w = 20 + random.int(41);
    const h = 20 + random.int(41);
    const bbox: Box = [random.int(SCENE_SIZE - w + 1), random.int(SCENE_SIZE - h + 1), w, h];
    const label = random.pick(SHAPE_CLASSES);
    const score = random.between(0.05, 0.5);
    // On empty background only, so a spurious box is never a lucky true positive.
    if (scene.shapes.every((s) => boxIou(s.bbox, bbox) === 0))
      detections.push({ imageId, label, bbox, score: r4(score), kind: 'spurious', annId: null, iou: 0 });
  }
  return { detections, missed };
}
