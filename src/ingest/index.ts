// Contract shared by the CLI, the demo loader and the tests; the implementations live next door.
import type { MediaOptions, MediaReport } from '../media/ingest.ts';

import type { Progress } from '../progress.ts';

export interface IngestResult {
  run: string;
  dataset: string;
  /** Rows in the dataset after the import (not only the new ones). */
  rows: number;
  annotations: number;
  predictions: number;
  embeddings: number;
  /** The run existed and this import added nothing to it (the same files again). */
  unchanged: boolean;
  /** Present when the import was given media (`--images`, `--texts`, an image or text column). */
  media?: MediaReport;
  /** Input the import accepted but the user should know about (printed by the CLI). */
  warnings?: string[];
}

export interface ClassificationIngestOptions extends MediaOptions {
  run: string;
  /** Default: the run name. */
  dataset?: string;
  /** `.npy` labels (integers; -1 = unlabeled) and `.npy` probabilities N×K. */
  labels?: string;
  probs?: string;
  /** Or one table: CSV `id,label,p_0..p_k[,image,text,image_url,width,height]` or JSONL `{id,label,probs,image?,text?,image_url?,metadata?}`. */
  table?: string;
  embeddings?: string;
  ids?: string;
  classNames?: string;
  /** Queue the analysis (index, metrics and findings, projection) with the import (default true). */
  analyze?: boolean;
  /** Run the queued analysis here before returning (default true); false leaves it to the workers. */
  wait?: boolean;
  /** Told of each pass over the rows (the CLI draws it). */
  progress?: Progress;
}

export interface CocoIngestOptions extends Omit<MediaOptions, 'texts'> {
  run: string;
  dataset?: string;
  /** COCO ground-truth instances JSON. */
  gt: string;
  /** COCO results list JSON. */
  pred: string;
  embeddings?: string;
  /** Queue the analysis (index, metrics and findings, projection) with the import (default true). */
  analyze?: boolean;
  /** Run the queued analysis here before returning (default true); false leaves it to the workers. */
  wait?: boolean;
  /** Told of the analysis steps when it runs here (the CLI draws them). */
  progress?: Progress;
}

export { ingestClassification } from './classification.ts';
export { ingestCoco } from './coco.ts';
export { ingestEmbeddings } from './embeddings.ts';
export { IngestError } from './errors.ts';
