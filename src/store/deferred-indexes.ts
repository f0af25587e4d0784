import type { BulkTx } from './ingest-tx.ts';

/** The tables a new dataset's import fills straight from its files. */
export type BulkTable = 'data_rows' | 'annotations' | 'predictions' | 'embeddings';

/** Below this many lines a table keeps its indexes: dropping and building them costs more. */
const MIN_LINES = 20_000;

interface Dropped {
  table: BulkTable;
  name: string;
  def: string;
  /** The primary key or unique constraint the index backs, if any. */
  constraint: { name: string; kind: 'p' | 'u' } | null;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Let a new dataset's bulk lines go into tables without their indexes, and build each index once
 * afterwards: the embedded engine spends most of an import inserting every line into every index
 * (a million data rows: 6.3 s with their two indexes, 1.4 s without and 1.3 s to build both).
 *
 * Only on the embedded database, where every other statement waits for an open import's
 * transaction anyway (one session), so dropping an index there makes nobody wait longer. On
 * Postgres it would lock the table against every reader until the import commits. Only for a
 * table whose pages could not hold as many lines as the import brings (its index is built over
 * both), and only for imports of at least 20,000 lines. An index a foreign key checks through
 * stays. The indexes are the catalog's own definitions, so schema.ts stays their one home; a
 * failed import rolls the drops back with everything else.
 *
 * @example
 * const restore = await deferIndexes(tx, [{ table: 'annotations', lines: boxes.length }]);
 * await tx.copyIn(DIRECT_TARGET.boxes, encodeBoxes(gt, blocks, position));
 * await restore();
 */
export async function deferIndexes(
  tx: BulkTx,
  tables: { table: BulkTable; lines: number }[],
  { minLines = MIN_LINES }: { minLines?: number } = {},
): Promise<() => Promise<void>> {
  if (tx.driver !== 'pglite') return async () => {};
  const dropped: Dropped[] = [];
  for (const { table, lines } of tables) {
    if (lines < minLines) continue;
    // The most lines the table's pages can hold (Postgres' MaxHeapTuplesPerPage per page): read
    // from its size, where counting them would scan a million wide lines.
    const [room] = await tx.query<{ most: number }>(
      `select (pg_relation_size($1::regclass) / s.bs) * ((s.bs - 24) / 28) as most
         from (select current_setting('block_size')::int8 as bs) s`,
      [table],
    );
    if (Number(room.most) >= lines) continue;
    const indexes = await tx.query<{
      name: string;
      def: string;
      conname: string | null;
      contype: 'p' | 'u' | null;
      referenced: boolean;
    }>(
      `select c.relname as name, pg_get_indexdef(i.indexrelid) as def, con.conname, con.contype,
              exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = i.indexrelid) as referenced
         from pg_index i
         join pg_class c on c.oid = i.indexrelid
         left join pg_constraint con
           on con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u')
        where i.indrelid = $1::regclass
        order by c.relname`,
      [table],
    );
    for (const ix of indexes) {
      if (ix.referenced) continue;
      if (ix.conname) await tx.query(`alter table ${table} drop constraint ${ident(ix.conname)}`);
      else await tx.query(`drop index ${ident(ix.name)}`);
      dropped.push({
        table,
        name: ix.name,
        def: ix.def,
        constraint: ix.conname && ix.contype ? { name: ix.conname, kind: ix.contype } : null,
      });
    }
  }
  return async () => {
    for (const { table, name, def, constraint } of dropped.splice(0)) {
      await tx.query(def);
      if (constraint)
        await tx.query(
          `alter table ${table} add constraint ${ident(constraint.name)} ${constraint.kind === 'p' ? 'primary key' : 'unique'} using index ${ident(name)}`,
        );
    }
  };
}
