import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite that lets the event loop turn before each statement. PGlite runs a statement on the
 * calling thread and settles its promise as a microtask, so a run of awaited statements (a paged
 * read, a transaction) never lets timers or sockets in: a 15-page read held /healthz for seconds.
 * Every statement, in or out of a transaction, passes through `_runExclusiveQuery`; one
 * `setImmediate` there lets other requests' work run between statements, in the same order.
 *
 * @example
 * const pglite = new YieldingPGlite(`${dataDir}/pgdata`);
 */
export class YieldingPGlite extends PGlite {
  override async _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return super._runExclusiveQuery(fn);
  }
}
