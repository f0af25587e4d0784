import { and, asc, eq } from 'drizzle-orm';
import type { Database, Db } from '../../db/index.ts';
import { knnParts } from '../../db/schema.ts';
import { withBulkTransaction } from './ingest-tx.ts';
import { CopyWriter } from './pgcopy.ts';

/** The neighbours of some rows, as a chunk job found them: row ids, not positions. */
export interface KnnPart {
  /** The rows searched, ascending. */
  rowIds: Float64Array;
  k: number;
  /** rows × k neighbour row ids, nearest first, −1 where fewer than k were found. */
  neighbours: Float64Array;
  /** rows × k cosine distances, Infinity where fewer than k were found. */
  distances: Float32Array;
}

const bytesOf = (a: Float64Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A typed array over a copy of stored bytes (a driver's buffer may be unaligned or pooled). */
function view<T extends Float64Array | Float32Array>(
  bytes: Uint8Array,
  Type: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number },
): T {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Type(copy.buffer);
}

/**
 * Store (or replace, when the chunk job runs again) part `part` of the kNN pass `passId`, by
 * binary COPY: its megabytes go as they are, not as the hex text of a bound parameter (a 50k-row
 * part took 6–8 s of the embedded engine's thread that way, with PGlite's own bytea codec).
 *
 * @example
 * await saveKnnPart(database, { passId, part: 3, runId }, found);
 */
export async function saveKnnPart(
  database: Database,
  { passId, part, runId }: { passId: number; part: number; runId: number },
  found: KnnPart,
): Promise<void> {
  const arrays = [found.rowIds, found.neighbours, found.distances];
  const w = new CopyWriter({ chunkBytes: arrays.reduce((s, a) => s + 4 + a.byteLength, 64) });
  w.row(8);
  w.int8(passId);
  w.int4(part);
  w.int4(runId);
  w.int4(found.k);
  w.int4(found.rowIds.length);
  for (const a of arrays) w.bytea(bytesOf(a));
  await withBulkTransaction(database, async (tx) => {
    await tx.query('delete from knn_parts where pass_id = $1 and part = $2', [passId, part]);
    await tx.copyIn('knn_parts (pass_id, part, run_id, k, rows, row_ids, neighbours, distances)', [w.take()]);
  });
}

/**
 * Every part of a pass joined into one (parts in order; their rows are ascending and disjoint).
 * Throws when a part is missing.
 *
 * @example
 * const searched = await readKnnGraph(db, passId, 20);
 */
export async function readKnnGraph(db: Db, passId: number, parts: number): Promise<KnnPart> {
  const found: KnnPart[] = [];
  for (let part = 0; part < parts; part++) {
    // One part per query: a million rows' neighbours never sit in one result.
    const [row] = await db
      .select()
      .from(knnParts)
      .where(and(eq(knnParts.passId, passId), eq(knnParts.part, part)))
      .orderBy(asc(knnParts.part));
    if (!row) throw new Error(`kNN pass ${passId}: part ${part} of ${parts} is missing`);
    found.push({
      rowIds: view(row.rowIds, Float64Array),
      k: row.k,
      neighbours: view(row.neighbours, Float64Array),
      distances: view(row.distances, Float32Array),
    });
  }
  const k = found[0]?.k ?? 0;
  const n = found.reduce((s, p) => s + p.rowIds.length, 0);
  const out: KnnPart = {
    rowIds: new Float64Array(n),
    k,
    neighbours: new Float64Array(n * k),
    distances: new Float32Array(n * k),
  };
  let at = 0;
  for (const p of found) {
    if (p.k !== k) throw new Error(`kNN pass ${passId}: parts disagree on k (${p.k} and ${k})`);
    out.rowIds.set(p.rowIds, at);
    out.neighbours.set(p.neighbours, at * k);
    out.distances.set(p.distances, at * k);
    at += p.rowIds.length;
  }
  return out;
}

/** Forget a pass's parts once they are folded in. */
export async function deleteKnnParts(db: Db, passId: number): Promise<void> {
  await db.delete(knnParts).where(eq(knnParts.passId, passId));
}
