import { type Browser, type Page, chromium } from 'playwright-core';
import type { Database } from '../../db/index.ts';
import { loadConfig } from '../../src/config.ts';
import { type Deps, createLogger } from '../../src/deps.ts';
import { createObjectCache } from '../../src/store/object-cache.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The system Chromium, headless; playwright-core downloads no browser of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * Deps for a server the browser talks to: quiet logs, wall clock, demo off (the suite seeds),
 * loopback only. Without LOUPE_SECRET in `env` the board runs in local single-user mode.
 *
 * @example
 * const deps = browserDeps(database, { LOUPE_SECRET: 'x' });
 */
export function browserDeps(database: Database, env: Record<string, string> = {}): Deps {
  return {
    db: database.db,
    database,
    config: loadConfig({ LOUPE_DEMO: '0', HOST: '127.0.0.1', ...env }),
    logger: createLogger({ level: 'silent' }),
    clock: { now: () => new Date() },
    objectCache: createObjectCache(),
  };
}

/**
 * Collects a page's console errors and uncaught exceptions into `errors`, prefixed by the URL.
 *
 * @example
 * const errors: string[] = [];
 * const watch = errorWatcher(errors);
 * const page = watch(await context.newPage());
 */
export function errorWatcher(errors: string[]): (page: Page) => Page {
  return (page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`${page.url()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
    return page;
  };
}
