import { SHAPES_DEMO } from '../settings.ts';
import { type CocoInstances, type CocoResult, shapesGroundTruth, shapesResults } from './coco.ts';
import { DETECTOR_V1, DETECTOR_V2, type SimulatedImage, simulateDetector } from './detector.ts';
import { shapesEmbeddings } from './embedding.ts';
import { type Scene, generateScene } from './scene.ts';

export interface ShapesDemo {
  scenes: Scene[];
  gt: CocoInstances;
  /** scenes.length × SHAPE_EMBEDDING_DIM float32, in scene order (see shapeEmbedding). */
  embeddings: Float32Array;
  runs: {
    v1: { images: SimulatedImage[]; results: CocoResult[] };
    v2: { images: SimulatedImage[]; results: CocoResult[] };
  };
}

/**
 * The detection demo: scenes 1..images, their COCO ground truth, per-image embeddings, and two
 * simulated detectors.
 *
 * @example
 * const { gt, runs } = buildShapesDemo({ seed: DEMO_SEED });
 */
export function buildShapesDemo({
  seed,
  images = SHAPES_DEMO.images,
}: {
  seed: number;
  images?: number;
}): ShapesDemo {
  const scenes = Array.from({ length: images }, (_, i) => generateScene(i + 1, { seed }));
  const run = (profile: typeof DETECTOR_V1) => {
    const simulated = scenes.map((s) => simulateDetector(s, profile));
    return { images: simulated, results: shapesResults(simulated) };
  };
  return {
    scenes,
    gt: shapesGroundTruth(scenes),
    embeddings: shapesEmbeddings(scenes, { seed }),
    runs: { v1: run(DETECTOR_V1), v2: run(DETECTOR_V2) },
  };
}
