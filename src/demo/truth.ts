import { buildDigitsDemo } from './digits-demo.ts';
import { DEMO_SEED, DIGITS_DEMO, SHAPES_DEMO } from './settings.ts';
import { shapeCategoryId } from './shapes/coco.ts';
import { type Box, SHAPE_CLASSES, type ShapeClass, generateScene } from './shapes/scene.ts';

export interface DemoTruth {
  digits: {
    dataset: string;
    run: string;
    /** Rows whose label was flipped; externalId is the row index as a string (the JSONL id). */
    flipped: { rowIndex: number; externalId: string; given: number; trueLabel: number }[];
    /** Rows held out as the unlabeled pool, with the label they really have. */
    heldOut: { rowIndex: number; externalId: string; trueLabel: number }[];
  };
  shapes: {
    dataset: string;
    runs: string[];
    classNames: string[];
    /** Ground-truth boxes whose class was swapped: annId is the COCO annotation id in instances.json. */
    swapped: {
      imageId: number;
      annId: number;
      bbox: Box;
      given: ShapeClass;
      givenCategoryId: number;
      trueClass: ShapeClass;
      trueCategoryId: number;
    }[];
    /** Shapes drawn but left out of the ground truth (every detector run finds them confidently). */
    overlooked: { imageId: number; bbox: Box; trueClass: ShapeClass; trueCategoryId: number }[];
  };
}

/**
 * What the demo injected, for measuring how many of the planted label errors the findings
 * recover (precision/recall of flips, swaps and overlooked shapes).
 *
 * @example
 * const truth = demoTruth();
 * const planted = new Set(truth.digits.flipped.map((f) => f.externalId));
 */
export function demoTruth({
  seed = DEMO_SEED,
  images = SHAPES_DEMO.images,
}: {
  seed?: number;
  images?: number;
} = {}): DemoTruth {
  const { data, plan } = buildDigitsDemo({ seed });
  const swapped: DemoTruth['shapes']['swapped'] = [];
  const overlooked: DemoTruth['shapes']['overlooked'] = [];
  for (let imageId = 1; imageId <= images; imageId++) {
    for (const s of generateScene(imageId, { seed }).shapes) {
      const truth = { imageId, bbox: s.bbox, trueClass: s.shape, trueCategoryId: shapeCategoryId(s.shape) };
      if (s.labeledAs === null) overlooked.push(truth);
      else if (s.labeledAs !== s.shape)
        swapped.push({
          ...truth,
          annId: s.annId,
          given: s.labeledAs,
          givenCategoryId: shapeCategoryId(s.labeledAs),
        });
    }
  }
  return {
    digits: {
      dataset: DIGITS_DEMO.dataset,
      run: DIGITS_DEMO.run,
      flipped: plan.flipped.map((i) => ({
        rowIndex: i,
        externalId: String(i),
        given: plan.given[i] as number,
        trueLabel: data.labels[i],
      })),
      heldOut: plan.heldOut.map((i) => ({ rowIndex: i, externalId: String(i), trueLabel: data.labels[i] })),
    },
    shapes: {
      dataset: SHAPES_DEMO.dataset,
      runs: [SHAPES_DEMO.runs.v1, SHAPES_DEMO.runs.v2],
      classNames: [...SHAPE_CLASSES],
      swapped,
      overlooked,
    },
  };
}
