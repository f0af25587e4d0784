import type { Deps } from '../deps.ts';

// Contract shared by the CLI, the demo loader and the tests; the ingest module fills it in.

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
}

export interface CocoIngestOptions {
  run: string;
  dataset?: string;
  /** COCO ground-truth instances JSON. */
  gt: string;
  /** COCO results list JSON. */
  pred: string;
  embeddings?: string;
}

export async function ingestClassification(_deps: Deps, _opts: ClassificationIngestOptions): Promise<IngestResult> {
  throw new Error('ingestClassification: not implemented yet');
}

export async function ingestCoco(_deps: Deps, _opts: CocoIngestOptions): Promise<IngestResult> {
  throw new Error('ingestCoco: not implemented yet');
}

export async function ingestEmbeddings(
  _deps: Deps,
  _opts: { run: string; path: string; ids?: string },
): Promise<{ embeddings: number }> {
  throw new Error('ingestEmbeddings: not implemented yet');
}
