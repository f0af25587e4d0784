import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { IngestError, fileLabel } from '../ingest/errors.ts';
import { JOB_NAMES } from '../jobs/names.ts';
import { type Progress, noProgress } from '../progress.ts';

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
  { progress = noProgress }: { progress?: Progress } = {},
): Promise<T> {
  const parts = Object.entries(files).filter((e): e is [string, string] => e[1] !== undefined);
  let bytes = 0;
  for (const [, path] of parts) {
    if (!existsSync(path) || !statSync(path).isFile())
      throw new IngestError(`${fileLabel(path)}: file not found (${path})`);
    bytes += statSync(path).size;
  }
  const boundary = `loupe-${randomBytes(12).toString('hex')}`;
  const endpoint = new URL(`api/ingest/${kind}`, target.url.endsWith('/') ? target.url : `${target.url}/`);
  progress.step(`uploading to ${endpoint.host}`, bytes);
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: 'application/json',
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      body: multipart(boundary, fields, parts, progress, () => progress.step('importing on the server')),
      duplex: 'half',
    } as unknown as RequestInit);
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

/**
 * Follow, on the server, the analysis an ingest queued (its first job `job`) until it is done:
 * its steps on the progress bar; throws with the job's error when one fails, as a local ingest
 * does. The server answered the upload as soon as the import committed.
 *
 * @example
 * await followAnalysis(target, 'resnet-7', 41, { progress });
 */
export async function followAnalysis(
  target: IngestTarget,
  run: string,
  job: number,
  { progress = noProgress, pollMs = 500 }: { progress?: Progress; pollMs?: number } = {},
): Promise<void> {
  const base = target.url.endsWith('/') ? target.url : `${target.url}/`;
  const endpoint = new URL(`api/ingest/analysis?run=${encodeURIComponent(run)}&since=${job}`, base);
  let shown: number | null = null;
  for (;;) {
    let res: Response;
    try {
      res = await fetch(endpoint, {
        headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' },
      });
    } catch (err) {
      const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new Error(`lost the Loupe server at ${target.url} while it analysed run "${run}" (${cause})`);
    }
    const body = (await res.json().catch(() => null)) as {
      state?: 'running' | 'done' | 'failed';
      step?: { id: number; kind: string; progress: number } | null;
      error?: string | null;
    } | null;
    if (!res.ok || !body?.state)
      throw new Error(
        `the Loupe server at ${target.url} did not say how the analysis of run "${run}" goes (${(body as { error?: string } | null)?.error ?? `HTTP ${res.status}`})`,
      );
    if (body.state === 'done') return;
    if (body.state === 'failed')
      throw new Error(
        `the analysis of run "${run}" failed on the server: ${body.error} (the server retries it; \`loupe jobs\` there shows it)`,
      );
    if (body.step) {
      if (body.step.id !== shown) {
        shown = body.step.id;
        progress.step(JOB_NAMES[body.step.kind] ?? body.step.kind, 100);
      }
      progress.update(Math.floor(body.step.progress * 100));
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Quotes and line breaks cannot appear inside a multipart header value. */
const quoted = (s: string) => `"${s.replace(/["\r\n]/g, (c) => encodeURIComponent(c))}"`;

/** A multipart/form-data body read from disk as it is sent, counting the file bytes for the progress bar. */
async function* multipart(
  boundary: string,
  fields: Record<string, string | undefined>,
  files: [string, string][],
  progress: Progress,
  sent: () => void,
): AsyncGenerator<Uint8Array> {
  const text = (s: string) => Buffer.from(s);
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    yield text(`--${boundary}\r\ncontent-disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`);
  }
  let done = 0;
  for (const [name, path] of files) {
    yield text(
      `--${boundary}\r\ncontent-disposition: form-data; name=${quoted(name)}; filename=${quoted(basename(path))}\r\n` +
        'content-type: application/octet-stream\r\n\r\n',
    );
    for await (const chunk of createReadStream(path)) {
      done += (chunk as Buffer).length;
      progress.update(done);
      yield chunk as Buffer;
    }
    yield text('\r\n');
  }
  yield text(`--${boundary}--\r\n`);
  sent();
}
