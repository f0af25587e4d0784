import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { vectorIndexParts, vectorIndexes } from '../../db/schema.ts';

export interface SharedIndexHeader {
  meta: Record<string, unknown>;
  parts: number;
  bytes: number;
}

/** The shared copy of a run's index file, if one is stored. */
export async function sharedIndexHeader(db: Db, runId: number): Promise<SharedIndexHeader | null> {
  const [row] = await db
    .select({ meta: vectorIndexes.meta, parts: vectorIndexes.parts, bytes: vectorIndexes.bytes })
    .from(vectorIndexes)
    .where(eq(vectorIndexes.runId, runId));
  return row ? { meta: row.meta, parts: row.parts, bytes: Number(row.bytes) } : null;
}

/** The shared index file's bytes, part by part, in order. */
export async function* sharedIndexParts(db: Db, runId: number, parts: number): AsyncGenerator<Buffer> {
  for (let part = 0; part < parts; part++) {
    const [row] = await db
      .select({ data: vectorIndexParts.data })
      .from(vectorIndexParts)
      .where(and(eq(vectorIndexParts.runId, runId), eq(vectorIndexParts.part, part)));
    if (!row) throw new Error(`run ${runId}: shared vector index part ${part} of ${parts} is missing`);
    yield Buffer.from(row.data);
  }
}

/**
 * Store a run's index file for every instance, replacing the previous one in one transaction
 * (a reader sees the old file or the new one, never half of each).
 */
export async function saveSharedIndex(
  db: Db,
  runId: number,
  meta: Record<string, unknown>,
  parts: AsyncIterable<Buffer>,
): Promise<{ parts: number; bytes: number }> {
  return db.transaction(async (tx) => {
    await tx.delete(vectorIndexes).where(eq(vectorIndexes.runId, runId));
    await tx.insert(vectorIndexes).values({ runId, meta, parts: 0, bytes: 0 });
    let n = 0;
    let bytes = 0;
    for await (const data of parts) {
      await tx.insert(vectorIndexParts).values({ runId, part: n++, data });
      bytes += data.length;
    }
    await tx.update(vectorIndexes).set({ parts: n, bytes }).where(eq(vectorIndexes.runId, runId));
    return { parts: n, bytes };
  });
}
