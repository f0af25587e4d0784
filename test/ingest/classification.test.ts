import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { IngestError, ingestClassification, ingestEmbeddings } from '../../src/ingest/index.ts';
import { encodeNpy } from '../../src/ingest/npy.ts';
import { currentAnalysis } from '../../src/store/analysis-state.ts';
import { createLabelVersion } from '../../src/store/label-versions.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { SHARED, hasShared, runJobs, scratch, snapshot } from './fixtures.ts';

const files = scratch();
afterAll(files.cleanup);

// 5 rows × 3 classes; row 2 is unlabeled (-1).
const probs5 = new Float32Array([
  0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4, 0.25, 0.25, 0.5, 0.05, 0.05, 0.9,
]);
const labels5 = new BigInt64Array([0n, 1n, -1n, 0n, 2n]);
const probsPath = files.write('probs5.npy', encodeNpy(probs5, [5, 3]));
const labelsPath = files.write('labels5.npy', encodeNpy(labels5, [5]));

/** The planner's line count of the embeddings table is its count (an import refreshed it). */
async function expectPlannerCountsEmbeddings(db: Parameters<typeof rawRows>[0]) {
  const [planned] = await rawRows<{ planned: number; lines: number }>(
    db,
    sql`select (select reltuples from pg_class where relname = 'embeddings')::int as planned,
               (select count(*)::int from embeddings) as lines`,
  );
  expect(planned.planned).toBe(planned.lines);
}

async function rowsOf(db: Parameters<typeof rawRows>[0], dataset: string, run: string) {
  return rawRows<{
    external_id: string;
    labeled: boolean;
    image_url: string | null;
    width: number | null;
    metadata: unknown;
    ann: number | null;
    pred: number;
    score: number;
    probs: number[];
  }>(
    db,
    sql`select r.external_id, r.labeled, r.image_url, r.width, r.metadata, a.label as ann, p.label as pred,
          p.score, p.probs
        from data_rows r join datasets d on d.id = r.dataset_id
        left join annotations a on a.row_id = r.id and a.ann_key = 'label'
        join predictions p on p.row_id = r.id and p.pred_key = 0
        join model_runs m on m.id = p.run_id and m.name = ${run}
        where d.name = ${dataset} order by r.id`,
  );
}

describeEachDriver('ingest classification', (ctx) => {
  const deps = () => testDeps(ctx().database);

  it('imports .npy labels and probabilities, -1 as the unlabeled pool', async () => {
    const r = await ingestClassification(deps(), {
      run: 'np5',
      labels: labelsPath,
      probs: probsPath,
      analyze: false,
    });
    expect(r).toEqual({
      run: 'np5',
      dataset: 'np5',
      rows: 5,
      annotations: 4,
      predictions: 5,
      embeddings: 0,
      unchanged: false,
    });
    const rows = await rowsOf(ctx().database.db, 'np5', 'np5');
    expect(rows.map((x) => x.external_id)).toEqual(['0', '1', '2', '3', '4']);
    expect(rows.map((x) => x.labeled)).toEqual([true, true, false, true, true]);
    expect(rows.map((x) => x.ann)).toEqual([0, 1, null, 0, 2]);
    expect(rows.map((x) => x.pred)).toEqual([0, 1, 2, 2, 2]);
    expect(rows.map((x) => x.score)).toEqual([0.7, 0.8, 0.4, 0.5, 0.9].map(Math.fround));
    expect(rows[3].probs).toEqual([0.25, 0.25, 0.5]);
    const [ds] = await rawRows<{ class_names: unknown }>(
      ctx().database.db,
      sql`select class_names from datasets where name = 'np5'`,
    );
    expect(ds.class_names).toEqual(['0', '1', '2']);
  });

  it('is idempotent: the same import twice leaves the same rows', async () => {
    const first = await snapshot(ctx().database.db);
    const again = await ingestClassification(deps(), {
      run: 'np5',
      labels: labelsPath,
      probs: probsPath,
      analyze: false,
    });
    expect(again).toEqual({
      run: 'np5',
      dataset: 'np5',
      rows: 5,
      annotations: 4,
      predictions: 5,
      embeddings: 0,
      unchanged: true,
    });
    expect(await snapshot(ctx().database.db)).toEqual(first);
  });

  it('outdates the analysis of a run its predictions are imported into again, and only when the import holds', async () => {
    await ingestClassification(deps(), { run: 'outdated-5', labels: labelsPath, probs: probsPath });
    const { db } = ctx().database;
    const runId = async () =>
      (await rawRows<{ id: number }>(db, sql`select id from model_runs where name = 'outdated-5'`))[0].id;
    expect(await currentAnalysis(db, await runId())).toEqual({ kind: 'classification' });
    // A failed import changes nothing, its analysis neither.
    const bad = files.write('probs5-bad.npy', encodeNpy(new Float32Array(15).fill(Number.NaN), [5, 3]));
    await expect(
      ingestClassification(deps(), { run: 'outdated-5', labels: labelsPath, probs: bad, analyze: false }),
    ).rejects.toThrow(IngestError);
    expect(await currentAnalysis(db, await runId())).toEqual({ kind: 'classification' });
    // The same files again change nothing: the analysis holds (see the test below). A sixth row does.
    await ingestClassification(deps(), {
      run: 'outdated-5',
      labels: labelsPath,
      probs: probsPath,
      analyze: false,
    });
    expect(await currentAnalysis(db, await runId())).toEqual({ kind: 'classification' });
    await ingestClassification(deps(), {
      run: 'outdated-5',
      labels: files.write('labels6.npy', encodeNpy(new BigInt64Array([...labels5, 1n]), [6])),
      probs: files.write('probs6.npy', encodeNpy(new Float32Array([...probs5, 0.2, 0.6, 0.2]), [6, 3])),
      analyze: false,
    });
    expect(await currentAnalysis(db, await runId())).toBeNull();
    // Embeddings alone do not outdate it; the analysis run again makes it hold.
    await ingestClassification(deps(), { run: 'outdated-5', labels: labelsPath, probs: probsPath });
    const emb = files.write('emb5.npy', encodeNpy(new Float32Array(10).fill(1), [5, 2]));
    await ingestEmbeddings(deps(), { run: 'outdated-5', path: emb, analyze: false });
    expect(await currentAnalysis(db, await runId())).toEqual({ kind: 'classification' });
  });

  it('answers the same files again as unchanged at once, while nothing changed since, and keeps the analysis', async () => {
    const { db } = ctx().database;
    const counts = {
      run: 'same-5',
      dataset: 'same-5',
      rows: 5,
      annotations: 4,
      predictions: 5,
      embeddings: 0,
    };
    const jobs = () => runJobs(db, 'same-5');
    // Copies: the files are known by their content, as a server knows an upload.
    const again = () =>
      ingestClassification(deps(), {
        run: 'same-5',
        labels: files.write('same-labels5.npy', readFileSync(labelsPath)),
        probs: files.write('same-probs5.npy', readFileSync(probsPath)),
      });
    expect(
      await ingestClassification(deps(), { run: 'same-5', labels: labelsPath, probs: probsPath }),
    ).toEqual({
      ...counts,
      unchanged: false,
    });
    const queued = await jobs();
    expect(queued).toBeGreaterThan(0);
    let before = await snapshot(db);
    expect(await again()).toEqual({ ...counts, unchanged: true });
    // Nothing written, no analysis queued or run again.
    expect(await snapshot(db)).toEqual(before);
    expect(await jobs()).toBe(queued);

    // Another dataset's import adds rows: the tables are checked as before, and the analysis runs again.
    await ingestClassification(deps(), {
      run: 'same-other',
      labels: labelsPath,
      probs: probsPath,
      analyze: false,
    });
    expect(await again()).toEqual({ ...counts, unchanged: true });
    expect(await jobs()).toBeGreaterThan(queued);
    before = await snapshot(db);
    const after = await jobs();
    expect(await again()).toEqual({ ...counts, unchanged: true });
    expect(await snapshot(db)).toEqual(before);
    expect(await jobs()).toBe(after);

    // A job of its analysis failed for good (a neighbour pass, say): the same files again run it anew.
    const runId = (await rawRows<{ id: number }>(db, sql`select id from model_runs where name = 'same-5'`))[0]
      .id;
    await db.execute(
      sql`insert into jobs (kind, run_id, state, error) values ('knn', ${runId}, 'failed', 'lost')`,
    );
    const failed = await jobs();
    expect(await again()).toEqual({ ...counts, unchanged: true });
    expect(await jobs()).toBeGreaterThan(failed);
    const rerun = await jobs();

    // One probability changed (same size): other files, imported as usual, here without analysis.
    const changed = Float32Array.from(probs5);
    changed[0] = 0.6;
    changed[1] = 0.3;
    const withChange = {
      run: 'same-5',
      labels: labelsPath,
      probs: files.write('same-probs5-changed.npy', encodeNpy(changed, [5, 3])),
    };
    await ingestClassification(deps(), { ...withChange, analyze: false });
    expect(await currentAnalysis(db, runId)).toBeNull();
    expect(await jobs()).toBe(rerun);
    // The same files again, now to be analysed: the run has no analysis that holds, so it gets one.
    expect(await ingestClassification(deps(), withChange)).toEqual({ ...counts, unchanged: true });
    expect(await jobs()).toBeGreaterThan(rerun);
    expect(await currentAnalysis(db, runId)).toEqual({ kind: 'classification' });
    // Embeddings imported since: the run holds them, as the answer says.
    const emb = files.write('same-emb5.npy', encodeNpy(new Float32Array(10).fill(1), [5, 2]));
    await ingestEmbeddings(deps(), { run: 'same-5', path: emb, analyze: false });
    expect(await ingestClassification(deps(), { ...withChange, analyze: false })).toEqual({
      ...counts,
      embeddings: 5,
      unchanged: true,
    });

    // A label corrected since (in place: no line added): the files are checked against the labels
    // as always, and their old label for that row is refused as a conflict, not answered unchanged.
    await ingestClassification(deps(), {
      run: 'same-5',
      labels: labelsPath,
      probs: probsPath,
      analyze: false,
    });
    await createLabelVersion(db, {
      dataset: 'same-5',
      source: 'correction',
      actor: 'U1',
      changes: [{ op: 'relabel', externalId: '0', label: '1' }],
    });
    await expect(
      ingestClassification(deps(), { run: 'same-5', labels: labelsPath, probs: probsPath, analyze: false }),
    ).rejects.toThrow(/row "0" has label 0/);
  });

  it('takes ids and class names from text files, and a second run shares the dataset rows', async () => {
    const ids = files.write('ids5.txt', 'a\nb\nc\nd\ne\n');
    const names = files.write('names3.txt', 'cat\ndog\nbird\n');
    await ingestClassification(deps(), {
      run: 'named-1',
      dataset: 'named',
      labels: labelsPath,
      probs: probsPath,
      ids,
      classNames: names,
      analyze: false,
    });
    const probsB = files.write('probs5b.npy', encodeNpy(new Float64Array(15).fill(1 / 3), [5, 3]));
    const r = await ingestClassification(deps(), {
      run: 'named-2',
      dataset: 'named',
      labels: labelsPath,
      probs: probsB,
      ids,
      classNames: names,
      analyze: false,
    });
    expect(r).toEqual({
      run: 'named-2',
      dataset: 'named',
      rows: 5,
      annotations: 4,
      predictions: 5,
      embeddings: 0,
      unchanged: false,
    });
    const rows = await rowsOf(ctx().database.db, 'named', 'named-2');
    expect(rows.map((x) => x.external_id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(rows.map((x) => x.pred)).toEqual([0, 0, 0, 0, 0]);
    const [ds] = await rawRows<{ class_names: unknown }>(
      ctx().database.db,
      sql`select class_names from datasets where name = 'named'`,
    );
    expect(ds.class_names).toEqual(['cat', 'dog', 'bird']);
  });

  it("adds only what is not stored: the rows a dataset lacks, a run's missing predictions and embeddings", async () => {
    const idsAtoE = files.write('grow-ids1.txt', 'a\nb\nc\nd\ne\n');
    await ingestClassification(deps(), {
      run: 'grow-1',
      labels: labelsPath,
      probs: probsPath,
      ids: idsAtoE,
      analyze: false,
    });
    // c, d, e again (the same labels: unlabeled, 0, 2) with other probabilities, then f and g.
    const idsCtoG = files.write('grow-ids2.txt', 'c\nd\ne\nf\ng\n');
    const labelsCtoG = files.write(
      'grow-labels2.npy',
      encodeNpy(new BigInt64Array([-1n, 0n, 2n, 1n, -1n]), [5]),
    );
    const probsCtoG = files.write('grow-probs2.npy', encodeNpy(new Float32Array(15).fill(1 / 3), [5, 3]));
    const r = await ingestClassification(deps(), {
      run: 'grow-1',
      labels: labelsCtoG,
      probs: probsCtoG,
      ids: idsCtoG,
      analyze: false,
    });
    expect(r).toEqual({
      run: 'grow-1',
      dataset: 'grow-1',
      rows: 7,
      annotations: 5,
      predictions: 7,
      embeddings: 0,
      unchanged: false,
    });
    const rows = await rowsOf(ctx().database.db, 'grow-1', 'grow-1');
    expect(rows.map((x) => [x.external_id, x.ann, x.labeled])).toEqual([
      ['a', 0, true],
      ['b', 1, true],
      ['c', null, false],
      ['d', 0, true],
      ['e', 2, true],
      ['f', 1, true],
      ['g', null, false],
    ]);
    // The stored predictions stand; the new rows have the new file's.
    expect(rows.map((x) => x.pred)).toEqual([0, 1, 2, 2, 2, 0, 0]);
    expect(rows.map((x) => x.probs[0].toFixed(4))).toEqual([
      '0.7000',
      '0.1000',
      '0.3000',
      '0.2500',
      '0.0500',
      '0.3333',
      '0.3333',
    ]);
    // Embeddings by id: a and b first, then a to c; a and b keep their first vectors.
    const emb1 = files.write(
      'grow-emb1.jsonl',
      '{"id": "a", "embedding": [1, 0]}\n{"id": "b", "embedding": [0, 1]}\n',
    );
    const emb2 = files.write(
      'grow-emb2.jsonl',
      '{"id": "a", "embedding": [5, 5]}\n{"id": "b", "embedding": [5, 5]}\n{"id": "c", "embedding": [1, 1]}\n',
    );
    expect(await ingestEmbeddings(deps(), { run: 'grow-1', path: emb1, analyze: false })).toEqual({
      embeddings: 2,
    });
    expect(await ingestEmbeddings(deps(), { run: 'grow-1', path: emb2, analyze: false })).toEqual({
      embeddings: 3,
    });
    const vectors = await rawRows<{ external_id: string; vector: Uint8Array }>(
      ctx().database.db,
      sql`select r.external_id, e.vector from embeddings e join data_rows r on r.id = e.row_id
          where e.run_id = (select id from model_runs where name = 'grow-1') order by r.external_id`,
    );
    expect(
      vectors.map((v) => [v.external_id, ...new Float32Array(Uint8Array.from(v.vector).buffer)]),
    ).toEqual([
      ['a', 1, 0],
      ['b', 0, 1],
      ['c', 1, 1],
    ]);
    // The same files again with an embedding for d: only the vector is new, so the run changed;
    // then the same once more, which adds nothing.
    const again = { run: 'grow-1', labels: labelsCtoG, probs: probsCtoG, ids: idsCtoG, analyze: false };
    const emb3 = files.write('grow-emb3.jsonl', '{"id": "d", "embedding": [0, 2]}\n');
    const counts = {
      run: 'grow-1',
      dataset: 'grow-1',
      rows: 7,
      annotations: 5,
      predictions: 7,
      embeddings: 4,
    };
    expect(await ingestClassification(deps(), { ...again, embeddings: emb3 })).toEqual({
      ...counts,
      unchanged: false,
    });
    expect(await ingestClassification(deps(), { ...again, embeddings: emb3 })).toEqual({
      ...counts,
      unchanged: true,
    });
  });

  it('imports a CSV table with names, empty labels, image urls and extra columns', async () => {
    const csv = files.write(
      'preds.csv',
      [
        'id,label,p_0,p_1,p_2,image_url,width,height,split',
        'x1,cat,0.9,0.05,0.05,http://img/1.png,32,24,val',
        'x2,2,0.1,0.1,0.8,,,,val',
        'x3,,0.2,0.5,0.3,http://img/3.png,32,24,pool',
        'x4,-1,0.2,0.2,0.6,,,,pool',
        '',
      ].join('\n'),
    );
    const names = files.write('names-csv.txt', 'cat\ndog\nbird\n');
    const r = await ingestClassification(deps(), {
      run: 'csv',
      table: csv,
      classNames: names,
      analyze: false,
    });
    expect(r).toEqual({
      run: 'csv',
      dataset: 'csv',
      rows: 4,
      annotations: 2,
      predictions: 4,
      embeddings: 0,
      unchanged: false,
    });
    const rows = await rowsOf(ctx().database.db, 'csv', 'csv');
    expect(rows.map((x) => [x.external_id, x.labeled, x.ann, x.pred])).toEqual([
      ['x1', true, 0, 0],
      ['x2', true, 2, 2],
      ['x3', false, null, 1],
      ['x4', false, null, 2],
    ]);
    expect(rows[0]).toMatchObject({ image_url: 'http://img/1.png', width: 32, metadata: { split: 'val' } });
    expect(rows[1].image_url).toBeNull();
  });

  it('imports a JSONL table', async () => {
    const jsonl = files.write(
      'preds.jsonl',
      [
        '{"id": "j1", "label": 1, "probs": [0.1, 0.9], "image_url": "http://img/j1.png", "width": 8, "height": 8, "metadata": {"source": "cam"}}',
        '{"id": "j2", "label": null, "probs": [0.6, 0.4]}',
        '',
        '{"id": 3, "label": "0", "probs": [0.5004, 0.5]}',
      ].join('\n'),
    );
    const r = await ingestClassification(deps(), { run: 'jsonl', table: jsonl, analyze: false });
    expect(r).toEqual({
      run: 'jsonl',
      dataset: 'jsonl',
      rows: 3,
      annotations: 2,
      predictions: 3,
      embeddings: 0,
      unchanged: false,
    });
    const rows = await rowsOf(ctx().database.db, 'jsonl', 'jsonl');
    expect(rows.map((x) => [x.external_id, x.labeled, x.ann, x.pred])).toEqual([
      ['j1', true, 1, 1],
      ['j2', false, null, 0],
      ['3', true, 0, 0],
    ]);
    expect(rows[0]).toMatchObject({ image_url: 'http://img/j1.png', width: 8, metadata: { source: 'cam' } });
  });

  const badCases: [string, () => Parameters<typeof ingestClassification>[1], string | RegExp][] = [
    [
      'a truncated .npy',
      () => {
        const whole = encodeNpy(new Float32Array(15).fill(1 / 3), [5, 3]);
        return {
          run: 'np5',
          labels: labelsPath,
          probs: files.write('trunc.npy', whole.subarray(0, whole.length - 4)),
        };
      },
      'trunc.npy: truncated: shape (5, 3) of <f4 needs 60 data bytes, the file has 56',
    ],
    [
      'a probability row not summing to 1',
      () => {
        const p = Float64Array.from(probs5);
        p[9] = 0.2; // row 3: 0.2 + 0.25 + 0.5
        return { run: 'np5', labels: labelsPath, probs: files.write('pred_probs.npy', encodeNpy(p, [5, 3])) };
      },
      'pred_probs.npy: row 3: sums to 0.95, expected 1 ± 0.001',
    ],
    [
      'a label outside the class range',
      () => ({
        run: 'np5',
        probs: probsPath,
        labels: files.write('labels-bad.npy', encodeNpy(new Int32Array([0, 1, 3, 0, 2]), [5])),
      }),
      'labels-bad.npy: row 2: label 3 is outside the class range, expected an integer in [0, 3) or -1 for unlabeled',
    ],
    [
      'a duplicate id',
      () => ({
        run: 'dup',
        table: files.write('dup.csv', 'id,label,p_0,p_1\na,0,1,0\nb,1,0,1\na,1,0.5,0.5\n'),
      }),
      'dup.csv: line 4: duplicate id "a" (first at dup.csv: line 2), expected unique ids',
    ],
    [
      'labels and probabilities of different lengths',
      () => ({
        run: 'np5',
        probs: probsPath,
        labels: files.write('labels4.npy', encodeNpy(new Uint16Array([0, 1, 2, 0]), [4])),
      }),
      'labels4.npy: shape (4,) has 4 labels, expected 5 (the rows of probs5.npy)',
    ],
    [
      'fewer ids than rows',
      () => ({
        run: 'np5',
        probs: probsPath,
        labels: labelsPath,
        ids: files.write('ids4.txt', 'a\nb\nc\nd\n'),
      }),
      'ids4.txt: has 4 lines, expected 5 (one id per row of probs5.npy)',
    ],
    [
      'a NaN probability in JSONL',
      () => ({
        run: 'nan',
        table: files.write(
          'nan.jsonl',
          '{"id":"a","label":0,"probs":[1,0]}\n{"id":"b","label":0,"probs":[null,1]}\n',
        ),
      }),
      'nan.jsonl: line 2, field p_0: null, expected a number in [0, 1]',
    ],
    [
      'a label that differs from the ground truth already stored',
      () => ({
        run: 'np5-other',
        dataset: 'np5',
        probs: probsPath,
        labels: files.write('labels-changed.npy', encodeNpy(new Int32Array([0, 1, -1, 1, 2]), [5])),
      }),
      /^labels-changed\.npy: row 3: row "3" has label 1 \(1\), but dataset "np5" already stores 0 \(0\) for it/,
    ],
  ];
  // The same faults in a new dataset, which the direct path (one COPY per table) writes.
  badCases.push(
    [
      'a probability row not summing to 1, in a new dataset',
      () => {
        const p = Float64Array.from(probs5);
        p[12] = 0.5; // row 4: 0.5 + 0.05 + 0.9
        return { run: 'fresh-bad', probs: files.write('fresh_probs.npy', encodeNpy(p, [5, 3])) };
      },
      'fresh_probs.npy: row 4: sums to 1.45, expected 1 ± 0.001',
    ],
    [
      'a label outside the class range, in a new dataset',
      () => ({
        run: 'fresh-bad',
        probs: probsPath,
        labels: files.write('fresh-labels.npy', encodeNpy(new Int32Array([0, 1, 2, 0, 7]), [5])),
      }),
      'fresh-labels.npy: row 4: label 7 is outside the class range, expected an integer in [0, 3) or -1 for unlabeled',
    ],
    [
      'embeddings with more rows than the new dataset',
      () => ({
        run: 'fresh-bad',
        probs: probsPath,
        embeddings: files.write('emb6.npy', encodeNpy(new Float32Array(12).fill(0.5), [6, 2])),
      }),
      'emb6.npy: shape (6, 2) has 6 rows, expected 5 (one per row of the predictions, in the same order)',
    ],
  );
  for (const [what, opts, message] of badCases) {
    it(`refuses ${what} with a clear error and changes nothing`, async () => {
      const before = await snapshot(ctx().database.db);
      const err = await ingestClassification(deps(), { ...opts(), analyze: false }).catch((e) => e);
      expect(err).toBeInstanceOf(IngestError);
      if (typeof message === 'string') expect(err.message).toBe(message);
      else expect(err.message).toMatch(message);
      expect(await snapshot(ctx().database.db)).toEqual(before);
    });
  }

  it('writes a new .npy dataset straight into the tables, exactly as the staged path would', async () => {
    const emb = files.write(
      'emb5.npy',
      encodeNpy(
        new Float32Array(10).map((_, i) => i / 4),
        [5, 2],
      ),
    );
    const direct = await ingestClassification(deps(), {
      run: 'direct-5',
      labels: labelsPath,
      probs: probsPath,
      embeddings: emb,
      analyze: false,
    });
    // An ids file is read once, as a stream, so this import takes the staged path; its labels and
    // predictions take ids from the sequences, so a block the direct path reserved badly would collide.
    const staged = await ingestClassification(deps(), {
      run: 'staged-5',
      labels: labelsPath,
      probs: probsPath,
      embeddings: emb,
      ids: files.write('ids5.txt', '0\n1\n2\n3\n4\n'),
      analyze: false,
    });
    expect({ ...direct, run: '', dataset: '' }).toEqual({ ...staged, run: '', dataset: '' });
    expect(direct).toMatchObject({ rows: 5, annotations: 4, predictions: 5, embeddings: 5 });
    const db = ctx().database.db;
    expect(await rowsOf(db, 'direct-5', 'direct-5')).toEqual(await rowsOf(db, 'staged-5', 'staged-5'));
    const vectors = (dataset: string) =>
      rawRows<{ external_id: string; dim: number; vector: Uint8Array }>(
        db,
        sql`select r.external_id, e.dim, e.vector from embeddings e join data_rows r on r.id = e.row_id
            join datasets d on d.id = r.dataset_id where d.name = ${dataset} order by r.id`,
      );
    const a = await vectors('direct-5');
    expect(
      a.map((v) => [v.external_id, v.dim, Array.from(new Float32Array(Uint8Array.from(v.vector).buffer))]),
    ).toEqual([0, 1, 2, 3, 4].map((i) => [String(i), 2, [(2 * i) / 4, (2 * i + 1) / 4]]));
    expect(a.map((v) => Buffer.from(v.vector))).toEqual(
      (await vectors('staged-5')).map((v) => Buffer.from(v.vector)),
    );
    // Row ids follow file order, and the id blocks were taken from the sequences.
    const [ids] = await rawRows<{ rows: number; gaps: number }>(
      db,
      sql`select count(*)::int as rows, (max(id) - min(id) + 1 - count(*))::int as gaps from data_rows
          where dataset_id = (select id from datasets where name = 'direct-5') and external_id = (id - (
            select min(id) from data_rows where dataset_id = (select id from datasets where name = 'direct-5')))::text`,
    );
    expect(ids).toEqual({ rows: 5, gaps: 0 });
  });

  it('attaches .npy embeddings to a dataset whose rows are an index block, refusing extra rows', async () => {
    await ingestClassification(deps(), {
      run: 'block-5',
      labels: labelsPath,
      probs: probsPath,
      analyze: false,
    });
    const before = await snapshot(ctx().database.db);
    const six = files.write('emb-six.npy', encodeNpy(new Float32Array(12).fill(1), [6, 2]));
    const err = await ingestEmbeddings(deps(), { run: 'block-5', path: six, analyze: false }).catch((e) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect(err.message).toBe(
      'emb-six.npy: row 5: id "5" is not a row of the dataset, expected the id of an imported row',
    );
    expect(await snapshot(ctx().database.db)).toEqual(before);
    const four = files.write('emb-four.npy', encodeNpy(new Float32Array(8).fill(2), [4, 2]));
    expect(await ingestEmbeddings(deps(), { run: 'block-5', path: four, analyze: false })).toEqual({
      embeddings: 4,
    });
    // The planner counts the lines just written (without it, the pages an index build reads were
    // each a sort of the whole run).
    await expectPlannerCountsEmbeddings(ctx().database.db);
    // A second file for the same run takes the staged path and changes nothing it already has.
    expect(await ingestEmbeddings(deps(), { run: 'block-5', path: four, analyze: false })).toEqual({
      embeddings: 4,
    });
  });

  it('attaches embeddings by id and refuses an unknown id without changing anything', async () => {
    const emb = files.write(
      'emb.jsonl',
      '{"id": "b", "embedding": [1, 2.5]}\n{"id": "a", "embedding": [0.5, -1]}\n',
    );
    expect(await ingestEmbeddings(deps(), { run: 'named-1', path: emb, analyze: false })).toEqual({
      embeddings: 2,
    });
    await expectPlannerCountsEmbeddings(ctx().database.db);
    const [v] = await rawRows<{ dim: number; vector: Uint8Array }>(
      ctx().database.db,
      sql`select e.dim, e.vector from embeddings e join data_rows r on r.id = e.row_id where r.external_id = 'b'
          and e.run_id = (select id from model_runs where name = 'named-1')`,
    );
    expect(v.dim).toBe(2);
    expect(Array.from(new Float32Array(Uint8Array.from(v.vector).buffer))).toEqual([1, 2.5]);
    const before = await snapshot(ctx().database.db);
    const bad = files.write(
      'emb-bad.jsonl',
      '{"id": "c", "embedding": [1, 1]}\n{"id": "zz", "embedding": [0, 0]}\n',
    );
    const err = await ingestEmbeddings(deps(), { run: 'named-2', path: bad, analyze: false }).catch((e) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect(err.message).toBe(
      'emb-bad.jsonl: line 2: id "zz" is not a row of the dataset, expected the id of an imported row',
    );
    expect(await snapshot(ctx().database.db)).toEqual(before);
  });

  it.runIf(hasShared)(
    'imports the digits demo set: float32 probabilities, CSV labels, embeddings',
    async () => {
      const dir = join(SHARED, 'digits');
      const r = await ingestClassification(deps(), {
        run: 'digits',
        probs: join(dir, 'pred_probs.npy'),
        labels: join(dir, 'digits.csv.gz'),
        embeddings: join(dir, 'embeddings.npy'),
        analyze: false,
      });
      expect(r).toEqual({
        run: 'digits',
        dataset: 'digits',
        rows: 1797,
        annotations: 1797,
        predictions: 1797,
        embeddings: 1797,
        unchanged: false,
      });
      const [acc] = await rawRows<{ n: number }>(
        ctx().database.db,
        sql`select count(*)::int as n from predictions p join annotations a on a.row_id = p.row_id
          where p.run_id = (select id from model_runs where name = 'digits') and a.label = p.label`,
      );
      expect((acc.n / 1797).toFixed(3)).toBe('0.971'); // digits.rst: accuracy 0.971
      const raw = readFileSync(join(dir, 'embeddings.npy'));
      const [e] = await rawRows<{ vector: Uint8Array }>(
        ctx().database.db,
        sql`select e.vector from embeddings e join data_rows r on r.id = e.row_id
          where r.external_id = '1796' and r.dataset_id = (select id from datasets where name = 'digits')`,
      );
      expect(Buffer.from(e.vector).equals(raw.subarray(raw.length - 64))).toBe(true);
    },
  );

  // Published accuracies of argmax(pred_probs) vs labels (Northcutt et al. 2021, data/README.md).
  const published: [string, number, number][] = [
    ['mnist', 10000, 0.9913],
    ['20news', 7532, 0.9234],
  ];
  for (const [name, n, accuracy] of published) {
    it.runIf(hasShared)(`imports label-errors/${name} as published (accuracy ${accuracy})`, async () => {
      const dir = join(SHARED, 'label-errors', name);
      const r = await ingestClassification(deps(), {
        run: `le-${name}`,
        labels: join(dir, 'labels.npy'),
        probs: join(dir, 'pred_probs.npy'),
        analyze: false,
      });
      expect(r).toMatchObject({ rows: n, annotations: n, predictions: n });
      const [acc] = await rawRows<{ n: number }>(
        ctx().database.db,
        sql`select count(*)::int as n from predictions p join annotations a on a.row_id = p.row_id
            where p.run_id = (select id from model_runs where name = ${`le-${name}`}) and a.label = p.label`,
      );
      expect((acc.n / n).toFixed(4)).toBe(String(accuracy));
    });
  }
});
