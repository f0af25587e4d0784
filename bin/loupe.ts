#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { defaultCliContext } from '../src/cli/context.ts';
import { registerCli } from '../src/cli/index.ts';

const program = new Command('loupe')
  .description('Find model errors and label mistakes, choose what to label next — from Slack.')
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerCli(program, defaultCliContext());

program
  .command('serve')
  .description('Serve the review board and the Slack bot on one port (PORT, default 3000)')
  .action(async () => {
    // Loaded here, not at the top: the server pulls in Bolt, Hono and the charts, which the other
    // commands never need and which would slow every start.
    const [{ loadConfig }, { serveCommand }] = await Promise.all([
      import('../src/config.ts'),
      import('./serve.ts'),
    ]);
    const { stop } = await serveCommand(loadConfig());
    const shutdown = () => stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`loupe: ${err.message}\n`);
  process.exit(1);
});
