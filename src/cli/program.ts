import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { CliContext, CliIo } from './context.ts';
import { registerCli } from './index.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * The `loupe` program with every analysis command, writing through the context's io; commander's
 * own exits (usage errors, --help) become exit codes instead of ending the process. The
 * composition root adds `serve` and `worker`.
 *
 * @example
 * const program = createProgram(defaultCliContext());
 * await runProgram(program, ['runs', '--json'], ctx.io);
 */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('loupe')
    .description('Find model errors and label mistakes, choose what to label next — from Slack.')
    .version(pkg.version, '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });
  registerCli(program, ctx);
  return program;
}

/** Run argv (without node and script) through the program; a thrown error prints `loupe: …` and exits 1. */
export async function runProgram(program: Command, argv: string[], io: CliIo): Promise<void> {
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode) io.fail(err.exitCode);
      return;
    }
    io.err(`loupe: ${(err as Error).message}\n`);
    io.fail(1);
  }
}

/**
 * `loupe … | head` closes our stdout early: stop quietly, as Unix tools do, instead of dying on EPIPE.
 *
 * @example
 * exitOnClosedPipe(process.stdout);
 */
export function exitOnClosedPipe(
  stream: NodeJS.WriteStream,
  exit: (code: number) => void = process.exit,
): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return exit(0);
    throw err;
  });
}
