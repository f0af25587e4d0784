import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { dataRows } from '../../db/schema.ts';
import {
  type BoxColumns,
  type DatasetLabels,
  type LabelChange,
  LabelChangeError,
  type StoredBox,
  boxOf,
} from './label-version-types.ts';

/** Labels looked up or written per statement: the size of the lists a statement carries. */
export const LABELS_PER_STATEMENT = 1000;

export interface StoredLabel {
  label: number;
  box: StoredBox | null;
}

/** Each change's row (stored id and external id), checked to belong to the dataset. */
export async function resolveRows(
  tx: Db,
  d: DatasetLabels,
  changes: LabelChange[],
): Promise<{ rowId: number; externalId: string }[]> {
  const byExternal = new Map<string, number>();
  const byId = new Map<number, string>();
  const wantExternal = [
    ...new Set(changes.flatMap((c) => (c.externalId !== undefined ? [String(c.externalId)] : []))),
  ];
  const wantIds = [...new Set(changes.flatMap((c) => (c.rowId !== undefined ? [c.rowId] : [])))];
  for (let i = 0; i < wantExternal.length; i += LABELS_PER_STATEMENT) {
    const found = await tx
      .select({ id: dataRows.id, externalId: dataRows.externalId })
      .from(dataRows)
      .where(
        and(
          eq(dataRows.datasetId, d.id),
          inArray(dataRows.externalId, wantExternal.slice(i, i + LABELS_PER_STATEMENT)),
        ),
      );
    for (const r of found) byExternal.set(r.externalId, r.id);
  }
  for (let i = 0; i < wantIds.length; i += LABELS_PER_STATEMENT) {
    const ids = wantIds.slice(i, i + LABELS_PER_STATEMENT).filter(Number.isSafeInteger);
    if (!ids.length) continue;
    const found = await tx
      .select({ id: dataRows.id, externalId: dataRows.externalId })
      .from(dataRows)
      .where(and(eq(dataRows.datasetId, d.id), inArray(dataRows.id, ids)));
    for (const r of found) byId.set(r.id, r.externalId);
  }
  return changes.map((c, i) => {
    if (c.rowId !== undefined) {
      const externalId = byId.get(c.rowId);
      if (externalId === undefined)
        throw new LabelChangeError(i, `row id ${c.rowId} is not a row of dataset "${d.name}"`);
      return { rowId: c.rowId, externalId };
    }
    if (c.externalId === undefined)
      throw new LabelChangeError(i, 'no row given, expected rowId or externalId');
    const rowId = byExternal.get(String(c.externalId));
    if (rowId === undefined)
      throw new LabelChangeError(
        i,
        `row "${String(c.externalId).slice(0, 80)}" is not a row of dataset "${d.name}"`,
      );
    return { rowId, externalId: String(c.externalId) };
  });
}

/** Current labels of (row, key) pairs, keyed `rowId\0annKey`. */
export async function storedLabels(
  tx: Db,
  keys: { rowId: number; annKey: string }[],
): Promise<Map<string, StoredLabel>> {
  const out = new Map<string, StoredLabel>();
  for (let i = 0; i < keys.length; i += LABELS_PER_STATEMENT) {
    const part = keys.slice(i, i + LABELS_PER_STATEMENT);
    const rows = await rawRows<BoxColumns & { row_id: number | string; ann_key: string; label: number }>(
      tx,
      sql`select a.row_id, a.ann_key, a.label, a.x, a.y, a.w, a.h, a.area, a.iscrowd from annotations a
          where (a.row_id, a.ann_key) in (${sql.join(
            part.map((k) => sql`(${k.rowId}::int8, ${k.annKey}::text)`),
            sql`, `,
          )})`,
    );
    for (const r of rows) out.set(`${Number(r.row_id)}\u0000${r.ann_key}`, { label: r.label, box: boxOf(r) });
  }
  return out;
}

/** Whether an annotation id was ever used in the dataset (current boxes or any recorded change). */
export async function keyUsed(tx: Db, datasetId: number, annKey: string): Promise<boolean> {
  const [r] = await rawRows<{ used: boolean }>(
    tx,
    sql`select exists (select 1 from annotations a join data_rows r on r.id = a.row_id
                       where r.dataset_id = ${datasetId} and a.ann_key = ${annKey})
            or exists (select 1 from label_changes c join label_versions v on v.id = c.version_id
                       where v.dataset_id = ${datasetId} and c.ann_key = ${annKey}) as used`,
  );
  return !!r?.used;
}

/** One past the largest annotation id ever used in the dataset: COCO ids stay unique in an export. */
export async function nextAnnotationKey(tx: Db, datasetId: number): Promise<number> {
  const [r] = await rawRows<{ top: string | number | null }>(
    tx,
    sql`select greatest(
          (select max(a.ann_key::int8) from annotations a join data_rows r on r.id = a.row_id
            where r.dataset_id = ${datasetId} and a.ann_key ~ '^[0-9]{1,15}$'),
          (select max(c.ann_key::int8) from label_changes c join label_versions v on v.id = c.version_id
            where v.dataset_id = ${datasetId} and c.ann_key ~ '^[0-9]{1,15}$')) as top`,
  );
  return Number(r?.top ?? 0) + 1;
}
