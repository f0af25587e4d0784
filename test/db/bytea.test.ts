import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { describeEachDriver } from '../helpers/db.ts';

// bytea in and out as users' data needs it (embeddings, packed pages, kNN parts): every byte value,
// empty values, views into a larger buffer, a megabyte at once.
describeEachDriver('bytea values', (ctx) => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const big = randomBytes(1 << 20);
  const backing = randomBytes(4096);
  // A view: only its own bytes go in, not the rest of the buffer it sits in.
  const view = new Uint8Array(backing.buffer, backing.byteOffset + 3, 1000);
  const cases: [number, Uint8Array][] = [
    [1, new Uint8Array(0)],
    [2, all],
    [3, view],
    [4, big],
  ];

  it('go in as parameters and come back byte for byte', async () => {
    const { db } = ctx().database;
    await db.execute(sql`create table bytea_probe (id int primary key, b bytea not null)`);
    for (const [id, bytes] of cases) await db.execute(sql`insert into bytea_probe values (${id}, ${bytes})`);
    const rows = await rawRows<{ id: number; b: Uint8Array; n: number }>(
      db,
      sql`select id, b, length(b) as n from bytea_probe order by id`,
    );
    expect(rows.map((r) => [r.id, r.n])).toEqual(cases.map(([id, b]) => [id, b.length]));
    for (const [i, [, bytes]] of cases.entries()) {
      const got = rows[i].b;
      expect(got).toBeInstanceOf(Uint8Array);
      expect(Buffer.compare(Buffer.from(got), Buffer.from(bytes))).toBe(0);
    }
  });

  it('come back from the server as the server wrote them', async () => {
    const { db, driver } = ctx().database;
    const [row] = await rawRows<{ b: Uint8Array }>(db, sql`select decode('00ff7f80', 'hex') as b`);
    expect(Array.from(row.b)).toEqual([0, 255, 127, 128]);
    // The embedded engine's values own their buffer, so typed views over them need no copy.
    if (driver === 'pglite') expect([row.b.byteOffset, row.b.buffer.byteLength]).toEqual([0, 4]);
  });
});
