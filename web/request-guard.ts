import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../src/config.ts';
import { errorResponse } from './errors.tsx';

const UNSAFE = /^(POST|PUT|PATCH|DELETE)$/;
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** The host name of a Host header value (port dropped, lower case, IPv6 kept in brackets). */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/**
 * The host names local mode answers to: the loopback names, HOST itself and LOUPE_PUBLIC_URL's
 * host. Anything else is a page on another site reaching us through DNS rebinding.
 */
export function allowedHosts(config: Pick<Config, 'HOST' | 'LOUPE_PUBLIC_URL'>): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  const host = config.HOST.trim().toLowerCase();
  names.add(host === '::1' ? '[::1]' : host);
  if (config.LOUPE_PUBLIC_URL) names.add(new URL(config.LOUPE_PUBLIC_URL).hostname.toLowerCase());
  return names;
}

/**
 * Local mode only: refuse any request whose Host is not one this server serves (421), so a page
 * on attacker.example rebinding its name to 127.0.0.1 gets neither data nor a CSRF token.
 *
 * @example
 * app.use('/api/*', hostAllowList(deps.config));
 */
export function hostAllowList(config: Pick<Config, 'HOST' | 'LOUPE_PUBLIC_URL'>): MiddlewareHandler {
  const names = allowedHosts(config);
  return async (c, next) => {
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!names.has(hostName(host))) {
      return errorResponse(c, 421, `This board does not answer for the host "${host.slice(0, 100)}"`, {
        help: `Open it at one of: ${[...names].join(', ')} (set LOUPE_PUBLIC_URL for another name).`,
      });
    }
    await next();
  };
}

/**
 * State-changing requests must show they come from a page of this board, whatever their content
 * type (JSON included): an `Origin` equal to this server's origin or LOUPE_PUBLIC_URL's, or, when a
 * browser sends no Origin, `Sec-Fetch-Site: same-origin`. Anything else is 403.
 *
 * @example
 * app.on('POST', '/api/*', sameOriginWrites(deps.config));
 */
export function sameOriginWrites(config: Pick<Config, 'LOUPE_PUBLIC_URL'>): MiddlewareHandler {
  const publicOrigin = config.LOUPE_PUBLIC_URL ? new URL(config.LOUPE_PUBLIC_URL).origin : null;
  const allowed = (c: Context, origin: string) =>
    origin === new URL(c.req.url).origin || (publicOrigin !== null && origin === publicOrigin);
  return async (c, next) => {
    if (!UNSAFE.test(c.req.method)) return next();
    const origin = c.req.header('origin');
    const ok = origin ? allowed(c, origin) : c.req.header('sec-fetch-site') === 'same-origin';
    if (!ok) {
      return errorResponse(c, 403, 'Cross-site request refused', {
        help: 'Actions only work from pages of this board.',
      });
    }
    await next();
  };
}
