import { resolve } from 'node:path';
import type { LockServer } from '../../db/lock.ts';
import type { CliIo } from './context.ts';

/**
 * Commands that never hand off: long-running processes (a server, a job worker), ingest (it uploads
 * its files), and help.
 */
const LOCAL_ONLY = new Set(['serve', 'worker', 'ingest', 'help']);

/** The command named by argv, when it should run in the `loupe serve` that holds the data folder. */
export function handsOff(argv: string[]): boolean {
  if (argv.some((a) => a === '-h' || a === '--help' || a === '-V' || a === '--version')) return false;
  const command = argv.find((a) => !a.startsWith('-'));
  return command !== undefined && !LOCAL_ONLY.has(command);
}

/** Options naming a file the command writes: the server runs elsewhere, so it gets the absolute path. */
const PATH_OPTIONS = new Set(['-o', '--out', '--like']);

/** Options of `import labels` that take a value (the rest of its positionals is the file). */
const IMPORT_VALUE_OPTIONS = new Set(['--dataset', '--from']);

/** argv with the paths it names made absolute from this shell's working folder. */
export function absolutePaths(argv: string[], cwd = process.cwd()): string[] {
  // `import labels FILE` reads the file it names: the one positional after the subcommand.
  const importing = argv[0] === 'import' && argv[1] === 'labels';
  return argv.map((arg, i) => {
    if (importing && i > 1 && !arg.startsWith('-') && !IMPORT_VALUE_OPTIONS.has(argv[i - 1]))
      return resolve(cwd, arg);
    if (i > 0 && PATH_OPTIONS.has(argv[i - 1])) return resolve(cwd, arg);
    const eq = arg.indexOf('=');
    if (eq > 0 && PATH_OPTIONS.has(arg.slice(0, eq)))
      return `${arg.slice(0, eq)}=${resolve(cwd, arg.slice(eq + 1))}`;
    return arg;
  });
}

/**
 * Run a `loupe` command in the server that holds the embedded data folder and print what it
 * printed, with its exit code: the output is the command's own, produced by the same code.
 *
 * @example
 * if (server && handsOff(argv)) await handOff(server, argv, processIo());
 */
export async function handOff(server: LockServer, argv: string[], io: CliIo): Promise<void> {
  let res: Response;
  try {
    res = await fetch(new URL('/api/local/cli', server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ argv: absolutePaths(argv) }),
    });
  } catch (err) {
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    io.err(
      `loupe: the running \`loupe serve\` at ${server.url} holds the data folder but did not answer (${cause})\n`,
    );
    return io.fail(1);
  }
  const body = (await res.json().catch(() => null)) as {
    stdout: string;
    stderr: string;
    exitCode: number;
    error?: string;
  } | null;
  if (!res.ok || !body) {
    io.err(
      `loupe: the running \`loupe serve\` at ${server.url} refused the command (${body?.error ?? `HTTP ${res.status}`})\n`,
    );
    return io.fail(1);
  }
  if (body.stdout) io.out(body.stdout);
  if (body.stderr) io.err(body.stderr);
  if (body.exitCode) io.fail(body.exitCode);
}
