import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import type { Deps } from '../deps.ts';
import { createLogger } from '../deps.ts';
import { openDeps } from '../open.ts';

/** How a CLI command gets its deps; tests hand in their own. */
export interface CliContext {
  withDeps<T>(fn: (deps: Deps) => Promise<T>): Promise<T>;
}

/** The default context: open the configured database for the command and close it after. */
export function defaultCliContext(): CliContext {
  return {
    async withDeps(fn) {
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
