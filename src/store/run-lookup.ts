import { and, asc, desc, eq, exists, sql } from 'drizzle-orm';
import { closestNames } from '../text/closest.ts';
import type { Db } from '../../db/index.ts';
import { dataRows, datasets, modelRuns } from '../../db/schema.ts';

export interface RunRef {
  id: number;
  name: string;
  kind: 'classification' | 'detection';
  datasetId: number;
  dataset: string;
  classNames: string[];
  metrics: Record<string, unknown> | null;
  createdAt: Date;
}

const columns = {
  id: modelRuns.id,
  name: modelRuns.name,
  kind: modelRuns.kind,
  datasetId: modelRuns.datasetId,
  dataset: datasets.name,
  classNames: datasets.classNames,
  metrics: modelRuns.metrics,
  createdAt: modelRuns.createdAt,
};

/**
 * A run with its dataset's class names, by name, or the newest run when no name is given.
 * One indexed lookup, so chat answers stay fast on large runs.
 *
 * @example
 * const run = await lookupRun(db); // newest run or null
 */
export async function lookupRun(db: Db, name?: string): Promise<RunRef | null> {
  const q = db.select(columns).from(modelRuns).innerJoin(datasets, eq(datasets.id, modelRuns.datasetId));
  const [run] = name
    ? await q.where(eq(modelRuns.name, name)).limit(1)
    : await q.orderBy(desc(modelRuns.createdAt), desc(modelRuns.id)).limit(1);
  return run ?? null;
}

/**
 * The newest run whose dataset has unlabeled rows (the pool that uncertainty sampling and batches
 * draw from), or null when no dataset has any.
 *
 * @example
 * const run = (await lookupRunWithPool(db)) ?? (await lookupRun(db));
 */
export async function lookupRunWithPool(db: Db): Promise<RunRef | null> {
  const [run] = await db
    .select(columns)
    .from(modelRuns)
    .innerJoin(datasets, eq(datasets.id, modelRuns.datasetId))
    .where(
      exists(
        db
          .select({ one: sql`1` })
          .from(dataRows)
          .where(and(eq(dataRows.datasetId, modelRuns.datasetId), eq(dataRows.labeled, false))),
      ),
    )
    .orderBy(desc(modelRuns.createdAt), desc(modelRuns.id))
    .limit(1);
  return run ?? null;
}

/** A run by id (button values carry ids, which survive renames). */
export async function lookupRunById(db: Db, id: number): Promise<RunRef | null> {
  const [run] = await db
    .select(columns)
    .from(modelRuns)
    .innerJoin(datasets, eq(datasets.id, modelRuns.datasetId))
    .where(eq(modelRuns.id, id))
    .limit(1);
  return run ?? null;
}

/** The run before `run` on the same dataset (for "against the previous one"), or null. */
export async function previousRun(db: Db, run: RunRef): Promise<RunRef | null> {
  const rows = await db
    .select(columns)
    .from(modelRuns)
    .innerJoin(datasets, eq(datasets.id, modelRuns.datasetId))
    .where(eq(modelRuns.datasetId, run.datasetId))
    .orderBy(desc(modelRuns.createdAt), desc(modelRuns.id));
  const at = rows.findIndex((r) => r.id === run.id);
  return at >= 0 ? (rows[at + 1] ?? null) : null;
}

/** Every run name, newest first (for "did you mean"). */
export async function runNames(db: Db): Promise<string[]> {
  const rows = await db
    .select({ name: modelRuns.name })
    .from(modelRuns)
    .orderBy(desc(modelRuns.createdAt), desc(modelRuns.id));
  return rows.map((r) => r.name);
}

/**
 * The class names of a run's dataset, in class-index order; null when the run does not exist.
 *
 * @example
 * const names = await classNamesOfRun(db, run.id); // ['airplane', 'automobile', …]
 */
export async function classNamesOfRun(db: Db, runId: number): Promise<string[] | null> {
  const [row] = await db
    .select({ classNames: datasets.classNames })
    .from(modelRuns)
    .innerJoin(datasets, eq(datasets.id, modelRuns.datasetId))
    .where(eq(modelRuns.id, runId))
    .limit(1);
  return row ? row.classNames : null;
}

/** A run by name, or null. */
export async function findRun(db: Db, name: string) {
  const [run] = await db.select().from(modelRuns).where(eq(modelRuns.name, name)).limit(1);
  return run ?? null;
}

/** Thrown when a run name matches nothing; the message lists the closest names. */
export class RunNotFoundError extends Error {
  constructor(
    readonly runName: string,
    readonly suggestions: string[],
  ) {
    super(
      suggestions.length
        ? `no run named "${runName}"; did you mean ${suggestions.map((n) => `"${n}"`).join(', ')}?`
        : `no run named "${runName}"; there are no runs yet (loupe ingest …)`,
    );
    this.name = 'RunNotFoundError';
  }
}

/**
 * The run with this name, or a RunNotFoundError suggesting the closest run names.
 *
 * @example
 * const run = await requireRun(db, 'resnet-v2'); // throws "no run named resnet-v2; did you mean resnet-v1?"
 */
export async function requireRun(db: Db, name: string) {
  const run = await findRun(db, name);
  if (run) return run;
  const names = await db.select({ name: modelRuns.name }).from(modelRuns).orderBy(asc(modelRuns.name));
  throw new RunNotFoundError(
    name,
    closestNames(
      name,
      names.map((n) => n.name),
    ),
  );
}
