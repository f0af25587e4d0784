import type { BatchExport } from '../export/batch-format.ts';
import type { CocoAnalysis } from '../analyze/detection-compute.ts';
import type { DetectionColumns } from '../analyze/detection-columns.ts';
import type { ClassificationInput, neighbourCandidates } from '../findings/classification.ts';
import type { CocoInput } from '../metrics/coco-eval.ts';
import type { ObjectFilter } from '../store/object-filter.ts';
import type { ObjectSort } from '../store/list-choices.ts';
import type { ApCheckInput, F1CheckInput } from '../regression/compute.ts';

/**
 * The CPU-heavy steps a request may need, as plain functions of structured-cloneable inputs, so
 * the same code runs in a pool thread (serve) or inline (CLI, unit tests). Each takes ≥ 50 ms at
 * the sizes users ask for; cheap steps stay where they are. Each loads its code on first use: every
 * command that opens the database loads this table, and most run one task or none (the export
 * formats alone brought an XML library into every CLI start).
 */
export const computeTasks = {
  /** Greedy k-center picks (positions) over flat vectors sorted most uncertain first. */
  diverse: async (p: { data: Float32Array; dim: number; n: number }): Promise<Int32Array> =>
    (await import('../findings/diverse.ts')).diverseOrder({ data: p.data, dim: p.dim }, p.n),
  /** The rows a kNN pass searches (positions): confident learning over every labeled row. */
  neighbourCandidates: async (p: Parameters<typeof neighbourCandidates>[0]) =>
    (await import('../findings/classification.ts')).neighbourCandidates(p),
  /** A classification run's findings: confident learning fused with the neighbours (1M rows: ~0.6 s). */
  classifyFindings: async (p: ClassificationInput) =>
    (await import('../findings/classification.ts')).classifyFindings(p),
  /** A Vega-Lite spec as PNG bytes (vega's SVG renderer, then resvg). */
  chartPng: async (p: { spec: Record<string, unknown> }): Promise<Uint8Array> => {
    // Loaded on first use: vega and resvg are large, and most pool threads never draw.
    const { renderVegaLitePng } = await import('../digest/chart.ts');
    const png = await renderVegaLitePng(p.spec);
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  },
  /** The paired bootstrap of per-class F1 change over cell counts (regression check). */
  regressionF1: async (p: F1CheckInput) => (await import('../regression/compute.ts')).f1Check(p),
  /** COCOeval of two runs and the paired image bootstrap of per-class AP change. */
  regressionAp: async (p: ApCheckInput) => (await import('../regression/compute.ts')).apCheck(p),
  /** COCOeval AP and AP50 of two runs on the same images (the retrain effect on relabeled rows). */
  cocoHeadlines: async (p: { before: CocoInput; after: CocoInput }) => {
    const { cocoHeadline } = await import('../metrics/coco-headline.ts');
    return { before: cocoHeadline(p.before), after: cocoHeadline(p.after) };
  },
  /** A detection run's COCO evaluation and its packed per-object outcomes, from moved columns. */
  cocoAnalysis: async (p: { columns: DetectionColumns; classNames: string[] }): Promise<CocoAnalysis> => {
    const [{ cocoAnalysis }, { detectionInputsOf }] = await Promise.all([
      import('../analyze/detection-compute.ts'),
      import('../analyze/detection-columns.ts'),
    ]);
    return cocoAnalysis(detectionInputsOf(p.columns), p.classNames);
  },
  /** A batch as the text a labeling tool takes (CSV, JSON, Label Studio, CVAT, COCO). */
  batchExport: async (p: BatchExport): Promise<string> =>
    (await import('../export/batch-format.ts')).formatBatch(p),
  /**
   * A run's stored object chunks (base64, as read) decoded into one SharedArrayBuffer: the caller
   * views it in place (viewDecoded), nothing is copied back. `live`: the rows still stored, when
   * some were deleted since the write.
   */
  decodeObjects: async (p: { base64: string[]; live: Float64Array | null }): Promise<SharedArrayBuffer> =>
    (await import('../store/object-pack.ts')).decodeRunBuffer(
      p.base64.map((c) => Buffer.from(c, 'base64')),
      p.live ? new Set(p.live) : undefined,
    ),
  /** The decoded run's (shared buffer's) objects passing a page's filters, in the sort's order. */
  objectsPassing: async (p: {
    buffer: SharedArrayBuffer;
    filter: ObjectFilter;
    sort: ObjectSort;
  }): Promise<Uint32Array> => {
    const [{ passingObjects }, { viewDecoded }] = await Promise.all([
      import('../store/object-filter.ts'),
      import('../store/object-pack.ts'),
    ]);
    return passingObjects(viewDecoded(p.buffer), p.filter, p.sort);
  },
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
