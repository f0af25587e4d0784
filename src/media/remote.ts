import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, type Response, fetch } from 'undici';
import {
  type AddressRange,
  BlockedAddressError,
  guardedLookup,
  isFetchable,
  literalAddress,
} from './addresses.ts';
import { MediaError } from './errors.ts';

/** Content types the proxy passes on; anything else (HTML, SVG with scripts, …) is refused. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'];

export interface RemoteOptions {
  /** Folder for cached bodies (under LOUPE_DATA). */
  dir: string;
  timeoutMs?: number;
  maxBytes?: number;
  /**
   * Non-public ranges the server may fetch from (LOUPE_MEDIA_FETCH_PRIVATE); everything else that
   * is loopback, private or link-local is refused, by literal address and by resolved name.
   */
  allowPrivate?: AddressRange[];
  /** How names are resolved (default `dns.lookup`); what it answers is checked all the same. */
  resolve?: Parameters<typeof guardedLookup>[1];
}

/** Redirects followed, each hop checked like the first. */
const MAX_REDIRECTS = 5;

export interface CachedRemote {
  /** The cached body on disk. */
  path: string;
  type: string;
}

/**
 * Remote images fetched by the server once and kept on disk, so pages only ever load images from
 * the board itself (the CSP stays `img-src 'self' data:`). A fetch has a time limit, a size
 * limit and must answer with an image content type; concurrent requests for one URL share one
 * fetch. Only public addresses are fetched (a stored URL could otherwise make the server read its
 * own network: cloud metadata, admin ports): literal addresses are checked before connecting,
 * names at connect time on the address actually used, and every redirect hop again.
 *
 * @example
 * const remote = createRemoteCache({ dir: '.loupe/media/remote' });
 * const { path, type } = await remote.get('http://images.cocodataset.org/val2014/x.jpg');
 */
export function createRemoteCache({
  dir,
  timeoutMs = 10_000,
  maxBytes = 20 * 1024 * 1024,
  allowPrivate = [],
  resolve,
}: RemoteOptions) {
  const inFlight = new Map<string, Promise<CachedRemote>>();
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(allowPrivate, resolve) } });

  /** The first hop's answer after following redirects, each hop's address checked. */
  async function request(url: string, signal: AbortSignal): Promise<Response> {
    let at = url;
    for (let hop = 0; ; hop++) {
      const u = new URL(at);
      if (u.protocol !== 'http:' && u.protocol !== 'https:')
        throw new MediaError(403, `remote image redirected to ${u.protocol} URL, expected http(s)`);
      const literal = literalAddress(u.hostname);
      if (literal && !isFetchable(literal, allowPrivate))
        throw new MediaError(403, refusal(new BlockedAddressError(literal, literal)));
      let res: Response;
      try {
        res = await fetch(at, { signal, redirect: 'manual', dispatcher });
      } catch (err) {
        const blocked = blockedCause(err);
        if (blocked) throw new MediaError(403, refusal(blocked));
        if (signal.aborted) throw new MediaError(504, `remote image took over ${timeoutMs} ms`);
        throw new MediaError(502, `remote image unreachable (${(err as Error).message})`);
      }
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return res;
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS)
        throw new MediaError(502, `remote image redirected more than ${MAX_REDIRECTS} times`);
      at = new URL(location, at).toString();
    }
  }

  async function download(url: string, path: string): Promise<CachedRemote> {
    const signal = AbortSignal.timeout(timeoutMs);
    const res = await request(url, signal);
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      throw new MediaError(404, `remote image not found (${res.status})`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new MediaError(502, `remote image answered ${res.status}`);
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!IMAGE_TYPES.includes(type)) {
      await res.body?.cancel();
      throw new MediaError(415, `remote answered ${type || 'no content type'}, expected an image`);
    }
    const declared = Number(res.headers.get('content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      await res.body?.cancel();
      throw new MediaError(413, `remote image is ${declared} bytes, over the ${maxBytes}-byte limit`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.length;
        if (size > maxBytes) {
          await res.body?.cancel().catch(() => {});
          throw new MediaError(413, `remote image is over the ${maxBytes}-byte limit`);
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof MediaError) throw err;
      if (signal.aborted) throw new MediaError(504, `remote image took over ${timeoutMs} ms`);
      throw new MediaError(502, `remote image download failed (${(err as Error).message})`);
    }
    await mkdir(dir, { recursive: true });
    // Written under a temporary name first: a reader never sees half a file.
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, Buffer.concat(chunks));
    await writeFile(`${path}.type`, type);
    await rename(tmp, path);
    return { path, type };
  }

  return {
    /** The cached copy of `url`, fetching it first when needed; throws MediaError on refusal. */
    async get(url: string): Promise<CachedRemote> {
      const path = join(dir, createHash('sha256').update(url).digest('hex'));
      try {
        const type = await readFile(`${path}.type`, 'utf8');
        await access(path);
        return { path, type };
      } catch {
        // not cached yet
      }
      let p = inFlight.get(url);
      if (!p) {
        p = download(url, path).finally(() => inFlight.delete(url));
        inFlight.set(url, p);
      }
      return p;
    },
  };
}

export type RemoteCache = ReturnType<typeof createRemoteCache>;

const refusal = (err: BlockedAddressError) =>
  `remote image refused: ${err.message}; set LOUPE_MEDIA_FETCH_PRIVATE (CIDR ranges) on the server to allow an internal image host`;

/** The BlockedAddressError somewhere in a fetch failure's causes (undici wraps connect errors). */
function blockedCause(err: unknown): BlockedAddressError | null {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof BlockedAddressError) return e;
  return null;
}
