import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { checkVersion, currentVersionOf, requireDataset } from './label-version-reads.ts';
import {
  type BoxColumns,
  type LabelDelta,
  type LabelState,
  LabelVersionError,
  type StoredBox,
  boxOf,
} from './label-version-types.ts';

type DeltaRow = {
  row_id: number | string;
  external_id: string;
  ann_key: string;
  old_label: number | null;
  new_label: number | null;
  box: StoredBox | string | null;
};

const parseBox = (b: StoredBox | string | null): StoredBox | null =>
  typeof b === 'string' ? (JSON.parse(b) as StoredBox) : b;

const toDelta = (r: DeltaRow): LabelDelta => ({
  rowId: Number(r.row_id),
  externalId: r.external_id,
  annKey: r.ann_key,
  oldLabel: r.old_label,
  newLabel: r.new_label,
  box: parseBox(r.box),
});

/** What one version changed (by label_versions id), in row order. */
export async function versionDeltas(db: Db, versionId: number): Promise<LabelDelta[]> {
  const rows = await rawRows<DeltaRow>(
    db,
    sql`select c.row_id, r.external_id, c.ann_key, c.old_label, c.new_label, c.box
        from label_changes c join data_rows r on r.id = c.row_id
        where c.version_id = ${versionId} order by c.row_id, c.ann_key`,
  );
  return rows.map(toDelta);
}

/**
 * Every label of a dataset as it was at `version` (default: the current one), ordered by row id
 * then annotation id: what an export writes. Rows without a label at that version are absent.
 *
 * @example
 * const { version, labels } = await labelsAt(db, { dataset: 'digits', version: 1 });
 */
export async function labelsAt(
  db: Db,
  { dataset, version }: { dataset: string | number; version?: number },
): Promise<{ version: number; labels: LabelState[] }> {
  const d = await requireDataset(db, dataset);
  const current = await currentVersionOf(db, d.id);
  const at = version ?? current;
  await checkVersion(db, d, at);
  // A label from before a later change has its box in that change (`box`), not in the columns.
  const rows = await rawRows<
    Omit<BoxColumns, 'iscrowd'> & {
      row_id: number | string;
      external_id: string;
      ann_key: string;
      label: number;
      iscrowd: boolean | null;
      box: StoredBox | string | null;
    }
  >(
    db,
    sql`with after as (
          select distinct on (c.row_id, c.ann_key) c.row_id, c.ann_key, c.old_label, c.box
          from label_changes c join label_versions v on v.id = c.version_id
          where v.dataset_id = ${d.id} and v.version > ${at}
          order by c.row_id, c.ann_key, v.version
        )
        select a.row_id, r.external_id, a.ann_key, a.label, a.x, a.y, a.w, a.h, a.area, a.iscrowd, null as box
        from annotations a join data_rows r on r.id = a.row_id
        where r.dataset_id = ${d.id}
          and not exists (select 1 from after f where f.row_id = a.row_id and f.ann_key = a.ann_key)
        union all
        select f.row_id, r.external_id, f.ann_key, f.old_label, null, null, null, null, null, null, f.box
        from after f join data_rows r on r.id = f.row_id
        where f.old_label is not null
        order by 1, 3`,
  );
  const labels = rows.map((r) => ({
    rowId: Number(r.row_id),
    externalId: r.external_id,
    annKey: r.ann_key,
    label: r.label,
    box: r.box !== null ? parseBox(r.box) : boxOf({ ...r, iscrowd: !!r.iscrowd }),
  }));
  labels.sort((a, b) => a.rowId - b.rowId || compareKeys(a.annKey, b.annKey));
  return { version: at, labels };
}

/** Annotation ids in numeric order when they are numbers (COCO), as text otherwise. */
function compareKeys(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The labels that differ between two versions of a dataset (`to` defaults to the current one):
 * `oldLabel` is the state at `from`, `newLabel` at `to`. A label changed and changed back is absent.
 *
 * @example
 * const changed = await labelDiff(db, { dataset: 'digits', from: 1 });
 */
export async function labelDiff(
  db: Db,
  { dataset, from, to }: { dataset: string | number; from: number; to?: number },
): Promise<LabelDelta[]> {
  const d = await requireDataset(db, dataset);
  const until = to ?? (await currentVersionOf(db, d.id));
  await checkVersion(db, d, from);
  await checkVersion(db, d, until);
  if (from > until) throw new LabelVersionError(`version ${from} comes after version ${until}`);
  const rows = await rawRows<DeltaRow>(
    db,
    sql`with span as (
          select c.row_id, c.ann_key, c.old_label, c.new_label, c.box, v.version
          from label_changes c join label_versions v on v.id = c.version_id
          where v.dataset_id = ${d.id} and v.version > ${from} and v.version <= ${until}
        ),
        first as (select distinct on (row_id, ann_key) * from span order by row_id, ann_key, version),
        last as (select distinct on (row_id, ann_key) * from span order by row_id, ann_key, version desc)
        select f.row_id, r.external_id, f.ann_key, f.old_label, l.new_label, coalesce(l.box, f.box) as box
        from first f join last l on l.row_id = f.row_id and l.ann_key = f.ann_key
        join data_rows r on r.id = f.row_id
        where f.old_label is distinct from l.new_label or f.box::text is distinct from l.box::text
        order by f.row_id, f.ann_key`,
  );
  return rows.map(toDelta).sort((a, b) => a.rowId - b.rowId || compareKeys(a.annKey, b.annKey));
}

/** Row ids whose labels differ between two versions (the rows a retrain effect is measured on). */
export async function changedRowIds(
  db: Db,
  opts: { dataset: string | number; from: number; to?: number },
): Promise<number[]> {
  return [...new Set((await labelDiff(db, opts)).map((c) => c.rowId))];
}
