import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { requireInputFile } from './input-file.ts';

function openStream(path: string): Readable {
  requireInputFile(path);
  const raw = createReadStream(path);
  return path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
}

/**
 * The lines of a text file (gzip when the name ends in .gz), one at a time, with their 1-based
 * line numbers; a final empty line is not reported.
 *
 * @example
 * for await (const { line, text } of readLines('ids.txt')) …
 */
export async function* readLines(path: string): AsyncGenerator<{ line: number; text: string }> {
  const rl = createInterface({ input: openStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of rl) {
    line++;
    yield { line, text };
  }
}

/**
 * Pulls lines in batches from a file read alongside another source (ids next to a .npy).
 *
 * @example
 * const ids = new LineBatcher('ids.txt'); const first = await ids.take(1000);
 */
export class LineBatcher {
  private readonly it: AsyncGenerator<{ line: number; text: string }>;
  lines = 0;
  constructor(readonly path: string) {
    this.it = readLines(path);
  }
  /** Up to n further lines (fewer at the end of the file). */
  async take(n: number): Promise<string[]> {
    const out: string[] = [];
    while (out.length < n) {
      const r = await this.it.next();
      if (r.done) break;
      this.lines = r.value.line;
      out.push(r.value.text);
    }
    return out;
  }
  /** True when no line is left (reading one more if needed). */
  async atEnd(): Promise<boolean> {
    const r = await this.it.next();
    if (r.done) return true;
    this.lines = r.value.line;
    return false;
  }
  async close(): Promise<void> {
    await this.it.return(undefined);
  }
}

/** A small whole text file as lines (class names), trailing empty lines dropped. */
export async function readAllLines(path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const { text } of readLines(path)) out.push(text);
  while (out.length && out[out.length - 1].trim() === '') out.pop();
  return out;
}
