import { desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { datasets, modelRuns, rowScores } from '../../db/schema.ts';

export interface RunSummary {
  name: string;
  kind: 'classification' | 'detection';
  dataset: string;
  rows: number;
  labeled: number;
  unlabeled: number;
  createdAt: string;
  /** Accuracy (classification) or COCO AP (detection), null until computed. */
  headline: { metric: 'accuracy' | 'AP'; value: number } | null;
  /** Headline change against the previous run of the same dataset, when there is one. */
  change: number | null;
  previous: string | null;
}

function headlineOf(kind: string, metrics: Record<string, unknown> | null): RunSummary['headline'] {
  if (!metrics) return null;
  if (kind === 'classification' && typeof metrics.accuracy === 'number')
    return { metric: 'accuracy', value: metrics.accuracy };
  const coco = metrics.coco as Record<string, number> | undefined;
  if (kind === 'detection' && coco && typeof coco.AP === 'number') return { metric: 'AP', value: coco.AP };
  return null;
}

/** Every run, newest first, with row counts and the headline metric against the previous run. */
export async function listRuns(db: Db): Promise<RunSummary[]> {
  const runs = await db
    .select({
      id: modelRuns.id,
      name: modelRuns.name,
      kind: modelRuns.kind,
      datasetId: modelRuns.datasetId,
      dataset: datasets.name,
      metrics: modelRuns.metrics,
      createdAt: modelRuns.createdAt,
    })
    .from(modelRuns)
    .innerJoin(datasets, eq(datasets.id, modelRuns.datasetId))
    .orderBy(desc(modelRuns.createdAt), desc(modelRuns.id));
  // The analysis stores its row counts with the metrics; count only runs analysed before it did.
  const uncounted = runs.filter((r) => typeof r.metrics?.labeled !== 'number').map((r) => r.id);
  const counts = uncounted.length
    ? await db
        .select({
          runId: rowScores.runId,
          rows: sql<number>`count(*)::int`,
          labeled: sql<number>`count(*) filter (where ${rowScores.labeled})::int`,
        })
        .from(rowScores)
        .where(inArray(rowScores.runId, uncounted))
        .groupBy(rowScores.runId)
    : [];
  const byRun = new Map(counts.map((c) => [c.runId, c]));
  for (const r of runs) {
    const m = r.metrics;
    if (m && typeof m.labeled === 'number' && typeof m.unlabeled === 'number')
      byRun.set(r.id, { runId: r.id, rows: m.labeled + m.unlabeled, labeled: m.labeled });
  }
  return runs.map((run, i) => {
    const headline = headlineOf(run.kind, run.metrics);
    const prev = runs.slice(i + 1).find((r) => r.datasetId === run.datasetId);
    const prevHeadline = prev ? headlineOf(prev.kind, prev.metrics) : null;
    const c = byRun.get(run.id);
    return {
      name: run.name,
      kind: run.kind,
      dataset: run.dataset,
      rows: c?.rows ?? 0,
      labeled: c?.labeled ?? 0,
      unlabeled: (c?.rows ?? 0) - (c?.labeled ?? 0),
      createdAt: run.createdAt.toISOString(),
      headline,
      change: headline && prevHeadline ? headline.value - prevHeadline.value : null,
      previous: prev?.name ?? null,
    };
  });
}
