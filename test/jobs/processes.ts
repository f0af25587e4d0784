import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { encodeNpy } from '../../src/ingest/npy.ts';
import { createRandom } from '../../src/random.ts';

const BIN = resolve(import.meta.dirname, '../../bin/loupe.mjs');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** A `loupe` process with its own environment; `done` settles when it exits. */
export function startLoupe(
  args: string[],
  env: Record<string, string | undefined>,
): { child: ChildProcess; done: Promise<Finished>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOUPE_DEMO: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const done = new Promise<Finished>((res) =>
    child.once('exit', (code, signal) => res({ code, signal, out, err })),
  );
  return { child, done, stderr: () => err };
}

/** Run `loupe …` to its end. */
export function loupe(args: string[], env: Record<string, string | undefined>): Promise<Finished> {
  return startLoupe(args, env).done;
}

/** Wait until `check` answers something truthy (polled), or fail after `ms`. */
export async function until<T>(check: () => Promise<T | undefined | null | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The port a `serve` process printed ("Loupe board on http://host:port/"). */
export function servedPort(stderr: () => string): Promise<number> {
  return until(async () => {
    const m = /Loupe board on http:\/\/[^:]+:(\d+)\//.exec(stderr());
    return m ? Number(m[1]) : undefined;
  });
}

/**
 * A small classification run as `.npy` files: two classes in clusters of `dim`-d embeddings, enough
 * rows for a projection.
 */
export function classificationFiles(write: (name: string, data: Uint8Array) => string, rows = 60, dim = 8) {
  const rand = createRandom(7);
  const probs = new Float64Array(rows * 2);
  const labels = new Int32Array(rows);
  const emb = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const c = i % 2;
    labels[i] = c;
    const p = 0.6 + 0.35 * rand();
    probs[i * 2 + c] = p;
    probs[i * 2 + 1 - c] = 1 - p;
    for (let d = 0; d < dim; d++) emb[i * dim + d] = (d % 2 === c ? 1 : 0) + 0.2 * rand();
  }
  return {
    probs: write('probs.npy', encodeNpy(probs, [rows, 2])),
    labels: write('labels.npy', encodeNpy(labels, [rows])),
    embeddings: write('emb.npy', encodeNpy(emb, [rows, dim])),
  };
}
