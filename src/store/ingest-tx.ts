import { setImmediate as turn } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import type { TransactionSql } from 'postgres';
import type { Transaction } from '@electric-sql/pglite';
import type { Database, Db } from '../../db/index.ts';
import { COPY_HEADER, COPY_TRAILER } from './pgcopy.ts';

/** Raw access to one open transaction: parameterised SQL and binary COPY into a table. */
export interface BulkTx {
  driver: Database['driver'];
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Run a statement that writes and answer how many lines it wrote (the command's row count). */
  write(text: string, params?: unknown[]): Promise<number>;
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
    for await (const batch of batches) {
      for (const b of batch) await write(b);
      // While the socket takes every write, a generator's batches are encoded and written in one
      // run of microtasks: a million row lines held the event loop ~250 ms. A turn between batches.
      await turn();
    }
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

/** A BulkTx over an open postgres.js transaction. */
function postgresBulk(tx: PgTx): BulkTx {
  return {
    driver: 'postgres',
    query: async <R>(text: string, params: unknown[] = []) =>
      (await tx.unsafe(text, params as never[])) as unknown as R[],
    write: async (text, params = []) => (await tx.unsafe(text, params as never[])).count,
    copyIn: (target, batches) => copyPostgres(tx, target, batches),
  };
}

type PgliteTx = Pick<Transaction, 'query'>;

/** A BulkTx over an open PGlite transaction: one COPY through /dev/blob per batch. */
function pgliteBulk(tx: PgliteTx): BulkTx {
  return {
    driver: 'pglite',
    query: async <R>(text: string, params: unknown[] = []) => (await tx.query<R>(text, params)).rows,
    write: async (text, params = []) => (await tx.query(text, params)).affectedRows ?? 0,
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
  };
}

/**
 * The BulkTx of a drizzle transaction already open (analysis writes inside its own transaction):
 * drizzle keeps the driver's transaction client on its session, a postgres.js TransactionSql
 * (which has `unsafe`) or a PGlite Transaction.
 *
 * @example
 * await db.transaction(async (tx) => { await bulkOf(tx).copyIn('t (a)', batches); });
 */
export function bulkOf(tx: Db): BulkTx {
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client as
    | { unsafe?: unknown; query?: unknown }
    | undefined;
  if (client && typeof client.unsafe === 'function') return postgresBulk(client as unknown as PgTx);
  if (client && typeof client.query === 'function') return pgliteBulk(client as unknown as PgliteTx);
  throw new Error('bulkOf: not a drizzle transaction on postgres.js or PGlite');
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
    const result = await sql.begin(async (tx) => fn(postgresBulk(tx as unknown as PgTx)));
    return result as T;
  }
  const pglite = database.pglite;
  if (!pglite) throw new Error('withBulkTransaction: pglite database without its instance');
  return pglite.transaction(async (tx) => fn(pgliteBulk(tx)));
}
