/** Build a board URL from a path and query values, leaving out empty ones. */
export function withQuery(path: string, query: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

const HERE = 'http://loupe.invalid';

/**
 * Where a redirect may go: a path on this site, or '/'. The target is read the way a browser
 * reads a Location header (WHATWG URL parsing strips tabs and newlines and treats `\\` as `/`),
 * so `/%09/evil.example` or `/\\evil.example` cannot leave the site; the answer is the parsed,
 * percent-encoded path, which is always a valid header value.
 *
 * @example
 * safeRedirectPath('/runs/a?x=1'); // '/runs/a?x=1'
 * safeRedirectPath('/\t/evil.example/x'); // '/'
 */
export function safeRedirectPath(to: string | null | undefined): string {
  if (typeof to !== 'string' || !to.startsWith('/')) return '/';
  let url: URL;
  try {
    url = new URL(to, HERE);
  } catch {
    return '/';
  }
  if (url.origin !== HERE) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  // A path that itself starts with `//` would be protocol-relative when sent back as is.
  return path.startsWith('//') || path.startsWith('/\\') ? '/' : path;
}
