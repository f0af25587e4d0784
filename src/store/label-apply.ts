import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import type { LabelDelta } from './label-version-types.ts';

/**
 * Bring `annotations` (and `data_rows.labeled`) to the deltas' new state. Answers the stored ids of
 * the labels it removed (keyed `rowId\0annKey`); a label added where one was removed before gets
 * the id it had then.
 */
export async function applyDeltas(tx: Db, deltas: LabelDelta[]): Promise<Map<string, number>> {
  const key = (c: LabelDelta) => sql`(${c.rowId}::int8, ${c.annKey}::text)`;
  const removed = deltas.filter((c) => c.newLabel === null);
  const added = deltas.filter((c) => c.oldLabel === null && c.newLabel !== null);
  const moved = deltas.filter((c) => c.oldLabel !== null && c.newLabel !== null);
  const removedIds = new Map<string, number>();
  if (removed.length) {
    const gone = await rawRows<{ id: number | string; row_id: number | string; ann_key: string }>(
      tx,
      sql`delete from annotations where (row_id, ann_key) in (${sql.join(removed.map(key), sql`, `)})
          returning id, row_id, ann_key`,
    );
    for (const g of gone) removedIds.set(`${Number(g.row_id)}\u0000${g.ann_key}`, Number(g.id));
  }
  if (moved.length)
    await tx.execute(
      sql`update annotations a set label = v.label
          from (values ${sql.join(
            moved.map((c) => sql`(${c.rowId}::int8, ${c.annKey}::text, ${c.newLabel}::int)`),
            sql`, `,
          )}) as v(row_id, ann_key, label)
          where a.row_id = v.row_id and a.ann_key = v.ann_key`,
    );
  if (added.length)
    await tx.execute(
      sql`insert into annotations (id, row_id, ann_key, label, x, y, w, h, area, iscrowd)
          select coalesce(
                   (select c.ann_id from label_changes c
                     where c.row_id = v.row_id and c.ann_key = v.ann_key and c.ann_id is not null
                       and not exists (select 1 from annotations a where a.id = c.ann_id)
                     order by c.id desc limit 1),
                   nextval(pg_get_serial_sequence('annotations', 'id'))),
                 v.row_id, v.ann_key, v.label, v.x, v.y, v.w, v.h, v.area, v.iscrowd
            from (values ${sql.join(
              added.map(
                (c) =>
                  sql`(${c.rowId}::int8, ${c.annKey}::text, ${c.newLabel}::int, ${c.box?.x ?? null}::float8,
                       ${c.box?.y ?? null}::float8, ${c.box?.w ?? null}::float8, ${c.box?.h ?? null}::float8,
                       ${c.box?.area ?? null}::float8, ${c.box?.iscrowd ?? false}::bool)`,
              ),
              sql`, `,
            )}) as v(row_id, ann_key, label, x, y, w, h, area, iscrowd)`,
    );
  // A classification row is labeled exactly when it has its 'label' annotation.
  const labelRows = deltas.filter(
    (c) => c.annKey === 'label' && (c.oldLabel === null || c.newLabel === null),
  );
  if (labelRows.length)
    await tx.execute(
      sql`update data_rows r set labeled = exists (select 1 from annotations a where a.row_id = r.id and a.ann_key = 'label')
          where r.id in (${sql.join(
            labelRows.map((c) => sql`${c.rowId}::int8`),
            sql`, `,
          )})`,
    );
  return removedIds;
}
