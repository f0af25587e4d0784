import { join } from 'node:path';
import { createDb } from './store/database.ts';
import type { Config } from './config.ts';
import { type Clock, type Deps, type Logger, createLogger, systemClock } from './deps.ts';
import { createObjectCache } from './store/object-cache.ts';

/**
 * Open the configured database (Postgres when DATABASE_URL is set, else PGlite in LOUPE_DATA)
 * and assemble `deps`.
 *
 * @example
 * const deps = await openDeps(loadConfig());
 * try { … } finally { await deps.database.close(); }
 */
export async function openDeps(
  config: Config,
  {
    logger = createLogger(),
    clock = systemClock,
    brief = false,
    pgliteWasm,
  }: {
    logger?: Logger;
    clock?: Clock;
    /** A short-lived process running a few small queries: open for a quick start (see createDb). */
    brief?: boolean;
    /** The embedded database's engine, compiled early (see createDb). */
    pgliteWasm?: Promise<WebAssembly.Module>;
  } = {},
): Promise<Deps> {
  const database = await createDb({
    url: config.DATABASE_URL,
    dataDir: config.DATABASE_URL ? undefined : join(config.LOUPE_DATA),
    brief,
    pgliteWasm,
  });
  return { db: database.db, database, config, logger, clock, objectCache: createObjectCache() };
}
