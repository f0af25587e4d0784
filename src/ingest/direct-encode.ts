import type { ClassBatch } from './classification-batch.ts';
import type { VectorBatch } from './embeddings-file.ts';
import { CopyWriter } from './pgcopy.ts';

// Tuples for the real tables, for imports that need no join back on the external id: a new
// dataset whose row ids are a reserved block (`base + position`), or vectors for such a dataset.
// Field order must match DIRECT_TARGET in src/store/ingest.ts.

/** `data_rows` tuples: id, dataset_id, external_id, labeled. */
export async function* encodeDataRows(
  batches: AsyncIterable<ClassBatch>,
  { datasetId, base }: { datasetId: number; base: number },
): AsyncGenerator<Buffer[]> {
  const w = new CopyWriter();
  let seq = 0;
  for await (const b of batches) {
    for (let i = 0; i < b.n; i++) {
      w.row(4);
      w.int8(base + seq++);
      w.int4(datasetId);
      w.text(b.ids ? b.ids[i] : String(b.start + i));
      w.bool(b.labels[i] >= 0);
    }
    yield w.take();
  }
}

/**
 * `annotations` tuples (id, row_id, ann_key 'label', label) for the labeled rows, ids from
 * `firstId` on; `counter.labels` ends as their number.
 */
export async function* encodeLabels(
  batches: AsyncIterable<ClassBatch>,
  { base, firstId }: { base: number; firstId: number },
  counter: { labels: number } = { labels: 0 },
): AsyncGenerator<Buffer[]> {
  const w = new CopyWriter();
  let seq = 0;
  for await (const b of batches) {
    for (let i = 0; i < b.n; i++, seq++) {
      if (b.labels[i] < 0) continue;
      w.row(4);
      w.int8(firstId + counter.labels);
      w.int8(base + seq);
      w.text('label');
      w.int4(b.labels[i]);
      counter.labels++;
    }
    yield w.take();
  }
}

/** `predictions` tuples (id, run_id, row_id, pred_key 0, label, score, probs), ids `firstId + seq`. */
export async function* encodePredictions(
  batches: AsyncIterable<ClassBatch>,
  k: number,
  { runId, base, firstId }: { runId: number; base: number; firstId: number },
): AsyncGenerator<Buffer[]> {
  const w = new CopyWriter();
  let seq = 0;
  for await (const b of batches) {
    for (let i = 0; i < b.n; i++, seq++) {
      w.row(7);
      w.int8(firstId + seq);
      w.int4(runId);
      w.int8(base + seq);
      w.int4(0);
      w.int4(b.pred[i]);
      w.float8(b.score[i]);
      w.float4Array(b.probs, i * k, k);
    }
    yield w.take();
  }
}

/** `embeddings` tuples (run_id, row_id, dim, vector) for vectors in row-index order. */
export async function* encodeEmbeddings(
  batches: AsyncIterable<VectorBatch>,
  dim: number,
  { runId, base }: { runId: number; base: number },
): AsyncGenerator<Buffer[]> {
  const w = new CopyWriter();
  const rowBytes = dim * 4;
  for await (const b of batches) {
    // Float32Array memory is little-endian on every platform Node supports, so the bytes go as they are.
    const bytes = new Uint8Array(b.vectors.buffer, b.vectors.byteOffset, b.n * rowBytes);
    for (let i = 0; i < b.n; i++) {
      w.row(4);
      w.int4(runId);
      w.int8(base + b.start + i);
      w.int4(dim);
      w.bytea(bytes.subarray(i * rowBytes, (i + 1) * rowBytes));
    }
    yield w.take();
  }
}
