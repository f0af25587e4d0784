import type { Db } from '../../db/index.ts';
import { dataRows, datasets, embeddings, modelRuns, rowScores } from '../../db/schema.ts';

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
  const [ds] = await db
    .insert(datasets)
    .values({ name, kind: 'classification', classNames })
    .returning({ id: datasets.id });
  const [run] = await db
    .insert(modelRuns)
    .values({ name, datasetId: ds.id, kind: 'classification' })
    .returning({ id: modelRuns.id });
  const rowIds: number[] = [];
  const page = 500;
  for (let start = 0; start < vectors.length; start += page) {
    const slice = vectors.slice(start, start + page);
    const rows = await db
      .insert(dataRows)
      .values(
        slice.map((_, j) => ({
          datasetId: ds.id,
          externalId: `r${start + j}`,
          labeled: labeled?.[start + j] ?? true,
        })),
      )
      .returning({ id: dataRows.id });
    rowIds.push(...rows.map((r) => Number(r.id)));
    await db.insert(embeddings).values(
      slice.map((v, j) => ({
        runId: run.id,
        rowId: Number(rows[j].id),
        dim: v.length,
        vector: Buffer.from(Float32Array.from(v).buffer),
      })),
    );
    await db.insert(rowScores).values(
      slice.map((_, j) => ({
        runId: run.id,
        rowId: Number(rows[j].id),
        labeled: labeled?.[start + j] ?? true,
        label: labels?.[start + j] ?? null,
        predicted: predicted?.[start + j] ?? null,
        iou: labels && predicted ? (labels[start + j] === predicted[start + j] ? 1 : 0) : null,
      })),
    );
  }
  return { runId: run.id, rowIds };
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
