import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { CliContext } from './context.ts';
import { registerCli } from './index.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * The `loupe` program with every analysis command; the composition root adds `serve`.
 *
 * @example
 * await buildProgram(defaultCliContext()).parseAsync();
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('loupe')
    .description('Find model errors and label mistakes, choose what to label next — from Slack.')
    .version(pkg.version, '-V, --version', 'print the version')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCli(program, ctx);
  return program;
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
