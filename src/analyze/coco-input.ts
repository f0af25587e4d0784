import type { CocoInput } from '../metrics/coco-eval.ts';
import { loadDetectionInputs, loadRunForAnalysis } from '../store/analysis.ts';
import type { Db } from '../store/database.ts';
import { cocoImageRank } from './detection-compute.ts';

/**
 * A detection run's labeled images and boxes as COCOeval takes them, images in COCO id order
 * (COCOeval breaks score ties across images by that order) and every class of the dataset, as
 * pycocotools evaluates every category of the ground-truth file. `rowIds` keeps only those images.
 *
 * @example
 * const ev = evaluateCoco(await cocoInputOf(db, runId, { rowIds: changed }));
 */
export async function cocoInputOf(
  db: Db,
  runId: number,
  opts: { rowIds?: number[] } = {},
): Promise<CocoInput> {
  const run = await loadRunForAnalysis(db, runId);
  const { labeledRows, gts, dets, externalIds } = await loadDetectionInputs(db, run, opts);
  const rank = cocoImageRank(labeledRows, externalIds);
  return {
    imageIds: labeledRows.map((r) => rank.get(r) as number),
    labels: run.classNames.map((_, i) => i),
    gts: gts.map((g) => ({ ...g, imageId: rank.get(g.imageId) as number })),
    dets: dets.map((d) => ({ ...d, imageId: rank.get(d.imageId) as number })),
  };
}
