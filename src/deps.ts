import type { Database, Db } from './store/database.ts';
import type { ComputePool } from './compute/pool.ts';
import type { ObjectCache } from './store/object-cache.ts';
import type { Config } from './config.ts';
import type { VectorService } from './vectors/service.ts';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface Clock {
  now(): Date;
}

/** Everything a factory needs, passed in so tests can hand in a fresh database, clock or logger. */
export interface Deps {
  db: Db;
  database: Database;
  config: Config;
  logger: Logger;
  clock: Clock;
  /** The long-lived vector search worker (created by the composition root); absent → a throwaway one per call. */
  vectors?: VectorService;
  /** Worker threads for CPU-heavy request work (created by the composition root); absent → inline. */
  compute?: ComputePool;
  /** Decoded detection runs kept between object pages (src/store/object-cache.ts), bounded in bytes. */
  objectCache: ObjectCache;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * A logger writing one line per event to stderr; `silent` for tests.
 *
 * @example
 * const logger = createLogger({ level: 'info' });
 */
export function createLogger({
  level = 'info',
  write = (line: string) => process.stderr.write(`${line}\n`),
}: {
  level?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  write?: (line: string) => void;
} = {}): Logger {
  const order = ['debug', 'info', 'warn', 'error', 'silent'];
  const min = order.indexOf(level);
  const log = (lvl: string) => (msg: string, fields?: Record<string, unknown>) => {
    if (order.indexOf(lvl) < min) return;
    const extra = fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
    write(`${new Date().toISOString()} ${lvl.padEnd(5)} ${msg}${extra}`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
