import type { SimulatedImage } from './detector.ts';
import { type Box, SHAPE_CLASSES, type Scene, type ShapeClass } from './scene.ts';

export interface CocoInstances {
  info: { description: string; version: string };
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: {
    id: number;
    image_id: number;
    category_id: number;
    bbox: Box;
    area: number;
    iscrowd: 0;
  }[];
  categories: { id: number; name: string; supercategory: string }[];
}

export interface CocoResult {
  image_id: number;
  category_id: number;
  bbox: Box;
  score: number;
}

/** COCO category id of a shape class: its position in SHAPE_CLASSES, from 1. */
export const shapeCategoryId = (shape: ShapeClass) => SHAPE_CLASSES.indexOf(shape) + 1;

/**
 * The ground truth users would hold: every labeled shape with the class it was labeled as;
 * overlooked shapes are left out.
 *
 * @example
 * writeFileSync('instances.json', JSON.stringify(shapesGroundTruth(scenes)));
 */
export function shapesGroundTruth(scenes: Scene[]): CocoInstances {
  return {
    info: { description: 'Loupe demo: procedurally drawn shapes', version: '1' },
    images: scenes.map((s) => ({
      id: s.imageId,
      file_name: `${s.imageId}.png`,
      width: s.width,
      height: s.height,
    })),
    annotations: scenes.flatMap((scene) =>
      scene.shapes.flatMap((s) =>
        s.labeledAs === null
          ? []
          : [
              {
                id: s.annId,
                image_id: scene.imageId,
                category_id: shapeCategoryId(s.labeledAs),
                bbox: s.bbox,
                area: s.bbox[2] * s.bbox[3],
                iscrowd: 0 as const,
              },
            ],
      ),
    ),
    categories: SHAPE_CLASSES.map((name) => ({ id: shapeCategoryId(name), name, supercategory: 'shape' })),
  };
}

/** A COCO results list, in image order then detection order. */
export function shapesResults(images: SimulatedImage[]): CocoResult[] {
  return images.flatMap((img) =>
    img.detections.map((d) => ({
      image_id: d.imageId,
      category_id: shapeCategoryId(d.label),
      bbox: d.bbox,
      score: d.score,
    })),
  );
}
