import type { Command } from 'commander';
import { type LockServer, readLockServer } from '../../db/lock.ts';
import { compilePgliteWasm } from '../../db/pglite-wasm.ts';
import type { Deps } from '../deps.ts';

/** Where a command's output goes: the terminal, or a buffer when a server runs it for a CLI. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The exit code the command ends with (errors the user can fix: 1). */
  fail(code: number): void;
  /** How long work shows progress on stderr: a redrawn bar (a terminal), plain lines, or not at all. */
  progress: 'bar' | 'lines' | 'off';
}

/** How a command uses the database it opens. */
export interface WithDepsOptions {
  /**
   * Heavy database work (imports, analysis, index builds): open the database for throughput. Without
   * it the command is a few small queries, and the embedded database opens for a quick start.
   */
  heavy?: boolean;
}

/** How a CLI command gets its deps and writes its output; tests and the server hand in their own. */
export interface CliContext {
  withDeps<T>(fn: (deps: Deps) => Promise<T>, options?: WithDepsOptions): Promise<T>;
  io: CliIo;
  /** The `loupe serve` holding the embedded data folder, to hand work to; null when the command runs here. */
  localServer(): LockServer | null;
}

/** The process's own stdout, stderr and exit code. */
export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    fail: (code) => {
      process.exitCode = code;
    },
    progress: process.stderr.isTTY === true ? 'bar' : 'lines',
  };
}

/**
 * The default context: open the configured database for the command and close it after. The
 * database code is loaded on first use, so commands that never touch it (`--help`) start at once.
 */
export function defaultCliContext(io: CliIo = processIo()): CliContext {
  return {
    io,
    async withDeps(fn, { heavy = false } = {}) {
      // The embedded engine compiles on background threads while the modules below load, instead of
      // after them. Read from the environment directly, as localServer does: the configuration is
      // among the modules still loading.
      const pgliteWasm = process.env.DATABASE_URL ? undefined : compilePgliteWasm({ brief: !heavy });
      const [{ loadConfig }, { createLogger }, { openDeps }] = await Promise.all([
        import('../config.ts'),
        import('../deps.ts'),
        import('../open.ts'),
      ]);
      const deps = await openDeps(loadConfig(), {
        logger: createLogger({ level: 'warn' }),
        brief: !heavy,
        pgliteWasm,
      });
      try {
        return await fn(deps);
      } finally {
        await deps.database.close();
      }
    },
    localServer() {
      // Read from the environment directly: the full configuration (zod) is not loaded at start.
      if (process.env.DATABASE_URL) return null;
      return readLockServer(process.env.LOUPE_DATA || '.loupe');
    },
  };
}

/** A server running commands for a CLI: its open deps, output into the given io, no further hand-off. */
export function serverCliContext(deps: Deps, io: CliIo): CliContext {
  return { io, withDeps: (fn) => fn(deps), localServer: () => null };
}

export type RegisterCommand = (program: Command, ctx: CliContext) => void;
