#!/usr/bin/env -S npx tsx
import { loadConfig } from '../src/config.ts';
import { defaultCliContext } from '../src/cli/context.ts';
import { handOff, handsOff } from '../src/cli/hand-off.ts';
import { createProgram, runProgram } from '../src/cli/program.ts';
import { serveCommand } from './serve.ts';

const ctx = defaultCliContext();
const argv = process.argv.slice(2);

async function main(): Promise<void> {
  // The embedded database admits one process: while `loupe serve` holds it, the command runs there.
  const server = handsOff(argv) ? ctx.localServer() : null;
  if (server) return handOff(server, argv, ctx.io);
  const program = createProgram(ctx);
  program
    .command('serve')
    .description('Serve the review board and the Slack bot on one port (PORT, default 3000)')
    .action(async () => {
      // A server that cannot start must not linger: whatever it opened would keep the process alive.
      const { stop } = await serveCommand(loadConfig()).catch((err: Error) => {
        process.stderr.write(`loupe: ${err.message}\n`);
        process.exit(1);
      });
      const shutdown = () => stop().then(() => process.exit(0));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
  await runProgram(program, argv, ctx.io);
}

main().catch((err: Error) => {
  process.stderr.write(`loupe: ${err.message}\n`);
  process.exit(1);
});
