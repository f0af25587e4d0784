import type { Db } from '../../db/index.ts';
import {
  insertDataset,
  insertEmbeddings,
  insertRowScores,
  insertRows,
  insertRun,
} from '../helpers/builder.ts';

export interface SeedOptions {
  name: string;
  vectors: ArrayLike<number>[];
  /** Default: every row labeled. */
  labeled?: boolean[];
  /** Given label per row (row_scores.label); default none. */
  labels?: (number | null)[];
  predicted?: (number | null)[];
  classNames?: string[];
}

/** A dataset + run whose rows carry the given embeddings, external ids 'r0', 'r1', …. */
export async function seedRun(db: Db, opts: SeedOptions): Promise<{ runId: number; rowIds: number[] }> {
  const { name, vectors, labeled, labels, predicted, classNames = ['a', 'b', 'c'] } = opts;
  const datasetId = await insertDataset(db, { name, kind: 'classification', classNames });
  const runId = await insertRun(db, { name, datasetId, kind: 'classification' });
  const rowIds = await insertRows(
    db,
    datasetId,
    Array.from(vectors, (_, i) => ({ externalId: `r${i}`, labeled: labeled?.[i] ?? true })),
  );
  await insertEmbeddings(db, runId, rowIds, vectors);
  await insertRowScores(
    db,
    runId,
    rowIds.map((rowId, i) => ({
      rowId,
      labeled: labeled?.[i] ?? true,
      label: labels?.[i] ?? null,
      predicted: predicted?.[i] ?? null,
      iou: labels && predicted ? (labels[i] === predicted[i] ? 1 : 0) : null,
    })),
  );
  return { runId, rowIds };
}

/** mulberry32 Gaussian-ish clusters for tests: `perCluster` points around each of `centers`. */
export function clusters(centers: number[][], perCluster: number, spread: number, seed = 1): number[][] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: number[][] = [];
  for (const c of centers)
    for (let i = 0; i < perCluster; i++) out.push(c.map((x) => x + (rand() * 2 - 1) * spread));
  return out;
}
