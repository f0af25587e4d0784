import { type BatchExport, formatBatch } from '../export/batch-format.ts';
import { type CocoAnalysis, cocoAnalysis } from '../analyze/detection-compute.ts';
import { type DetectionColumns, detectionInputsOf } from '../analyze/detection-columns.ts';
import { neighbourCandidates } from '../findings/classification.ts';
import { diverseOrder } from '../findings/diverse.ts';
import type { CocoInput } from '../metrics/coco-eval.ts';
import { cocoHeadline } from '../metrics/coco-headline.ts';
import { type ObjectFilter, passingObjects } from '../store/object-filter.ts';
import { decodeRunBuffer, viewDecoded } from '../store/object-pack.ts';
import type { ObjectSort } from '../store/list-choices.ts';
import { type ApCheckInput, type F1CheckInput, apCheck, f1Check } from '../regression/compute.ts';

/**
 * The CPU-heavy steps a request may need, as plain functions of structured-cloneable inputs, so
 * the same code runs in a pool thread (serve) or inline (CLI, unit tests). Each takes ≥ 50 ms at
 * the sizes users ask for; cheap steps stay where they are.
 */
export const computeTasks = {
  /** Greedy k-center picks (positions) over flat vectors sorted most uncertain first. */
  diverse: (p: { data: Float32Array; dim: number; n: number }): Int32Array =>
    diverseOrder({ data: p.data, dim: p.dim }, p.n),
  /** The rows a kNN pass searches (positions): confident learning over every labeled row. */
  neighbourCandidates,
  /** A Vega-Lite spec as PNG bytes (vega's SVG renderer, then resvg). */
  chartPng: async (p: { spec: Record<string, unknown> }): Promise<Uint8Array> => {
    // Loaded on first use: vega and resvg are large, and most pool threads never draw.
    const { renderVegaLitePng } = await import('../digest/chart.ts');
    const png = await renderVegaLitePng(p.spec);
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  },
  /** The paired bootstrap of per-class F1 change over cell counts (regression check). */
  regressionF1: (p: F1CheckInput) => f1Check(p),
  /** COCOeval of two runs and the paired image bootstrap of per-class AP change. */
  regressionAp: (p: ApCheckInput) => apCheck(p),
  /** COCOeval AP and AP50 of two runs on the same images (the retrain effect on relabeled rows). */
  cocoHeadlines: (p: { before: CocoInput; after: CocoInput }) => ({
    before: cocoHeadline(p.before),
    after: cocoHeadline(p.after),
  }),
  /** A detection run's COCO evaluation and its packed per-object outcomes, from moved columns. */
  cocoAnalysis: (p: { columns: DetectionColumns; classNames: string[] }): CocoAnalysis =>
    cocoAnalysis(detectionInputsOf(p.columns), p.classNames),
  /** A batch as the text a labeling tool takes (CSV, JSON, Label Studio, CVAT, COCO). */
  batchExport: (p: BatchExport): string => formatBatch(p),
  /**
   * A run's stored object chunks (base64, as read) decoded into one SharedArrayBuffer: the caller
   * views it in place (viewDecoded), nothing is copied back. `live`: the rows still stored, when
   * some were deleted since the write.
   */
  decodeObjects: (p: { base64: string[]; live: Float64Array | null }): SharedArrayBuffer =>
    decodeRunBuffer(
      p.base64.map((c) => Buffer.from(c, 'base64')),
      p.live ? new Set(p.live) : undefined,
    ),
  /** The decoded run's (shared buffer's) objects passing a page's filters, in the sort's order. */
  objectsPassing: (p: { buffer: SharedArrayBuffer; filter: ObjectFilter; sort: ObjectSort }): Uint32Array =>
    passingObjects(viewDecoded(p.buffer), p.filter, p.sort),
};

export type ComputeTasks = typeof computeTasks;
export type TaskName = keyof ComputeTasks;
export type TaskInput<K extends TaskName> = Parameters<ComputeTasks[K]>[0];
export type TaskOutput<K extends TaskName> = Awaited<ReturnType<ComputeTasks[K]>>;

/** One message to a pool thread. */
export interface TaskMessage<K extends TaskName = TaskName> {
  name: K;
  input: TaskInput<K>;
}
