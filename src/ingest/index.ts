// Contract shared by the CLI, the demo loader and the tests; the implementations live next door.

import type { Progress } from '../progress.ts';

export interface IngestResult {
  run: string;
  dataset: string;
  /** Rows in the dataset after the import (not only the new ones). */
  rows: number;
  annotations: number;
  predictions: number;
  embeddings: number;
}

export interface ClassificationIngestOptions {
  run: string;
  /** Default: the run name. */
  dataset?: string;
  /** `.npy` labels (integers; -1 = unlabeled) and `.npy` probabilities N×K. */
  labels?: string;
  probs?: string;
  /** Or one table: CSV `id,label,p_0..p_k[,image_url,width,height]` or JSONL `{id,label,probs,image_url?,metadata?}`. */
  table?: string;
  embeddings?: string;
  ids?: string;
  classNames?: string;
  /** Run analyzeRun after the import (default true). */
  analyze?: boolean;
  /** Told of each pass over the rows (the CLI draws it). */
  progress?: Progress;
}

export interface CocoIngestOptions {
  run: string;
  dataset?: string;
  /** COCO ground-truth instances JSON. */
  gt: string;
  /** COCO results list JSON. */
  pred: string;
  embeddings?: string;
  /** Run analyzeRun after the import (default true). */
  analyze?: boolean;
}

export { ingestClassification } from './classification.ts';
export { ingestCoco } from './coco.ts';
export { ingestEmbeddings } from './embeddings.ts';
export { IngestError } from './errors.ts';
