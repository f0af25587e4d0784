import { expect, it } from 'vitest';
import { reviews, tags } from '../../db/schema.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import { sql } from 'drizzle-orm';
import { rawRows } from '../../db/raw.ts';
import {
  type ErrorItem,
  TOTAL_CAP,
  decodeErrorCursor,
  listErrors,
  matrixTotal,
} from '../../src/store/errors.ts';
import { requireRun } from '../../src/store/run-lookup.ts';
import { describeEachDriver, objectSource, testDeps } from '../helpers/db.ts';
import { insertSyntheticRun } from '../web/synthetic.ts';
import { type ClassRow, seedClassification } from './fixtures.ts';

const classNames = ['cat', 'dog', 'bird'];
// Row i: label i % 3; even rows are wrong (predicted label + 1); confidences repeat 0.4, 0.5, 0.6, 0.7,
// so several errors share a confidence and the row id breaks the tie. Three unlabeled rows too.
const rows: ClassRow[] = Array.from({ length: 25 }, (_, i) => {
  const label = i % 3;
  const predicted = i % 2 === 0 ? (label + 1) % 3 : label;
  const s = 0.4 + 0.1 * (i % 4);
  const probs = [0, 1, 2].map((c) => (c === predicted ? s : (1 - s) / 2));
  return { id: `r${i}`, label, probs };
});
for (let j = 0; j < 3; j++) rows.push({ id: `u${j}`, probs: [0.2, 0.2, 0.6] });

describeEachDriver('listErrors', (ctx) => {
  let runId: number;
  let ids: Map<string, number>;
  /** The reference: wrong labeled rows sorted in memory. */
  let wrong: { rowId: number; id: string; confidence: number; label: number; predicted: number }[];

  it('seeds and analyzes', async () => {
    const { db } = ctx().database;
    const seeded = await seedClassification(db, { name: 'err-run', classNames, rows });
    runId = seeded.runId;
    ids = seeded.rowIds;
    await analyzeRun(testDeps(ctx().database), runId);
    wrong = rows
      .filter((r) => r.label !== undefined && r.probs!.indexOf(Math.max(...r.probs!)) !== r.label)
      .map((r) => ({
        rowId: ids.get(r.id)!,
        id: r.id,
        confidence: Math.max(...r.probs!),
        label: r.label!,
        predicted: r.probs!.indexOf(Math.max(...r.probs!)),
      }));
    expect(wrong).toHaveLength(13);
  });

  const byConfAsc = (a: { confidence: number; rowId: number }, b: { confidence: number; rowId: number }) =>
    a.confidence - b.confidence || a.rowId - b.rowId;

  async function allPages(sort: 'confidence:asc' | 'confidence:desc', limit: number, extra = {}) {
    const { db } = ctx().database;
    const seen: ErrorItem[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await listErrors(objectSource(db), { runId, sort, limit, cursor, ...extra });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      seen.push(...page.items);
      pages++;
      if (!page.nextCursor) return { seen, pages, total: page.total };
      cursor = page.nextCursor;
    }
  }

  it('returns every error exactly once across pages, least confident first', async () => {
    const { seen, pages, total } = await allPages('confidence:asc', 4);
    expect(total).toBe(13);
    expect(pages).toBe(4); // 4 + 4 + 4 + 1
    const expected = [...wrong].sort(byConfAsc);
    expect(seen.map((s) => s.rowId)).toEqual(expected.map((e) => e.rowId));
    expect(seen[0]).toEqual({
      rowId: expected[0].rowId,
      id: expected[0].id,
      label: classNames[expected[0].label],
      predicted: classNames[expected[0].predicted],
      confidence: expected[0].confidence,
      iou: 0,
      // Self-confidence: the probability of the given label, (1 − s) / 2 on a wrong row, as stored (float32).
      labelQuality: Math.fround((1 - expected[0].confidence) / 2),
      imageUrl: null,
      text: null,
      width: null,
      height: null,
    });
  });

  it('pages most confident first with --sort confidence:desc', async () => {
    const { seen } = await allPages('confidence:desc', 5);
    const expected = [...wrong].sort((a, b) => -byConfAsc(a, b));
    expect(seen.map((s) => s.id)).toEqual(expected.map((e) => e.id));
  });

  it('a page exactly as long as the rest ends without a cursor', async () => {
    const { db } = ctx().database;
    const page = await listErrors(objectSource(db), { runId, limit: 13 });
    expect(page.items).toHaveLength(13);
    expect(page.nextCursor).toBeNull();
  });

  it('filters by label, predicted, and iouBelow', async () => {
    const { db } = ctx().database;
    const dogs = await listErrors(objectSource(db), { runId, label: 1, limit: 100 });
    expect(dogs.items.map((i) => i.id).sort()).toEqual(
      wrong
        .filter((w) => w.label === 1)
        .map((w) => w.id)
        .sort(),
    );
    expect(dogs.total).toBe(dogs.items.length);
    const predictedCat = await listErrors(objectSource(db), { runId, predicted: 0, limit: 100 });
    expect(predictedCat.items.every((i) => i.predicted === 'cat')).toBe(true);
    expect(predictedCat.total).toBe(wrong.filter((w) => w.predicted === 0).length);
    // iou 1 rows are not below 1; nothing is below 0
    expect((await listErrors(objectSource(db), { runId, iouBelow: 1 })).total).toBe(13);
    expect((await listErrors(objectSource(db), { runId, iouBelow: 0 })).total).toBe(0);
    // every labeled row has iou < 2; unlabeled rows never appear
    expect((await listErrors(objectSource(db), { runId, iouBelow: 2 })).total).toBe(25);
  });

  it('filters by tag and by the latest decision', async () => {
    const { db } = ctx().database;
    const [r0, r2, r4, r6, r8] = ['r0', 'r2', 'r4', 'r6', 'r8'].map((k) => ids.get(k)!);
    // r0: approve then rework (latest wins); r2: dismiss; r4: approve
    await db.insert(reviews).values([
      { rowId: r0, decision: 'approve', actor: 'U1', source: 'cli' },
      { rowId: r2, decision: 'dismiss', actor: 'U1', source: 'cli' },
      { rowId: r4, decision: 'approve', actor: 'U1', source: 'cli' },
      { rowId: r0, decision: 'rework', actor: 'U2', source: 'slack' },
    ]);
    await db.insert(tags).values([
      { rowId: r6, tag: 'blurry' },
      { rowId: r8, tag: 'blurry' },
      { rowId: r8, tag: 'dark' },
    ]);
    const ids_ = async (extra: object) =>
      (await listErrors(objectSource(db), { runId, limit: 100, ...extra })).items
        .map((i) => i.rowId)
        .sort((a, b) => a - b);
    expect(await ids_({ decision: 'rework' })).toEqual([r0]);
    expect(await ids_({ decision: 'approve' })).toEqual([r4]);
    expect(await ids_({ decision: 'dismiss' })).toEqual([r2]);
    expect(await ids_({ decision: 'undecided' })).toHaveLength(10);
    expect(await ids_({ decision: 'none' })).toHaveLength(10);
    expect(await ids_({ tag: 'blurry' })).toEqual([r6, r8]);
    expect(await ids_({ tag: 'dark', decision: 'undecided' })).toEqual([r8]);
    // a quote in a tag stays a literal value
    expect(await ids_({ tag: "' OR 1=1--" })).toEqual([]);
    const tagged = await listErrors(objectSource(db), { runId, tag: 'blurry', limit: 1 });
    expect(tagged.total).toBe(2);
    const second = await listErrors(objectSource(db), {
      runId,
      tag: 'blurry',
      limit: 1,
      cursor: tagged.nextCursor!,
    });
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
  });

  it('rejects bad cursors and options with a clear message', async () => {
    const { db } = ctx().database;
    const page = await listErrors(objectSource(db), { runId, limit: 2 });
    const cursor = page.nextCursor!;
    expect(decodeErrorCursor(cursor, runId, 'confidence:asc').rowId).toBe(page.items[1].rowId);
    await expect(listErrors(objectSource(db), { runId, cursor: 'not a cursor!' })).rejects.toThrow(
      'not a page token',
    );
    const forged = Buffer.from(JSON.stringify([runId, 'confidence:asc', 'x', 1])).toString('base64url');
    await expect(listErrors(objectSource(db), { runId, cursor: forged })).rejects.toThrow('not a page token');
    await expect(listErrors(objectSource(db), { runId, cursor, sort: 'confidence:desc' })).rejects.toThrow(
      'made for --sort confidence:asc',
    );
    await expect(listErrors(objectSource(db), { runId: runId + 1, cursor })).rejects.toThrow(
      'belongs to another run',
    );
    await expect(listErrors(objectSource(db), { runId, limit: 0 })).rejects.toThrow(
      'limit 0: expected an integer from 1 to 1000',
    );
    await expect(listErrors(objectSource(db), { runId: 424242 })).rejects.toThrow(
      'no model run with id 424242',
    );
  });

  it('requireRun suggests the closest run names', async () => {
    const { db } = ctx().database;
    expect((await requireRun(db, 'err-run')).id).toBe(runId);
    await expect(requireRun(db, 'err-rum')).rejects.toThrow(
      'no run named "err-rum"; did you mean "err-run"?',
    );
  });

  it('counts outcome / label / prediction totals exactly from the confusion matrix, others up to a cap', async () => {
    const { db } = ctx().database;
    // 8,000 rows: 6,000 labeled, 1,200 wrong; every cell count is checked against the rows.
    const big = await insertSyntheticRun(db, { name: 'err-big', rows: 8000, classes: 4, details: false });
    const count = async (where: ReturnType<typeof sql>) =>
      Number(
        (
          await rawRows<{ n: number }>(
            db,
            sql`select count(*)::int as n from row_scores where run_id = ${big.runId}::int and labeled and ${where}`,
          )
        )[0].n,
      );
    const all = await listErrors(objectSource(db), { runId: big.runId, iouBelow: null, limit: 5 });
    expect(all).toMatchObject({ total: 6000, totalExact: true });
    const wrong = await listErrors(objectSource(db), { runId: big.runId, limit: 5 });
    expect(wrong.totalExact).toBe(true);
    expect(wrong.total).toBe(await count(sql`iou < 0.5`));
    expect(wrong.total).toBeGreaterThan(TOTAL_CAP);
    for (const label of [0, 3])
      for (const predicted of [0, 1, 3]) {
        const right = await listErrors(objectSource(db), {
          runId: big.runId,
          iouBelow: null,
          iouAtLeast: 0.5,
          label,
          predicted,
        });
        expect(right.total).toBe(
          await count(sql`iou >= 0.5 and label = ${label}::int and predicted = ${predicted}::int`),
        );
        const cell = await listErrors(objectSource(db), { runId: big.runId, label, predicted });
        expect(cell).toMatchObject({
          total: await count(sql`iou < 0.5 and label = ${label}::int and predicted = ${predicted}::int`),
          totalExact: true,
        });
      }
    // A confidence filter the matrix cannot answer: counted up to the cap, then a lower bound.
    const capped = await listErrors(objectSource(db), {
      runId: big.runId,
      iouBelow: null,
      minConfidence: 0.31,
      limit: 5,
    });
    expect(await count(sql`confidence >= 0.31`)).toBeGreaterThan(TOTAL_CAP);
    expect(capped).toMatchObject({ total: TOTAL_CAP, totalExact: false });
    const few = await listErrors(objectSource(db), {
      runId: big.runId,
      label: 1,
      predicted: 2,
      maxConfidence: 0.6,
    });
    expect(few).toMatchObject({
      total: await count(sql`iou < 0.5 and label = 1 and predicted = 2 and confidence <= 0.6`),
      totalExact: true,
    });
    expect(few.total).toBeGreaterThan(0);
  });

  it('matrixTotal gives up when labeled rows are missing from the matrix or nothing was analysed', () => {
    const metrics = {
      confusion: {
        matrix: [
          [5, 1],
          [2, 7],
        ],
      },
      labeled: 15,
    };
    expect(matrixTotal(metrics, { iouBelow: 0.5 })).toBe(3);
    expect(matrixTotal(metrics, { iouBelow: null, iouAtLeast: 0.5, label: 1 })).toBe(7);
    expect(matrixTotal(metrics, { iouBelow: 0.5, predicted: 0 })).toBe(2);
    expect(matrixTotal(metrics, { iouBelow: 0 })).toBe(0);
    // a labeled row without a prediction is wrong but in no cell
    expect(matrixTotal({ ...metrics, labeled: 16 }, { iouBelow: 0.5 })).toBeNull();
    expect(matrixTotal(null, { iouBelow: 0.5 })).toBeNull();
    expect(matrixTotal({ kind: 'detection' }, { iouBelow: 0.5 })).toBeNull();
  });
});
