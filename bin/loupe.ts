#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { loadConfig } from '../src/config.ts';
import { defaultCliContext } from '../src/cli/context.ts';
import { registerCli } from '../src/cli/index.ts';
import { serveCommand } from './serve.ts';

const program = new Command('loupe')
  .description('Find model errors and label mistakes, choose what to label next — from Slack.')
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerCli(program, defaultCliContext());

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
