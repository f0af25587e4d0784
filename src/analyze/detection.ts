import type { Db } from '../store/database.ts';
import { evaluateCoco } from '../metrics/coco-eval.ts';
import { detectionConfusion } from '../metrics/detection-confusion.ts';
import { clearObjectOutcomes, insertObjectOutcomes } from '../store/objects.ts';
import { detectionObjects } from './detection-objects.ts';
import { matchDetectionRows } from '../metrics/detection-rows.ts';
import type { DetectionImage } from '../store/findings-inputs.ts';
import {
  type DetectionInputs,
  type RunForAnalysis,
  insertRowScores,
  loadDetectionInputs,
  refreshDerivedStatistics,
} from '../store/analysis.ts';
import {
  type DetectionMetricsDoc,
  detectionDocument,
  emptyRowLines,
  labeledRowLines,
  unlabeledRowLines,
} from './detection-summary.ts';

/**
 * Write a detection run's row_scores and per-object outcomes and compute its metrics document: COCO
 * evaluation over the labeled images (every class of the dataset, as pycocotools evaluates every
 * category of the ground-truth file), the greedy match at `iouThreshold` per image, and the
 * class-agnostic confusion matrix of detections scoring at least `scoreThreshold` (0.25, as
 * Ultralytics' confusion matrix, so the flood of low-score detections COCO results files carry does
 * not bury the off-diagonal cells). Call inside a transaction whose derived rows were cleared.
 */
export async function analyzeDetection(
  db: Db,
  run: RunForAnalysis,
  {
    iouThreshold = 0.5,
    scoreThreshold = 0.25,
    inputs: given,
  }: {
    iouThreshold?: number;
    scoreThreshold?: number;
    /** The inputs as loadDetectionInputs would read them, when the caller already holds them. */
    inputs?: DetectionInputs;
  } = {},
): Promise<{ doc: DetectionMetricsDoc; images: DetectionImage[] }> {
  const inputs = given ?? (await loadDetectionInputs(db, run));
  const { labeledRows, poolRows, gts, dets, poolDets, externalIds } = inputs;
  const labels = run.classNames.map((_, i) => i);
  // COCOeval breaks score ties across images by image id order, so evaluate in the file's id order.
  const rank = cocoImageRank(labeledRows, externalIds);
  const ranked = {
    imageIds: labeledRows.map((r) => rank.get(r)!),
    labels,
    gts: gts.map((g) => ({ ...g, imageId: rank.get(g.imageId)! })),
    dets: dets.map((d) => ({ ...d, imageId: rank.get(d.imageId)! })),
  };
  const evaluation = evaluateCoco(ranked, {}, { keepMatches: true });
  const rowOfRank = new Map([...rank].map(([row, r]) => [r, row]));
  const objects = detectionObjects(ranked.gts, ranked.dets, evaluation, (r) => rowOfRank.get(r)!);
  const rows = matchDetectionRows(gts, dets, { iouThreshold });
  const confusion = detectionConfusion(gts, dets, labels, { iouThreshold, scoreThreshold });

  const matched = labeledRowLines(rows);
  const detected = unlabeledRowLines(poolDets);
  const lined = new Set([...matched, ...detected].map((l) => l.rowId));
  const labeledLines = [...matched, ...emptyRowLines(labeledRows, true, lined)];
  const poolLines = [...detected, ...emptyRowLines(poolRows, false, lined)];
  await insertRowScores(db, run.id, [...labeledLines, ...poolLines]);
  await clearObjectOutcomes(db, run.id);
  await insertObjectOutcomes(db, run.id, objects.lines);
  await refreshDerivedStatistics(db);
  const doc = detectionDocument({
    classNames: run.classNames,
    evaluation,
    confusion,
    iouThreshold,
    scoreThreshold,
    labeled: labeledLines.length,
    unlabeled: poolLines.length,
    objects: objects.doc,
  });
  return { doc, images: detectionImages(inputs) };
}

/**
 * The images the findings read (`loadDetectionImages`), from the inputs the analysis already
 * holds: every row, its non-crowd boxes and its predictions, each in id order.
 */
function detectionImages({ labeledRows, poolRows, gts, dets, poolDets }: DetectionInputs): DetectionImage[] {
  const labeled = new Set(labeledRows);
  const byRow = new Map<number, DetectionImage>();
  for (const rowId of [...labeledRows, ...poolRows].sort((a, b) => a - b))
    byRow.set(rowId, { rowId, labeled: labeled.has(rowId), gts: [], dets: [] });
  for (const g of gts)
    if (!g.iscrowd) byRow.get(g.imageId)?.gts.push({ id: g.id, label: g.label, box: [g.x, g.y, g.w, g.h] });
  for (const d of [...dets, ...poolDets])
    byRow.get(d.imageId)?.dets.push({ id: d.id, label: d.label, score: d.score, box: [d.x, d.y, d.w, d.h] });
  for (const img of byRow.values()) {
    img.gts.sort((a, b) => a.id - b.id);
    img.dets.sort((a, b) => a.id - b.id);
  }
  return [...byRow.values()];
}

/**
 * Each row's position among the labeled images sorted as pycocotools sorts image ids: numerically
 * when every external id is an integer (COCO), else as strings.
 *
 * @example
 * cocoImageRank([7, 8], new Map([[7, '139'], [8, '42']])); // Map { 8 => 0, 7 => 1 }
 */
export function cocoImageRank(
  rowIds: readonly number[],
  externalIds: Map<number, string>,
): Map<number, number> {
  const numeric = rowIds.every((r) => /^-?\d+$/.test(externalIds.get(r) ?? ''));
  const key = (r: number) => externalIds.get(r) ?? '';
  const sorted = [...rowIds].sort((a, b) => {
    if (numeric) return Number(key(a)) - Number(key(b)) || a - b;
    return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a - b;
  });
  return new Map(sorted.map((r, i) => [r, i]));
}
