import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { SlackHandler } from '../bot/index.ts';
import type { Deps } from '../src/deps.ts';
import { createWebApp } from '../web/app.ts';

/**
 * The one composition of the HTTP surface: the board at `/`, Slack at `/slack/events`.
 * Kept apart from the CLI so tests can build exactly what `loupe serve` serves.
 */
export function createServerApp(
  deps: Deps,
  {
    slack,
    localKey,
    onJobsQueued,
  }: { slack?: SlackHandler; localKey?: string; onJobsQueued?: () => void } = {},
): Hono {
  const root = new Hono();
  // Slack's route first: it verifies its own signatures and sits outside the board's session/CSRF checks.
  if (slack) root.route('/slack/events', slack.app);
  root.route(
    '/',
    createWebApp(deps, {
      playground: slack?.playground,
      localKey,
      onJobsQueued,
      userNames: slack?.userNames ?? undefined,
    }),
  );
  return root;
}

/** Listen on HOST:PORT; resolves with the bound port once listening. */
export function listen(app: Hono, { host, port }: { host: string; port: number }) {
  return new Promise<{ port: number; close: () => Promise<void> }>((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      resolve({
        port: info.port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
