import type { ClassBatch } from './classification-batch.ts';
import { type VectorBatch, vectorBytes } from './embeddings-file.ts';
import { CopyWriter } from '../store/pgcopy.ts';

// Field order must match STAGE_TARGET in src/store/ingest.ts.

/**
 * Classification batches as `ingest_rows` tuples, one buffer list per batch; `counter.rows`
 * ends as the number of rows (each row's `seq` is its position among them).
 *
 * @example
 * await tx.copyIn(STAGE_TARGET.rows, encodeClassRows(source.batches()));
 */
export async function* encodeClassRows(
  batches: AsyncIterable<ClassBatch>,
  k: number,
  counter: { rows: number } = { rows: 0 },
): AsyncGenerator<Buffer[]> {
  const w = new CopyWriter();
  for await (const b of batches) {
    for (let i = 0; i < b.n; i++) {
      const label = b.labels[i];
      const x = b.extras?.[i] ?? null;
      w.row(12);
      w.int4(b.ords[i]);
      w.int4(counter.rows++);
      w.text(b.ids ? b.ids[i] : String(b.start + i));
      w.bool(label >= 0);
      w.textOrNull(x?.imageUrl);
      w.int4OrNull(x?.width);
      w.int4OrNull(x?.height);
      w.jsonbOrNull(x?.metadata);
      if (label >= 0) w.int4(label);
      else w.null();
      w.int4(b.pred[i]);
      w.float8(b.score[i]);
      w.float4Array(b.probs, i * k, k);
    }
    yield w.take();
  }
}

/** Embedding batches as `ingest_vectors` tuples. */
export async function* encodeVectors(
  batches: AsyncIterable<VectorBatch>,
  dim: number,
): AsyncGenerator<Buffer[]> {
  const w = new CopyWriter();
  for await (const b of batches) {
    const vector = vectorBytes(b, dim);
    for (let i = 0; i < b.n; i++) {
      w.row(3);
      w.int4(b.ords[i]);
      w.text(b.ids ? b.ids[i] : String(b.start + i));
      w.bytea(vector(i));
    }
    yield w.take();
  }
}
