import { Hono } from 'hono';
import { serverCliContext } from '../src/cli/context.ts';
import { createProgram, runProgram } from '../src/cli/program.ts';
import type { Deps } from '../src/deps.ts';
import type { BoardEnv } from './env.ts';
import { errorResponse } from './errors.tsx';

/**
 * `POST /api/local/cli` `{ argv }` → `{ stdout, stderr, exitCode }`: a `loupe` command run here, on
 * this server's open database, for the CLI on this machine (the embedded database cannot be opened
 * by a second process). Callers must hold the key from the data folder's lock file.
 *
 * @example
 * app.route('/api/local', createLocalCliRoutes(deps));
 */
export function createLocalCliRoutes(deps: Deps): Hono<BoardEnv> {
  const app = new Hono<BoardEnv>();
  app.post('/cli', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { argv?: unknown } | null;
    const argv = body?.argv;
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string'))
      return errorResponse(c, 400, 'expected { "argv": ["runs", "--json"] }');
    const stdout: string[] = [];
    const stderr: string[] = [];
    let exitCode = 0;
    const io = {
      out: (s: string) => void stdout.push(s),
      err: (s: string) => void stderr.push(s),
      fail: (code: number) => {
        exitCode = code;
      },
      // The output goes back in one answer when the command ends: progress lines would arrive too late.
      progress: 'off' as const,
    };
    await runProgram(createProgram(serverCliContext(deps, io)), argv, io);
    return c.json({ stdout: stdout.join(''), stderr: stderr.join(''), exitCode });
  });
  return app;
}
