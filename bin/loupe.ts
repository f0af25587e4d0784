#!/usr/bin/env -S npx tsx
import { loadConfig } from '../src/config.ts';
import { defaultCliContext } from '../src/cli/context.ts';
import { buildProgram, exitOnClosedPipe } from '../src/cli/program.ts';
import { serveCommand } from './serve.ts';

exitOnClosedPipe(process.stdout);
const program = buildProgram(defaultCliContext());

program
  .command('serve')
  .description('Serve the review board and the Slack bot on one port (PORT, default 3000)')
  .action(async () => {
    const { stop } = await serveCommand(loadConfig());
    const shutdown = () => stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`loupe: ${err.message}\n`);
  process.exit(1);
});
