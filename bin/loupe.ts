#!/usr/bin/env -S npx tsx
import { InvalidArgumentError } from 'commander';
import { defaultCliContext } from '../src/cli/context.ts';
import { handOff, handsOff } from '../src/cli/hand-off.ts';
import { createProgram, exitOnClosedPipe, runProgram } from '../src/cli/program.ts';

exitOnClosedPipe(process.stdout);
const ctx = defaultCliContext();
const argv = process.argv.slice(2);

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer ≥ 1');
  return n;
};

const stopOnSignal = (stop: () => Promise<void>) => {
  const shutdown = () => stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
};

async function main(): Promise<void> {
  // The embedded database admits one process: while `loupe serve` holds it, the command runs there.
  const server = handsOff(argv) ? ctx.localServer() : null;
  if (server) return handOff(server, argv, ctx.io);
  const program = createProgram(ctx);
  program
    .command('serve')
    .description('Serve the review board and the Slack bot on one port (PORT, default 3000), and run jobs')
    .option('--no-worker', 'do not run jobs here (leave them to `loupe worker` processes)')
    .option('--concurrency <n>', 'jobs run at once', positive, 1)
    .action(async (o: { worker: boolean; concurrency: number }) => {
      // Loaded here, not at the top: the server pulls in Bolt, Hono and the charts, which the other
      // commands never need and which would slow every start.
      const [{ loadConfig }, { serveCommand }] = await Promise.all([
        import('../src/config.ts'),
        import('./serve.ts'),
      ]);
      // A server that cannot start must not linger: whatever it opened would keep the process alive.
      const { stop } = await serveCommand(loadConfig(), {
        worker: o.worker,
        concurrency: o.concurrency,
      }).catch((err: Error) => {
        process.stderr.write(`loupe: ${err.message}\n`);
        process.exit(1);
      });
      stopOnSignal(stop);
    });
  program
    .command('worker')
    .description(
      'Run jobs only (index, analysis, projection): as many worker processes as you like on Postgres',
    )
    .option('--concurrency <n>', 'jobs run at once', positive, 1)
    .option('--once', 'run the jobs that are due, then exit')
    .action(async (o: { concurrency: number; once?: boolean }) => {
      const [{ loadConfig }, { workerCommand }] = await Promise.all([
        import('../src/config.ts'),
        import('./worker.ts'),
      ]);
      const { stop, done } = await workerCommand(loadConfig(), { concurrency: o.concurrency, once: o.once });
      if (done) {
        const { ran, failed } = await done;
        ctx.io.out(`Ran ${ran} job(s), ${failed} failed.\n`);
        if (failed) ctx.io.fail(1);
        return;
      }
      stopOnSignal(stop);
    });
  await runProgram(program, argv, ctx.io);
}

main().catch((err: Error) => {
  process.stderr.write(`loupe: ${err.message}\n`);
  process.exit(1);
});
