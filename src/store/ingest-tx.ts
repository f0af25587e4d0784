import type { Writable } from 'node:stream';
import type { TransactionSql } from 'postgres';
import type { Database } from '../../db/index.ts';
import { COPY_HEADER, COPY_TRAILER } from './pgcopy.ts';

/** Raw access to one open transaction: parameterised SQL and binary COPY into a table. */
export interface BulkTx {
  driver: Database['driver'];
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Binary COPY into `target` (`table (col, …)`): each batch is a list of buffers holding whole
   * tuples (no header/trailer). Postgres gets one streamed COPY; PGlite one COPY per batch.
   */
  copyIn(target: string, batches: AsyncIterable<Buffer[]> | Iterable<Buffer[]>): Promise<number>;
}

type PgTx = TransactionSql<Record<string, never>>;

function waitDrain(w: Writable, failed: () => Error | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      w.off('drain', done);
      w.off('error', done);
      w.off('close', done);
      const err = failed();
      if (err) reject(err);
      else resolve();
    };
    w.once('drain', done);
    w.once('error', done);
    w.once('close', done);
  });
}

async function copyPostgres(
  tx: PgTx,
  target: string,
  batches: AsyncIterable<Buffer[]> | Iterable<Buffer[]>,
): Promise<number> {
  // postgres.js 3.4 never settles the writable when the server rejects the data after
  // CopyDone (porsager/postgres#1173); the query's reject still fires, so listen there.
  const q = tx.unsafe(`copy ${target} from stdin with (format binary)`) as unknown as {
    reject: (e: Error) => void;
    writable(): Promise<Writable>;
  };
  let failure: Error | undefined;
  let wake: ((e: Error) => void) | null = null;
  const originalReject = q.reject;
  q.reject = (e: Error) => {
    failure ??= e;
    wake?.(e);
    originalReject(e);
  };
  const w = await q.writable();
  w.on('error', (e) => {
    failure ??= e;
  });
  let bytes = 0;
  const write = async (b: Buffer) => {
    if (failure) throw failure;
    bytes += b.length;
    if (!w.write(b)) await waitDrain(w, () => failure);
  };
  try {
    await write(COPY_HEADER);
    for await (const batch of batches) for (const b of batch) await write(b);
    await write(COPY_TRAILER);
  } catch (err) {
    // CopyFail makes the server end the COPY; the transaction then rolls back.
    if (!w.destroyed) w.destroy(err as Error);
    throw err;
  }
  await new Promise<void>((resolve, reject) => {
    w.once('finish', resolve);
    w.once('error', reject);
    wake = reject;
    if (failure) reject(failure);
    w.end();
  });
  return bytes;
}

/**
 * Run `fn` in one transaction on either driver; any throw rolls everything back.
 *
 * @example
 * await withBulkTransaction(database, async (tx) => { await tx.query('select 1'); });
 */
export async function withBulkTransaction<T>(database: Database, fn: (tx: BulkTx) => Promise<T>): Promise<T> {
  if (database.driver === 'postgres') {
    const sql = database.sql;
    if (!sql) throw new Error('withBulkTransaction: postgres database without a postgres.js client');
    const result = await sql.begin(async (tx) =>
      fn({
        driver: 'postgres',
        query: async <R>(text: string, params: unknown[] = []) =>
          (await tx.unsafe(text, params as never[])) as unknown as R[],
        copyIn: (target, batches) => copyPostgres(tx as unknown as PgTx, target, batches),
      }),
    );
    return result as T;
  }
  const pglite = database.pglite;
  if (!pglite) throw new Error('withBulkTransaction: pglite database without its instance');
  return pglite.transaction(async (tx) =>
    fn({
      driver: 'pglite',
      query: async <R>(text: string, params: unknown[] = []) => (await tx.query<R>(text, params)).rows,
      async copyIn(target, batches) {
        let bytes = 0;
        for await (const batch of batches) {
          if (!batch.length) continue;
          const blob = new Blob([COPY_HEADER, ...batch, COPY_TRAILER] as Uint8Array<ArrayBuffer>[]);
          bytes += blob.size;
          await tx.query(`copy ${target} from '/dev/blob' with (format binary)`, [], { blob });
        }
        return bytes;
      },
    }),
  );
}
