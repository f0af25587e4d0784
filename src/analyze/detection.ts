import type { Db } from '../store/database.ts';
import { clearObjectOutcomes, writeObjectOutcomes } from '../store/objects.ts';
import type { DetectionImage } from '../store/findings-inputs.ts';
import { type DetectionInputs, type RunForAnalysis, loadDetectionInputs } from '../store/analysis.ts';
import type { RunFindings } from '../findings/index.ts';
import { writeFindings } from '../store/findings-save.ts';
import { bulkOf } from '../store/ingest-tx.ts';
import { insertRowScores } from '../store/row-scores-write.ts';
import { openRunScores, swapRunScores } from '../store/run-scores.ts';
import type { DetectionMetricsDoc } from './detection-summary.ts';
import {
  type CocoAnalysis,
  type DetectionThresholds,
  detectionImagePart,
  withCocoPart,
} from './detection-compute.ts';

/**
 * Write a detection run's row_scores and per-object outcomes and compute its metrics document
 * (detectionAnalysis, with the COCOeval part the caller started for the same inputs), replacing
 * what an earlier analysis stored. Call inside the analysis' transaction.
 *
 * The per-image part is stored first, with the run's findings when given (they come from the
 * boxes alone), so on Postgres those writes run while the COCOeval part is still being made.
 */
export async function analyzeDetection(
  db: Db,
  run: RunForAnalysis,
  {
    inputs: given,
    coco,
    findings,
    ...thresholds
  }: Partial<DetectionThresholds> & {
    /** The inputs as loadDetectionInputs would read them, when the caller already holds them. */
    inputs?: DetectionInputs;
    /** cocoAnalysis of `inputs`, made elsewhere (a worker thread); null when that failed. */
    coco?: Promise<CocoAnalysis | null>;
    /**
     * The run's findings, computed from `inputs` first: their row values are written with the row
     * scores, their flags and options right after (writeFindings).
     */
    findings?: RunFindings;
  } = {},
): Promise<{ doc: DetectionMetricsDoc; images?: DetectionImage[] }> {
  const inputs = given ?? (await loadDetectionInputs(db, run));
  const part = detectionImagePart(inputs, run.classNames, thresholds);
  const scores = await openRunScores(db, run.id);
  await insertRowScores(db, scores, part.rowLines, { findings: findings?.rows });
  await swapRunScores(db, scores);
  if (findings) await writeFindings(bulkOf(db), run.id, findings, { rowsStaged: true });
  const analysis = await withCocoPart(part, inputs, run.classNames, given ? coco : undefined);
  await clearObjectOutcomes(db, run.id);
  await writeObjectOutcomes(db, run.id, analysis.objects);
  // The images are for the findings computed next; with `findings` given they are already stored.
  return { doc: analysis.doc, images: findings ? undefined : detectionImages(inputs) };
}

/**
 * The images the findings read (`loadDetectionImages`), from the inputs the analysis already
 * holds: every row, its non-crowd boxes and its predictions, each in id order.
 *
 * @example
 * const images = detectionImages(inputs);
 */
export function detectionImages({
  labeledRows,
  poolRows,
  gts,
  dets,
  poolDets,
}: DetectionInputs): DetectionImage[] {
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
