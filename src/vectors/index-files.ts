import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import type { EmbeddingFingerprint } from '../store/vectors.ts';
import type { Quantization } from './service.ts';

/**
 * A saved index on disk: `run-<id>.usearch` and its sidecar `run-<id>.json`, which says which
 * embeddings (fingerprint) and which file (inode, size) it was built from.
 */

/** Bumped when the saved index or sidecar format changes: older files are rebuilt. */
export const FORMAT_VERSION = 1;

/** Bytes per stored part of a shared index file. */
const SHARED_PART_BYTES = 8 << 20;

export interface Sidecar {
  version: number;
  runId: number;
  fingerprint: EmbeddingFingerprint;
  quantization: Quantization;
  connectivity: number;
  /** The index file this sidecar describes: two processes saving at once cannot pair one's index with the other's sidecar. */
  file: { ino: number; size: number };
  builtAt: string;
}

export const sameFingerprint = (a: EmbeddingFingerprint, b: EmbeddingFingerprint) =>
  a.count === b.count &&
  a.dim === b.dim &&
  a.maxRowId === b.maxRowId &&
  a.sumRowId === b.sumRowId &&
  a.hash === b.hash;

/** A temporary name beside `path`, unique to this process and call (renamed over `path` when complete). */
export const tempPath = (path: string) => `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;

export async function readSidecar(path: string): Promise<Sidecar | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Sidecar;
  } catch {
    return null;
  }
}

/** Describe the index file at `path` (as it is now) in its sidecar, written atomically. */
export async function writeSidecar(
  sidecarPath: string,
  path: string,
  { runId, fingerprint, quantization, connectivity }: Omit<Sidecar, 'version' | 'file' | 'builtAt'>,
): Promise<void> {
  const file = await stat(path);
  const side: Sidecar = {
    version: FORMAT_VERSION,
    runId,
    fingerprint,
    quantization,
    connectivity,
    file: { ino: file.ino, size: file.size },
    builtAt: new Date().toISOString(),
  };
  const sideTmp = `${sidecarPath}.tmp-${process.pid}`;
  await writeFile(sideTmp, JSON.stringify(side, null, 2));
  await rename(sideTmp, sidecarPath);
}

/** The index file in parts, as stored in the database for the other instances. */
export async function* fileParts(path: string): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(path, { highWaterMark: SHARED_PART_BYTES }))
    yield chunk as Buffer;
}
