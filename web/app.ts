import { pingDatabase } from '../src/store/database.ts';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { SLACK_USER_ID } from '../src/authorize.ts';
import type { Deps } from '../src/deps.ts';
import type { PlaygroundService } from '../src/playground.ts';
import { CursorError } from '../src/store/cursor.ts';
import { createAccess, describeAccess, requireApiToken } from './access.ts';
import { createApiRoutes } from './api.ts';
import { createBoardRoutes } from './board.tsx';
import type { BoardEnv } from './env.ts';
import { BoardError, errorResponse } from './errors.tsx';
import { createIngestRoutes } from './ingest-api.ts';
import { createLabelRoutes } from './labels.ts';
import { createLocalCliRoutes } from './local-cli.ts';
import { createMediaRoutes } from './media.ts';
import { type MediaService, createMediaService } from '../src/media/service.ts';
import { createPlaygroundRoutes } from './playground.tsx';
import { SIGN_IN_PATH, createSlackSignIn, slackSignInRoute } from './slack-signin.ts';
import { hostAllowList, sameOriginWrites } from './request-guard.ts';
import { createStaticRoutes } from './static.ts';

/** Largest POST body the board accepts (a selection of a few thousand row ids fits easily). */
export const BODY_LIMIT_BYTES = 256 * 1024;

/** Paths the board owns; everything else on the server (Slack's routes) is left alone. */
const SESSION_PATHS = [
  '/',
  '/runs/*',
  '/rows/*',
  '/batches',
  '/batches/*',
  '/rework',
  '/api/*',
  '/playground',
  '/playground/*',
];
// Images are the team's data: media routes apply the board's rules themselves — a session, or a
// signed media URL (Slack fetches thumbnails without a cookie) — and refuse all when it is closed.
const PUBLIC_PATHS = ['/healthz', '/auth/*', '/static/*', '/media/*', '/favicon.ico'];

export interface WebAppOptions {
  /** The bot's playground, injected by the composition root; absent → no /playground page. */
  playground?: PlaygroundService;
  /** Key of this serve process (written to the data folder's lock): the local CLI hands its commands over with it. */
  localKey?: string;
  /** Told when a request queued jobs (an ingest's analysis), so this process's worker starts at once. */
  onJobsQueued?: () => void;
  /** The media module; default: one over LOUPE_DATA/media. */
  media?: MediaService;
  /** Slack user names (the bot's users.info lookup, cached): pages name the signed-in user. */
  userNames?: (userId: string) => Promise<string | null>;
}

/** A page waits this long at most for a Slack user's name; later pages get it from the cache. */
const NAME_WAIT_MS = 500;

/**
 * The board and its JSON API.
 *
 * @example
 * const app = createWebApp(deps);
 * const res = await app.request('/api/runs');
 */
export function createWebApp(deps: Deps, opts: WebAppOptions = {}): Hono {
  const app = new Hono<BoardEnv>();
  const signInRoute = slackSignInRoute(deps.config);
  const access = createAccess(deps, { signInRoute });
  const media = opts.media ?? createMediaService(deps);
  deps.logger.info(describeAccess(access.mode, deps.config.HOST));

  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      // vega-embed and vega-tooltip inject their small stylesheets at run time.
      styleSrc: ["'self'", "'unsafe-inline'"],
      // Remote images are fetched and cached by the server (src/media), so pages load none.
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: 'same-origin',
  });
  for (const path of [...SESSION_PATHS, ...PUBLIC_PATHS]) app.use(path, headers);

  const limit = bodyLimit({
    maxSize: BODY_LIMIT_BYTES,
    onError: (c) => errorResponse(c, 413, `Request body over ${BODY_LIMIT_BYTES / 1024} KiB`),
  });
  const sameOrigin = sameOriginWrites(deps.config);
  if (access.mode === 'local') {
    const hosts = hostAllowList(deps.config);
    for (const path of [...SESSION_PATHS, ...PUBLIC_PATHS]) app.use(path, hosts);
  }
  // Machine clients, registered before the board's session checks so those never see them: a
  // bearer token instead of a cookie session (so no CSRF), and the upload limit instead of the body limit.
  app.use('/api/ingest/*', requireApiToken(deps, { localKey: opts.localKey }));
  app.route(
    '/api/ingest',
    createIngestRoutes(deps, {
      limitBytes: Math.floor(deps.config.LOUPE_UPLOAD_LIMIT_MB * 1024 * 1024),
      onJobsQueued: opts.onJobsQueued,
    }),
  );
  if (opts.localKey) {
    app.use('/api/local/*', requireApiToken(deps, { localKey: opts.localKey, stored: false }));
    app.route('/api/local', createLocalCliRoutes(deps));
  }

  for (const path of SESSION_PATHS) {
    app.on('POST', path, limit);
    app.use(path, access.requireSession);
    app.on('POST', path, sameOrigin, access.requireCsrfToken);
    if (opts.userNames) app.use(path, nameTheUser(opts.userNames));
  }

  app.get('/healthz', async (c) => {
    if (!(await pingDatabase(deps.db))) return c.json({ ok: false, error: 'database unavailable' }, 503);
    // A closed board tells strangers nothing beyond "up"; an open one names its driver.
    return c.json(access.mode === 'closed' ? { ok: true } : { ok: true, database: deps.database.driver });
  });
  app.get('/auth/link', (c) => access.openLink(c));
  if (signInRoute) app.route(SIGN_IN_PATH, createSlackSignIn(deps, { access }));
  // Browsers ask for it whatever the page says; answering keeps their consoles free of 404s.
  app.get('/favicon.ico', (c) => c.redirect('/static/favicon.svg', 301));
  app.route('/static', createStaticRoutes());
  app.route('/', createLabelRoutes(deps));
  app.route('/api', createApiRoutes(deps));
  app.route('/media', createMediaRoutes(deps, { access, media }));
  if (opts.playground) app.route('/playground', createPlaygroundRoutes(deps, opts.playground));
  app.route('/', createBoardRoutes(deps, { playground: !!opts.playground }));

  app.notFound((c) => errorResponse(c, 404, 'Not found'));
  app.onError(async (err, c) => handleError(deps, err, c));
  return app as unknown as Hono;
}

async function handleError(deps: Deps, err: Error, c: Context): Promise<Response> {
  if (err instanceof BoardError) return errorResponse(c, err.status, err.message, { help: err.help });
  // A page token that is not ours (any list) is the caller's mistake: 400 naming the field.
  if (err instanceof CursorError)
    return errorResponse(c, 400, err.message, { help: 'Start again from the first page.' });
  if (err instanceof HTTPException) {
    if (err.status === 403) {
      return errorResponse(c, 403, 'Cross-site request refused', {
        help: 'Actions only work from pages of this board.',
      });
    }
    return errorResponse(c, err.status as 400, err.message || 'Bad request');
  }
  const databaseUp = await pingDatabase(deps.db);
  if (!databaseUp) {
    deps.logger.error('database unavailable', { path: c.req.path, error: err.message });
    return errorResponse(c, 503, 'The database is unavailable', { help: 'Try again in a minute.' });
  }
  deps.logger.error('request failed', { path: c.req.path, error: err.message, stack: err.stack });
  return errorResponse(c, 500, 'Something went wrong on our side', { help: 'The error was logged.' });
}

/**
 * Put the signed-in Slack user's name on the context (the session keeps their id): a page waits
 * for users.info at most NAME_WAIT_MS, then shows the id and leaves the lookup to fill the cache.
 */
function nameTheUser(userNames: (userId: string) => Promise<string | null>): MiddlewareHandler<BoardEnv> {
  return async (c, next) => {
    const user = c.get('session')?.user;
    // Pages show it and writes record it beside the id; JSON reads need no name.
    const wanted = c.req.method === 'POST' || !c.req.path.startsWith('/api/');
    if (user && wanted && SLACK_USER_ID.test(user)) {
      let timer: NodeJS.Timeout | undefined;
      const name = await Promise.race([
        userNames(user).catch(() => null),
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), NAME_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (name) c.set('userName', name);
    }
    await next();
  };
}
