import type { Command } from 'commander';
import type { Deps } from '../deps.ts';

/** How a CLI command gets its deps; tests hand in their own. */
export interface CliContext {
  withDeps<T>(fn: (deps: Deps) => Promise<T>): Promise<T>;
}

/**
 * The default context: open the configured database for the command and close it after. The
 * database code is loaded on first use, so commands that never touch it (`--help`) start at once.
 */
export function defaultCliContext(): CliContext {
  return {
    async withDeps(fn) {
      const [{ loadConfig }, { createLogger }, { openDeps }] = await Promise.all([
        import('../config.ts'),
        import('../deps.ts'),
        import('../open.ts'),
      ]);
      const deps = await openDeps(loadConfig(), { logger: createLogger({ level: 'warn' }) });
      try {
        return await fn(deps);
      } finally {
        await deps.database.close();
      }
    },
  };
}

export type RegisterCommand = (program: Command, ctx: CliContext) => void;
