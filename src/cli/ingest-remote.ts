import { existsSync, openAsBlob, statSync } from 'node:fs';
import { basename } from 'node:path';
import { IngestError, fileLabel } from '../ingest/errors.ts';

/** A server that takes the ingest: its base URL and the bearer token it expects. */
export interface IngestTarget {
  url: string;
  token: string;
}

export type IngestKind = 'classification' | 'coco' | 'embeddings';

/**
 * Send an ingest to a server's HTTP API (`POST /api/ingest/<kind>`), the files streamed from disk
 * as multipart parts. The server runs the same ingest; its input errors come back as IngestError
 * with the same message, so the CLI prints what a local run prints.
 *
 * @example
 * const result = await ingestOverHttp(target, 'classification', { run: 'r1' }, { probs: 'p.npy' });
 */
export async function ingestOverHttp<T>(
  target: IngestTarget,
  kind: IngestKind,
  fields: Record<string, string | undefined>,
  files: Record<string, string | undefined>,
  { onUpload }: { onUpload?: (bytes: number) => void } = {},
): Promise<T> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, value);
  let bytes = 0;
  for (const [name, path] of Object.entries(files)) {
    if (path === undefined) continue;
    if (!existsSync(path) || !statSync(path).isFile())
      throw new IngestError(`${fileLabel(path)}: file not found (${path})`);
    bytes += statSync(path).size;
    form.append(name, await openAsBlob(path), basename(path));
  }
  onUpload?.(bytes);
  const endpoint = new URL(`api/ingest/${kind}`, target.url.endsWith('/') ? target.url : `${target.url}/`);
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' },
      body: form,
    });
  } catch (err) {
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new Error(`could not reach the Loupe server at ${target.url} (${cause})`);
  }
  const body = (await res.json().catch(() => null)) as { error?: string; help?: string } | null;
  if (res.ok && body) return body as T;
  const message = body?.error ?? `the server answered HTTP ${res.status}`;
  // 400: the input (same message as a local run); 401/413: the token or the size, the user's to fix.
  if (res.status === 400) throw new IngestError(message);
  if (res.status === 401)
    throw new IngestError(
      `${target.url} refused the token: ${message}; check --token or LOUPE_TOKEN (\`loupe token create <name>\` where the server runs)`,
    );
  if (res.status === 413)
    throw new IngestError(`${target.url}: ${message}${body?.help ? ` (${body.help})` : ''}`);
  throw new Error(`the Loupe server at ${target.url} failed: ${message} (HTTP ${res.status})`);
}
