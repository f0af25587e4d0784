import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { datasets, labelVersions } from '../../db/schema.ts';
import {
  type DatasetLabels,
  DatasetNotFoundError,
  type LabelVersionInfo,
  LabelVersionError,
} from './label-version-types.ts';

/** A dataset's id, kind and classes, by name or id. */
export async function findLabelDataset(db: Db, dataset: string | number): Promise<DatasetLabels | null> {
  const [d] = await db
    .select({
      id: datasets.id,
      name: datasets.name,
      kind: datasets.kind,
      classNames: datasets.classNames,
      sourceClassIds: datasets.sourceClassIds,
    })
    .from(datasets)
    .where(typeof dataset === 'number' ? eq(datasets.id, dataset) : eq(datasets.name, dataset))
    .limit(1);
  return d ?? null;
}

/** A dataset's id, kind and classes, or DatasetNotFoundError. */
export async function requireDataset(db: Db, dataset: string | number): Promise<DatasetLabels> {
  const d = await findLabelDataset(db, dataset);
  if (!d) throw new DatasetNotFoundError(dataset);
  return d;
}

/**
 * The newest label version of a dataset: 1 for a dataset never changed since ingest.
 *
 * @example
 * const v = await currentLabelVersion(db, 'digits'); // 1 right after ingest
 */
export async function currentLabelVersion(db: Db, dataset: string | number): Promise<number> {
  const d = await requireDataset(db, dataset);
  return currentVersionOf(db, d.id);
}

/** The newest label version of a dataset by id (1 when none was recorded). */
export async function currentVersionOf(db: Db, datasetId: number): Promise<number> {
  const [r] = await db
    .select({ v: sql<number>`coalesce(max(${labelVersions.version}), 1)::int` })
    .from(labelVersions)
    .where(eq(labelVersions.datasetId, datasetId));
  return r?.v ?? 1;
}

/** Current label versions of several datasets (1 for those never changed). */
export async function currentLabelVersions(db: Db, datasetIds: number[]): Promise<Map<number, number>> {
  const out = new Map(datasetIds.map((id) => [id, 1]));
  if (!datasetIds.length) return out;
  const rows = await db
    .select({ datasetId: labelVersions.datasetId, v: sql<number>`max(${labelVersions.version})::int` })
    .from(labelVersions)
    .where(inArray(labelVersions.datasetId, datasetIds))
    .groupBy(labelVersions.datasetId);
  for (const r of rows) out.set(r.datasetId, r.v);
  return out;
}

const versionColumns = {
  id: labelVersions.id,
  version: labelVersions.version,
  source: labelVersions.source,
  actor: labelVersions.actor,
  note: labelVersions.note,
  origin: labelVersions.origin,
  summary: labelVersions.summary,
  at: labelVersions.createdAt,
};

/** A dataset's label versions, newest first. */
export async function listLabelVersions(db: Db, dataset: string | number): Promise<LabelVersionInfo[]> {
  const d = await requireDataset(db, dataset);
  return db
    .select(versionColumns)
    .from(labelVersions)
    .where(eq(labelVersions.datasetId, d.id))
    .orderBy(desc(labelVersions.version));
}

/** Version 1 of a dataset (what ingest recorded about the input format), or null for older data. */
export async function firstLabelVersion(db: Db, datasetId: number): Promise<LabelVersionInfo | null> {
  const [v] = await db
    .select(versionColumns)
    .from(labelVersions)
    .where(and(eq(labelVersions.datasetId, datasetId), eq(labelVersions.version, 1)))
    .limit(1);
  return v ?? null;
}

/** The newest version of `d`, once `version` is checked to be one of its versions. */
export async function checkVersion(db: Db, d: DatasetLabels, version: number): Promise<number> {
  const current = await currentVersionOf(db, d.id);
  if (!Number.isInteger(version) || version < 1 || version > current)
    throw new LabelVersionError(
      `dataset "${d.name}" has label versions 1 to ${current}, not ${String(version).slice(0, 20)}`,
    );
  return current;
}
