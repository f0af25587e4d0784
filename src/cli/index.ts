import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import { registerRuns } from './runs.ts';

/** Every analysis command; `serve` is added by the composition root. One line per command module. */
export function registerCli(program: Command, ctx: CliContext): void {
  registerRuns(program, ctx);
}
