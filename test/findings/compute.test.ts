import { rowScoreLines } from '../helpers/builder.ts';
import { asc, eq, sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { labelFlags, reviews } from '../../db/schema.ts';
import { metricsOutput } from '../../src/cli/metrics.ts';
import { mislabelsLines, mislabelsOutput } from '../../src/cli/mislabels.ts';
import { uncertainOutput } from '../../src/cli/uncertain.ts';
import { computeFindings } from '../../src/findings/index.ts';
import { listMislabels } from '../../src/store/findings.ts';
import { enqueueJobs } from '../../src/store/jobs.ts';
import { listUncertain } from '../../src/store/uncertain.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { insertClassification, insertDetection, storedOptions } from './fixtures.ts';

const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];

describeEachDriver('findings', (ctx) => {
  const deps = () => testDeps(ctx().database);

  it('classification: island flagged by the neighbourhood, scores and uncertainty stored', async () => {
    const { db } = deps();
    const { runId, rowIds } = await insertClassification(db, {
      name: 'pets',
      classNames: ['cat', 'dog'],
      labels: [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, null, null],
      probs: [
        [0.9, 0.1],
        [0.9, 0.1],
        [0.8, 0.2],
        [0.85, 0.15],
        [0.55, 0.45],
        [0.1, 0.9],
        [0.2, 0.8],
        [0.1, 0.9],
        [0.15, 0.85],
        [0.1, 0.9],
        [0.6, 0.4],
        [0.95, 0.05],
      ],
      vectors: [0, 2, 4, 6, 8, 90, 92, 94, 96, 98, 45, 50].map(deg),
    });
    await computeFindings(deps(), runId, { k: 4 });

    const page = await listMislabels(db, { runId });
    expect(page.total).toBe(1);
    expect(page.nextCursor).toBeNull();
    expect(page.items).toEqual([
      {
        rowId: rowIds[4],
        id: 'r4',
        given: 'dog',
        suggested: 'cat',
        // Ranks ½ of 10 on label quality and ½ of 3 on agreement, among rows 2, 3 and 4: those under
        // their class's threshold (see neighbours.test.ts; stored as float32, row 6's 0.8 is dog's mean).
        score: (0.05 + 1 / 6) / 2,
        methods: ['neighbours'],
        evidence:
          "model 0.55 sure: cat; labeled dog (0.45); suggested cat: the model's top class; 4 of 4 nearest neighbours are cat",
        kind: 'label',
        imageUrl: '/media/pets/4.png',
        predicted: 'cat',
        confidence: 0.55,
        width: null,
        height: null,
        gtBox: null,
        predBox: null,
        predScore: null,
        annId: null,
        predId: null,
      },
    ]);

    const scores = await rowScoreLines(db, runId);
    expect(scores[4].labelQuality).toBeCloseTo(0.45, 6);
    expect(scores[4].neighbourDisagreement).toBe(1);
    // Kept only where the neighbours can change the findings: row 9's model vouches for its label.
    expect(scores[9].neighbourDisagreement).toBeNull();
    // Row 3 (6°, cat, 0.85 under cat's 0.8625): of its neighbours at 4°, 8° (the dog), 2° and 0°,
    // the dog holds its weight 1 / (1 + cosine distance).
    const w = (a: number) => 1 / (2 - Math.cos((a * Math.PI) / 180));
    expect(scores[3].neighbourDisagreement).toBeCloseTo(w(2) / (w(2) + w(2) + w(4) + w(6)), 6);
    expect(scores[0].uncertaintyLeast).toBeNull();
    expect(scores[10].labelQuality).toBeNull();
    expect(scores[10].uncertaintyLeast).toBeCloseTo(0.4, 6);
    expect(scores[10].uncertaintyMargin).toBeCloseTo(0.8, 6);
    expect(scores[10].uncertaintyEntropy).toBeCloseTo(
      -(0.6 * Math.log(0.6) + 0.4 * Math.log(0.4)) / Math.LN2,
      6,
    );
    expect(scores[11].uncertaintyLeast).toBeCloseTo(0.05, 6);

    const opts = await storedOptions(db, runId);
    expect(opts).toMatchObject({ k: 4, islandShare: 0.7, confidenceFloor: 0.9, rankBy: 'self_confidence' });

    // A review that approves the label takes the row off the list; a later rework brings it back.
    await db
      .insert(reviews)
      .values({ rowId: rowIds[4], runId, decision: 'approve', actor: 'U1', source: 'cli' });
    expect((await listMislabels(db, { runId })).total).toBe(0);
    await db
      .insert(reviews)
      .values({ rowId: rowIds[4], runId, decision: 'rework', actor: 'U2', source: 'cli' });
    expect((await listMislabels(db, { runId })).items.map((i) => i.id)).toEqual(['r4']);

    const least = await listUncertain(deps(), { runId, strategy: 'least', limit: 5 });
    expect(least.items.map((i) => [i.id, i.predicted])).toEqual([
      ['r10', 'cat'],
      ['r11', 'cat'],
    ]);
    const diverse = await listUncertain(deps(), { runId, strategy: 'entropy', limit: 1, diverse: true });
    expect(diverse.items.map((i) => i.id)).toEqual(['r10']);

    const json = JSON.parse(
      await uncertainOutput(deps(), { run: 'pets', limit: 2, strategy: 'margin', json: true }),
    );
    expect(json.items.map((i: { id: string }) => i.id)).toEqual(['r10', 'r11']);
    expect(json.items[0].score).toBeCloseTo(0.8, 6);
    expect(json.items[0].predicted).toBe('cat');
  });

  it('classification: confident learning flags the flips, ranks them, pages them, recomputes in place', async () => {
    const { db } = deps();
    // Three classes × 8 rows; rows 3, 11, 19 carry the wrong label (their probabilities say otherwise).
    const labels: number[] = [];
    const probs: number[][] = [];
    const flips = new Map([
      [3, 1],
      [11, 2],
      [19, 0],
    ]);
    for (let i = 0; i < 24; i++) {
      const truth = Math.floor(i / 8);
      labels.push(flips.get(i) ?? truth);
      probs.push([0, 1, 2].map((c) => (c === truth ? 0.8 : 0.1)));
    }
    const { runId } = await insertClassification(db, {
      name: 'flips',
      classNames: ['a', 'b', 'c'],
      labels,
      probs,
    });
    await computeFindings(deps(), runId);
    const first = await listMislabels(db, { runId, limit: 2 });
    expect(first.total).toBe(3);
    expect(first.items.map((i) => [i.id, i.given, i.suggested, i.methods])).toEqual([
      ['r3', 'b', 'a', ['confident_learning']],
      ['r11', 'c', 'b', ['confident_learning']],
    ]);
    expect(first.items[0].score).toBeCloseTo(0.1, 6);
    expect(first.items[0].evidence).toBe(
      "model 0.80 sure: a; labeled b (0.10); suggested a: the model's top class",
    );
    // The card's "pred" is the model's top class, with its probability.
    expect(first.items[0]).toMatchObject({ predicted: 'a', confidence: 0.8 });
    const second = await listMislabels(db, { runId, limit: 2, cursor: first.nextCursor });
    expect(second.items.map((i) => i.id)).toEqual(['r19']);
    expect(second.nextCursor).toBeNull();
    await expect(listMislabels(db, { runId, cursor: 'nonsense!' })).rejects.toThrow(/not a page token/);

    // Recomputing replaces the flags; a failing recompute (bad option) leaves them as they were.
    await computeFindings(deps(), runId);
    expect(await db.select().from(labelFlags).where(eq(labelFlags.runId, runId))).toHaveLength(3);
    await expect(computeFindings(deps(), runId, { k: 0 })).rejects.toThrow(
      /Invalid findings options:\n {2}k:/,
    );
    const ranks = await db
      .select({ rank: labelFlags.rank })
      .from(labelFlags)
      .where(eq(labelFlags.runId, runId));
    expect(ranks.map((r) => r.rank).sort()).toEqual([1, 2, 3]);

    const out = JSON.parse(await mislabelsOutput(deps(), { run: 'flips', limit: 3, json: true }));
    expect(out.run).toBe('flips');
    expect(out.items.map((i: { id: string; methods: string[] }) => [i.id, i.methods])).toEqual([
      ['r3', ['confident_learning']],
      ['r11', ['confident_learning']],
      ['r19', ['confident_learning']],
    ]);
    const table = await mislabelsOutput(deps(), { run: 'flips', limit: 3 });
    expect(table.split('\n')[0]).toMatch(/^id\s+kind\s+given\s+suggested\s+score\s+methods\s+evidence$/);
    expect(table).toContain('3 shown, 3 suspected label errors');
    let lines = '';
    expect(await mislabelsLines(deps(), { run: 'flips' }, (s) => (lines += s))).toBe(3);
    expect(
      lines
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(out.items);
    await expect(mislabelsOutput(deps(), { run: 'flipz' })).rejects.toThrow(
      /no run named "flipz"; did you mean "flips"/,
    );
  });

  it('answers with what is stored while the neighbour pass is still to come, and says so', async () => {
    const { db, database } = deps();
    const labels = [0, 0, 0, 1, 1, 1, 1, null];
    const probs = labels.map((l, i) =>
      i === 3 || l === null ? [0.9, 0.1] : l === 0 ? [0.8, 0.2] : [0.2, 0.8],
    );
    const { runId } = await insertClassification(db, {
      name: 'waits',
      classNames: ['a', 'b'],
      labels,
      probs,
    });
    await computeFindings(deps(), runId, { fusion: 'confident_learning_only' });
    await expect(metricsOutput(deps(), { run: 'waits' })).rejects.toThrow(
      'run waits has no metrics yet: it has not been analyzed',
    );
    const done = JSON.parse(await mislabelsOutput(deps(), { run: 'waits', json: true }));
    expect(done.pending).toBeUndefined();

    await enqueueJobs(database, [{ kind: 'analyze', runId }]);
    await expect(metricsOutput(deps(), { run: 'waits' })).rejects.toThrow(
      'run waits has no metrics yet: its analysis is under way (still queued: analysis (metrics and findings are from the previous analysis, if any)); ask again when it is done',
    );
    await database.db.execute(sql`update jobs set state = 'done' where run_id = ${runId}`);
    await enqueueJobs(database, [{ kind: 'knn', runId }]);
    await database.db.execute(
      sql`update jobs set state = 'running', progress = 0.4 where run_id = ${runId} and kind = 'knn'`,
    );
    const json = JSON.parse(await mislabelsOutput(deps(), { run: 'waits', json: true }));
    expect(json.items.map((i: { id: string }) => i.id)).toEqual(['r3']);
    expect(json.pending).toEqual([{ kind: 'knn', name: 'neighbour pass', state: 'running', progress: 0.4 }]);
    expect(await mislabelsOutput(deps(), { run: 'waits' })).toMatch(
      /1 shown, 1 suspected label errors\nstill running: neighbour pass 40% \(the ranking is by confident learning until the neighbour evidence is folded in\)\n$/,
    );
    const unc = JSON.parse(await uncertainOutput(deps(), { run: 'waits', json: true }));
    expect(unc.items.map((i: { id: string }) => i.id)).toEqual(['r7']);
    expect(unc.pending).toEqual(json.pending);
    expect(await uncertainOutput(deps(), { run: 'waits' })).toContain(
      '1 unlabeled rows by least confidence\nstill running: neighbour pass 40%',
    );
  });

  it('detection: swap, overlooked, bad location flagged and ranked; image uncertainty stored', async () => {
    const { db } = deps();
    const CAT = 0;
    const DOG = 1;
    const { runId, rowIds, annIds, predIds } = await insertDetection(db, {
      name: 'boxes',
      classNames: ['cat', 'dog'],
      images: [
        {
          gts: [{ label: CAT, box: [0, 0, 10, 10] }],
          dets: [{ label: DOG, score: 0.95, box: [0, 0, 10, 10] }],
        },
        {
          gts: [{ label: DOG, box: [0, 0, 10, 10] }],
          dets: [
            { label: DOG, score: 0.9, box: [0, 0, 10, 10] },
            { label: CAT, score: 0.97, box: [50, 50, 10, 10] },
          ],
        },
        {
          gts: [{ label: CAT, box: [0, 0, 10, 10] }],
          dets: [{ label: CAT, score: 0.92, box: [5, 0, 10, 10] }],
        },
        {
          gts: [],
          dets: [
            { label: DOG, score: 0.99, box: [0, 0, 5, 5] },
            { label: CAT, score: 0.5, box: [10, 10, 5, 5] },
          ],
        },
        { gts: [{ label: DOG, box: [0, 0, 10, 10] }], dets: [] },
        {
          gts: null,
          dets: [
            { label: CAT, score: 0.95, box: [0, 0, 5, 5] },
            { label: DOG, score: 0.6, box: [10, 10, 5, 5] },
          ],
        },
        { gts: null, dets: [{ label: CAT, score: 0.1, box: [0, 0, 5, 5] }] },
      ],
    });
    await computeFindings(deps(), runId);
    const flags = await db
      .select()
      .from(labelFlags)
      .where(eq(labelFlags.runId, runId))
      .orderBy(asc(labelFlags.rank));
    expect(flags.map((f) => [f.rank, f.kind, f.rowId, f.annId, f.predId, f.given, f.suggested])).toEqual([
      [1, 'overlooked', rowIds[3], null, predIds[3][0], null, DOG],
      [2, 'overlooked', rowIds[1], null, predIds[1][1], null, CAT],
      [3, 'swap', rowIds[0], annIds[0][0], predIds[0][0], CAT, DOG],
      [4, 'bad_location', rowIds[2], annIds[2][0], predIds[2][0], CAT, CAT],
    ]);
    expect(flags.map((f) => f.score)).toEqual(
      [1 - 0.99, 1 - 0.97, 1 - 0.95, 1 / 3].map((v) => expect.closeTo(v, 12)),
    );

    const swaps = await listMislabels(db, { runId, kind: 'swap' });
    expect(swaps.items.map((i) => [i.id, i.given, i.suggested, i.evidence])).toEqual([
      ['100', 'cat', 'dog', 'model 0.95 sure: dog; the box it overlaps (IoU 1.00) is labeled cat'],
    ]);
    expect(swaps.total).toBe(1);
    // The card draws the flagged box and the prediction contradicting it.
    expect([swaps.items[0].gtBox, swaps.items[0].predBox, swaps.items[0].predScore]).toEqual([
      { x: 0, y: 0, w: 10, h: 10 },
      { x: 0, y: 0, w: 10, h: 10 },
      0.95,
    ]);
    const overlooked = await listMislabels(db, { runId, kind: 'overlooked' });
    expect(overlooked.items.map((i) => [i.gtBox, i.predBox])).toEqual([
      [null, { x: 0, y: 0, w: 5, h: 5 }],
      [null, { x: 50, y: 50, w: 10, h: 10 }],
    ]);

    const scores = await rowScoreLines(db, runId);
    expect(scores.map((s) => s.labelQuality)).toEqual(
      [0.05, 0.03, 1 / 3, 0.01, 1, null, null].map((v) => (v === null ? null : expect.closeTo(v, 12))),
    );
    // Unlabeled: max box uncertainty over boxes ≥ 0.2 (0.6 → 0.4); no box above the floor → 1.
    expect(scores[5].uncertaintyLeast).toBeCloseTo(0.4, 12);
    expect(scores[5].uncertaintyMargin).toBeCloseTo(0.8, 12);
    expect(scores[6].uncertaintyEntropy).toBe(1);
    expect(scores[0].uncertaintyLeast).toBeNull();

    const unc = await listUncertain(deps(), { runId, strategy: 'least', limit: 10 });
    expect(unc.items.map((i) => i.id)).toEqual(['106', '105']);
  });
});
