import { sql } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { ingestClassification, ingestEmbeddings } from '../../src/ingest/index.ts';
import { encodeNpy } from '../../src/ingest/npy.ts';
import { deferIndexes } from '../../src/store/deferred-indexes.ts';
import { withBulkTransaction } from '../../src/store/ingest-tx.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { scratch } from '../ingest/fixtures.ts';

const files = scratch();
afterAll(files.cleanup);

const BULK = ['data_rows', 'annotations', 'predictions', 'embeddings'];

/** Every index of the bulk tables, with the key constraint it backs, as the catalog defines them. */
async function bulkIndexes(db: Db) {
  return rawRows<{ def: string; con: string | null }>(
    db,
    sql`select pg_get_indexdef(i.indexrelid) as def, con.conname::text || ' ' || con.contype::text as con
      from pg_index i
      join pg_class t on t.oid = i.indrelid
      left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = i.indrelid
        and con.contype in ('p', 'u')
      where t.relname in (${sql.join(
        BULK.map((b) => sql`${b}`),
        sql`, `,
      )})
      order by 1`,
  );
}

describeEachDriver('indexes deferred for a new dataset', (ctx) => {
  const pglite = () => ctx().driver === 'pglite';
  const annotationLines = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => `(${from + i}, ${from + i}, 'label', 1)`).join(', ');

  it('drops the indexes during the writes on the embedded database only, and builds the same ones after', async () => {
    const { database } = ctx();
    const before = await bulkIndexes(database.db);
    expect(before.map((i) => i.con)).toContain('annotations_pkey p');
    const during = await withBulkTransaction(database, async (tx) => {
      const restore = await deferIndexes(
        tx,
        [
          { table: 'annotations', lines: 10 },
          { table: 'data_rows', lines: 10 },
        ],
        { minLines: 1 },
      );
      await tx.query(
        `insert into annotations (id, row_id, ann_key, label) values ${annotationLines(10, 900_000_000)}`,
      );
      const seen = await tx.query<{ relname: string }>(
        `select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid
          where i.indrelid in ('annotations'::regclass, 'data_rows'::regclass) order by 1`,
      );
      await restore();
      return seen.map((s) => s.relname);
    });
    // A foreign key checks through data_rows' primary key: it stays.
    expect(during).toEqual(
      pglite()
        ? ['data_rows_pkey']
        : ['annotations_pkey', 'annotations_row_key_uq', 'data_rows_dataset_external_uq', 'data_rows_pkey'],
    );
    expect(await bulkIndexes(database.db)).toEqual(before);
    // Built again, they hold the lines written without them.
    const refused = (q: ReturnType<typeof sql>) =>
      database.db.execute(q).then(
        () => 'stored',
        (err: Error) => ((err.cause as Error | undefined) ?? err).message,
      );
    expect(
      await refused(sql`insert into annotations (id, row_id, ann_key, label) values (900000000, 1, 'x', 1)`),
    ).toMatch(/duplicate key value violates unique constraint "annotations_pkey"/);
    expect(
      await refused(
        sql`insert into annotations (id, row_id, ann_key, label) values (1, 900000001, 'label', 1)`,
      ),
    ).toMatch(/duplicate key value violates unique constraint "annotations_row_key_uq"/);
  });

  it('leaves the indexes of a table whose pages could hold as many lines as the import brings, or of a small import', async () => {
    const { database } = ctx();
    const seen = await withBulkTransaction(database, async (tx) => {
      await tx.query(
        `insert into annotations (id, row_id, ann_key, label) values ${annotationLines(10, 900_000_100)}`,
      );
      const restore = await deferIndexes(tx, [{ table: 'annotations', lines: 10 }], { minLines: 1 });
      const small = await deferIndexes(tx, [{ table: 'predictions', lines: 10 }]);
      const left = await tx.query<{ n: number }>(
        `select count(*)::int as n from pg_index where indrelid in ('annotations'::regclass, 'predictions'::regclass)`,
      );
      await small();
      await restore();
      return left[0].n;
    });
    expect(seen).toBe(4);
  });

  it('a failed import keeps every index (the drops roll back with it)', async () => {
    const { database } = ctx();
    const before = await bulkIndexes(database.db);
    await expect(
      withBulkTransaction(database, async (tx) => {
        await deferIndexes(tx, [{ table: 'predictions', lines: 10 }], { minLines: 1 });
        throw new Error('the file broke');
      }),
    ).rejects.toThrow('the file broke');
    expect(await bulkIndexes(database.db)).toEqual(before);
  });

  it('imports a new dataset past the threshold, with its embeddings, into tables indexed as before', async () => {
    const { database } = ctx();
    const before = await bulkIndexes(database.db);
    const n = 25_000;
    const k = 3;
    const probs = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      probs[i * k] = ((i * 7) % 10) / 20;
      probs[i * k + 1] = ((i * 3) % 10) / 20;
      probs[i * k + 2] = 1 - probs[i * k] - probs[i * k + 1];
    }
    const labels = new Int32Array(n).map((_, i) => (i % 11 === 0 ? -1 : i % k));
    const vectors = new Float32Array(n * 4).map((_, i) => (i % 13) / 13);
    const deps = testDeps(database);
    const r = await ingestClassification(deps, {
      run: 'deferred',
      probs: files.write('deferred-probs.npy', encodeNpy(probs, [n, k])),
      labels: files.write('deferred-labels.npy', encodeNpy(labels, [n])),
      analyze: false,
    });
    expect(r).toMatchObject({ rows: n, annotations: n - Math.ceil(n / 11), predictions: n });
    const e = await ingestEmbeddings(deps, {
      run: 'deferred',
      path: files.write('deferred-emb.npy', encodeNpy(vectors, [n, 4])),
      analyze: false,
    });
    expect(e).toEqual({ embeddings: n });
    expect(await bulkIndexes(database.db)).toEqual(before);
    const [stored] = await rawRows<{ rows: number; labels: number; last: string; probs: number[] }>(
      database.db,
      sql`select count(*)::int as rows, count(a.id)::int as labels, max(r.external_id collate "C") as last,
            (select p.probs from predictions p join model_runs m on m.id = p.run_id
              where m.name = 'deferred' and p.row_id = max(r.id)) as probs
          from data_rows r join datasets d on d.id = r.dataset_id
          left join annotations a on a.row_id = r.id
          where d.name = 'deferred'`,
    );
    expect(stored.rows).toBe(n);
    expect(stored.labels).toBe(n - Math.ceil(n / 11));
    expect(stored.last).toBe('9999');
    expect(stored.probs.map((p) => Math.fround(p))).toEqual(Array.from(probs.subarray((n - 1) * k, n * k)));
  });
});
