/** A box in image pixels (COCO's x, y, width, height from the top left). */
export interface PixelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A ground-truth label of a row: the class label (classification) or one box (detection). */
export interface HandoffLabel {
  /** Class name. */
  label: string;
  /** The annotation's natural key (COCO annotation id); 'label' for a classification label. */
  key: string;
  box: PixelBox | null;
}

/** One model prediction of a row, with its score. */
export interface HandoffPrediction {
  label: string;
  score: number;
  box: PixelBox | null;
}

/** One batch row as a labeling tool gets it. */
export interface HandoffItem {
  /** The id the user knows (COCO image id, CSV id, .npy index). */
  id: string;
  /** An absolute URL the tool can load (see `createMediaUrls().handoff`), or null. */
  imageUrl: string | null;
  /** The file name to show the tool (the stored image's base name, else the id). */
  fileName: string;
  width: number | null;
  height: number | null;
  labeled: boolean;
  labels: HandoffLabel[];
  predictions: HandoffPrediction[];
}

/**
 * A batch of one dataset, ready for Label Studio, CVAT or COCO: the dataset's classes, the run's
 * predictions (when the batch belongs to a run) and the rows' current labels.
 */
export interface HandoffDocument {
  batch: string;
  dataset: string;
  kind: 'classification' | 'detection';
  classNames: string[];
  /** COCO category id per class index (detection datasets from COCO), else null. */
  sourceClassIds: number[] | null;
  /** The run whose predictions are the pre-annotations, or null. */
  modelVersion: string | null;
  items: HandoffItem[];
}

/** The formats a batch goes to a labeling tool in. */
export const HANDOFF_FORMATS = ['labelstudio', 'cvat', 'coco'] as const;
export type HandoffFormat = (typeof HANDOFF_FORMATS)[number];

/** Every format `batch export` writes. */
export const BATCH_EXPORT_FORMATS = ['csv', 'json', ...HANDOFF_FORMATS] as const;
export type BatchExportFormat = (typeof BATCH_EXPORT_FORMATS)[number];

export const isHandoffFormat = (f: string): f is HandoffFormat =>
  (HANDOFF_FORMATS as readonly string[]).includes(f);

/** Round to 1e-6: percent and pixel coordinates without float noise, well under a pixel. */
export const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
