#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { loadConfig } from '../src/config.ts';
import { defaultCliContext } from '../src/cli/context.ts';
import { registerCli } from '../src/cli/index.ts';
import { createLogger } from '../src/deps.ts';
import { openDeps } from '../src/open.ts';
import { createServerApp, listen } from './server.ts';

const program = new Command('loupe')
  .description('Find model errors and label mistakes, choose what to label next — from Slack.')
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerCli(program, defaultCliContext());

program
  .command('serve')
  .description('Serve the review board and the Slack bot on one port (PORT, default 3000)')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger();
    const deps = await openDeps(config, { logger });
    const server = await listen(createServerApp(deps), { host: config.HOST, port: config.PORT });
    logger.info(`Loupe board on http://${config.HOST}:${server.port}/`);
    const stop = async () => {
      await server.close();
      await deps.database.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`loupe: ${err.message}\n`);
  process.exit(1);
});
