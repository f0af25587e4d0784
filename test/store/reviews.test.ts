import { eq } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { createDb } from '../../db/index.ts';
import { reviews } from '../../db/schema.ts';
import { claimDelivery } from '../../src/store/deliveries.ts';
import {
  RowNotFoundError,
  decisionHistory,
  latestDecisions,
  listRework,
  listTags,
  recordDecision,
  reworkActivity,
} from '../../src/store/reviews.ts';
import { describeEachDriver, testDatabaseUrl } from '../helpers/db.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';

describeEachDriver('reviews', (ctx) => {
  let rowIds: number[];
  let runId: number;
  beforeAll(async () => {
    const run = await insertClassificationRun(ctx().database.db, {
      name: 'r1',
      classNames: ['cat', 'dog'],
      labels: [0, 1, 0, 1, null],
      probs: [
        [0.9, 0.1],
        [0.2, 0.8],
        [0.3, 0.7],
        [0.6, 0.4],
        [0.5, 0.5],
      ],
    });
    rowIds = run.rowIds;
    runId = run.runId;
  });

  it('keeps the full history, latest wins, and a repeated decision adds nothing', async () => {
    const db = ctx().database.db;
    const row = rowIds[0];
    const first = await recordDecision(db, {
      rowId: row,
      runId,
      decision: 'approve',
      actor: 'U1',
      source: 'slack',
    });
    expect(first.recorded).toBe(true);
    const again = await recordDecision(db, { rowId: row, decision: 'approve', actor: 'U2', source: 'board' });
    expect(again).toMatchObject({
      recorded: false,
      latest: { decision: 'approve', actor: 'U1', source: 'slack' },
    });
    const rework = await recordDecision(db, {
      rowId: row,
      decision: 'rework',
      actor: 'U2',
      source: 'board',
      note: 'blurry',
    });
    expect(rework.recorded).toBe(true);
    const history = await decisionHistory(db, row);
    expect(history.map((h) => [h.decision, h.actor])).toEqual([
      ['approve', 'U1'],
      ['rework', 'U2'],
    ]);
    expect((await latestDecisions(db, [row])).get(row)?.decision).toBe('rework');
  });

  it('rework tags the row re-label and enters the queue oldest first; approve takes it out', async () => {
    const db = ctx().database.db;
    await recordDecision(db, { rowId: rowIds[2], decision: 'rework', actor: 'U3', source: 'cli' });
    await recordDecision(db, { rowId: rowIds[1], decision: 'rework', actor: 'U3', source: 'cli' });
    const queue = await listRework(db, { limit: 2 });
    expect(queue.total).toBe(3);
    expect(queue.items.map((i) => i.rowId)).toEqual([rowIds[0], rowIds[2]]);
    const next = await listRework(db, { limit: 2, cursor: queue.nextCursor });
    expect(next.items.map((i) => i.rowId)).toEqual([rowIds[1]]);
    expect(next.nextCursor).toBeNull();
    expect((await listTags(db, [rowIds[2]])).get(rowIds[2])).toEqual(['re-label']);
    await recordDecision(db, { rowId: rowIds[2], decision: 'approve', actor: 'U4', source: 'board' });
    expect((await listTags(db, [rowIds[2]])).get(rowIds[2])).toBeUndefined();
    expect((await listRework(db)).total).toBe(2);
    const activity = await reworkActivity(db, new Date(Date.now() - 3600_000));
    expect(activity).toEqual({ opened: 3, closed: 1, open: 2 });
  });

  it('refuses a decision on a missing row and a malformed cursor', async () => {
    const db = ctx().database.db;
    await expect(
      recordDecision(db, { rowId: 999_999, decision: 'approve', actor: 'U1', source: 'cli' }),
    ).rejects.toThrow(RowNotFoundError);
    await expect(listRework(db, { cursor: 'not-a-cursor' })).rejects.toThrow(
      /cursor "not-a-cursor": not a page token/,
    );
  });

  it('claims a delivery key once', async () => {
    const db = ctx().database.db;
    expect(await claimDelivery(db, 'event:Ev1')).toBe(true);
    expect(await claimDelivery(db, 'event:Ev1')).toBe(false);
  });

  it('lands concurrent different decisions from two connections in history without error', async () => {
    const url = testDatabaseUrl(ctx().database);
    if (!url) return; // needs two connections: Postgres only
    const other = await createDb({ url, migrate: false, max: 2 });
    try {
      const row = rowIds[3];
      const results = await Promise.all([
        recordDecision(ctx().database.db, { rowId: row, decision: 'approve', actor: 'A', source: 'slack' }),
        recordDecision(other.db, { rowId: row, decision: 'rework', actor: 'B', source: 'board' }),
        recordDecision(other.db, { rowId: row, decision: 'rework', actor: 'C', source: 'board' }),
      ]);
      const history = await ctx().database.db.select().from(reviews).where(eq(reviews.rowId, row));
      expect(results.filter((r) => r.recorded).length).toBe(history.length);
      expect(history.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < history.length; i++) expect(history[i].decision).not.toBe(history[i - 1].decision);
    } finally {
      await other.close();
    }
  });
});
