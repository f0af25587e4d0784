import { createWriteStream, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import busboy from 'busboy';

export type Upload =
  | { ok: true; fields: Record<string, string>; files: Record<string, string> }
  | { ok: false; status: 400 | 413; error: string };

/** Keep the client's base name (formats and error messages go by it); nothing that leaves the folder. */
function safeName(filename: string | undefined, field: string): string {
  const name = basename(filename ?? '').replace(/[^\w.-]+/g, '_');
  return name && name !== '.' && name !== '..' ? name : field;
}

/**
 * Stream a multipart/form-data body to files under `dir` (one folder per part, the client's file
 * name kept), counting bytes as they arrive: past `limitBytes` the rest is read and dropped and
 * the answer is 413. Text parts come back as fields.
 *
 * @example
 * const upload = await receiveUpload(c.req.raw, { dir, limitBytes: 1 << 30, fileParts: ['probs'] });
 */
export function receiveUpload(
  request: Request,
  { dir, limitBytes, fileParts }: { dir: string; limitBytes: number; fileParts: readonly string[] },
): Promise<Upload> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': request.headers.get('content-type') ?? '' },
      limits: { fields: 20, fieldSize: 64 * 1024, files: fileParts.length },
    });
  } catch {
    return Promise.resolve({ ok: false, status: 400, error: 'expected a multipart/form-data body' });
  }
  if (!request.body) return Promise.resolve({ ok: false, status: 400, error: 'the request has no body' });
  const fields: Record<string, string> = {};
  const files: Record<string, string> = {};
  const writes: Promise<void>[] = [];
  let total = 0;
  let tooLarge = false;
  let problem: string | null = null;

  return new Promise<Upload>((resolve, reject) => {
    parser.on('field', (name, value) => {
      if (fileParts.includes(name)) problem ??= `"${name}" must be a file part, not a text field`;
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (!fileParts.includes(name) || files[name]) {
        problem ??= files[name]
          ? `file part "${name}" appears twice`
          : `unknown file part "${name}", expected one of ${fileParts.join(', ')}`;
        stream.resume();
        return;
      }
      mkdirSync(join(dir, name));
      const path = join(dir, name, safeName(info.filename, name));
      files[name] = path;
      const out = createWriteStream(path);
      writes.push(
        new Promise<void>((done, fail) => {
          out.on('error', fail);
          out.on('close', done);
        }),
      );
      stream.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > limitBytes) tooLarge = true;
        if (tooLarge) {
          // Keep reading so the client gets its answer; keep nothing.
          if (!out.destroyed) out.destroy();
          return;
        }
        if (!out.write(chunk)) {
          stream.pause();
          out.once('drain', () => stream.resume());
        }
      });
      stream.on('end', () => {
        if (!out.destroyed) out.end();
      });
    });
    parser.on('error', (err: Error) =>
      resolve({ ok: false, status: 400, error: `bad multipart body: ${err.message}` }),
    );
    parser.on('close', () => {
      Promise.all(writes).then(() => {
        if (tooLarge)
          resolve({ ok: false, status: 413, error: `upload over the server's limit of ${limitBytes} bytes` });
        else if (problem) resolve({ ok: false, status: 400, error: problem });
        else resolve({ ok: true, fields, files });
      }, reject);
    });
    Readable.fromWeb(request.body as WebReadableStream<Uint8Array>).pipe(parser);
  });
}
