import type { ClassBatch } from './classification-batch.ts';
import { type VectorBatch, vectorBytes } from './embeddings-file.ts';
import { CopyWriter } from '../store/pgcopy.ts';

// Tuples for the real tables, for imports that need no join back on the external id: a new
// dataset whose row ids are a reserved block (`base + position`), or vectors for such a dataset.
// Field order must match DIRECT_TARGET in src/store/ingest.ts.

/**
 * 0 … n-1 in the order of their decimal strings ("0", "1", "10", "100", …, "11", …, "2", …).
 *
 * @example
 * [...decimalOrder(12)]; // [0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9]
 */
export function* decimalOrder(n: number): Generator<number> {
  if (n <= 0) return;
  yield 0;
  let cur = 1;
  for (let i = 1; i < n; i++) {
    yield cur;
    if (cur * 10 < n) cur *= 10;
    else {
      if (cur + 1 >= n) cur = Math.floor(cur / 10);
      cur += 1;
      while (cur % 10 === 0) cur /= 10;
    }
  }
}

/**
 * `data_rows` tuples (id, dataset_id, external_id, labeled) for rows whose external id is the row
 * index, written in the order of those ids as text: the (dataset_id, external_id) index then grows
 * at its right edge instead of taking each key at a random leaf, a quarter of the table's write
 * time. Row ids stay `base + index`. `labeled` is per row index (1 = labeled).
 */
export function* encodeIndexRows(
  labeled: Uint8Array,
  { datasetId, base, chunk = 65536 }: { datasetId: number; base: number; chunk?: number },
): Generator<Buffer[]> {
  const w = new CopyWriter();
  let inChunk = 0;
  for (const i of decimalOrder(labeled.length)) {
    w.row(4);
    w.int8(base + i);
    w.int4(datasetId);
    w.text(String(i));
    w.bool(labeled[i] === 1);
    if (++inChunk === chunk) {
      inChunk = 0;
      yield w.take();
    }
  }
  yield w.take();
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
  for await (const b of batches) {
    const vector = vectorBytes(b, dim);
    for (let i = 0; i < b.n; i++) {
      w.row(4);
      w.int4(runId);
      w.int8(base + b.start + i);
      w.int4(dim);
      w.bytea(vector(i));
    }
    yield w.take();
  }
}
