import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import type { DetectionMetricsDoc } from '../../src/analyze/detection-summary.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { metricsOutput } from '../../src/cli/metrics.ts';
import { type ObjectsDocument, registerObjects } from '../../src/cli/objects.ts';
import { createComputePool } from '../../src/compute/pool.ts';
import { evaluateCoco } from '../../src/metrics/coco-eval.ts';
import { classifyObjects, outcomeCounts } from '../../src/metrics/detection-errors.ts';
import { ingestCoco } from '../../src/ingest/index.ts';
import { listErrors } from '../../src/store/errors.ts';
import { imageOutcomeCounts, listObjects } from '../../src/store/objects.ts';
import { findRun } from '../../src/store/run-lookup.ts';
import { resolveRowIds } from '../../src/store/rows.ts';
import { rawRows } from '../../db/raw.ts';
import { describeEachDriver, objectSource, testDeps } from '../helpers/db.ts';
import { SHARED } from '../ingest/fixtures.ts';
import { loadSample } from '../metrics/coco-sample-data.ts';

const dir = join(SHARED, 'coco-val2014-100');
const itData = it.skipIf(!existsSync(dir));

describeEachDriver('per-object outcomes of the COCO sample, stored and listed', (ctx) => {
  async function run(args: string[]): Promise<string> {
    let out = '';
    const cli: CliContext = {
      io: {
        out: (s) => {
          out += s;
        },
        err: () => {},
        fail: () => {},
        progress: 'off',
      },
      withDeps: (fn) => fn(testDeps(ctx().database)),
      localServer: () => null,
    };
    const program = new Command('loupe').exitOverride().configureOutput({ writeErr: () => {} });
    registerObjects(program, cli);
    await program.parseAsync(args, { from: 'user' });
    return out;
  }
  const sample = loadSample();
  const ev = evaluateCoco(sample, {}, { keepMatches: true });
  const o = classifyObjects(sample.gts, sample.dets, ev.matches!, ev.params.iouThrs);
  let runId = 0;

  itData('ingests and stores the totals at every threshold, and the dAP breakdown', async () => {
    const deps = testDeps(ctx().database);
    await ingestCoco(deps, {
      run: 'coco100',
      gt: join(dir, 'instances.json'),
      pred: join(dir, 'results.json'),
    });
    const found = await findRun(deps.db, 'coco100');
    runId = found!.id;
    const doc = found!.metrics as unknown as DetectionMetricsDoc;
    for (let t = 0; t < 10; t++) expect(doc.objects.totals[t]).toEqual(outcomeCounts(o, t).get(null));
    expect(doc.objects.totals[0]).toMatchObject({ fp: 85, fn: 181 });
    expect(Object.keys(doc.errors).sort()).toEqual(['bkg', 'both', 'cls', 'dupe', 'loc', 'missed']);
    for (const v of Object.values(doc.errors)) expect(v).toBeGreaterThanOrEqual(0);
    const json = JSON.parse(await metricsOutput(deps, { run: 'coco100', json: true }));
    expect(json.errors).toEqual(doc.errors);
  });

  itData('per image, the stored outcomes count what COCOeval matched', async () => {
    const { db } = ctx().database;
    const ids = sample.imageIds.map(String);
    const rows = await resolveRowIds(db, { runId, ids });
    const extOf = new Map([...rows].map(([ext, row]) => [row, Number(ext)]));
    for (const t of [0, 5]) {
      const stored = await imageOutcomeCounts(objectSource(db), runId, t, [...rows.values()]);
      const expected = outcomeCounts(
        o,
        t,
        (j) => sample.dets[j].imageId,
        (g) => sample.gts[g].imageId,
      );
      const got = new Map([...stored].map(([row, c]) => [extOf.get(row)!, c]));
      for (const [image, c] of expected)
        if (c.tp + c.fp + c.fn > 0) expect(got.get(image as number), `image ${image}`).toEqual(c);
      expect(got.size).toBe([...expected.values()].filter((c) => c.tp + c.fp + c.fn > 0).length);
    }
  });

  itData('pages by keyset without gaps or repeats, for every sort', async () => {
    const { db } = ctx().database;
    for (const sort of ['confidence:asc', 'confidence:desc', 'iou:asc'] as const) {
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await listObjects(objectSource(db), {
          runId,
          t: 0,
          kind: 'fp',
          sort,
          limit: 20,
          cursor,
        });
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(new Set(seen).size).toBe(85);
      expect(seen.length).toBe(85);
      expect(pages).toBe(5);
    }
  });

  itData('loupe objects --json prints one document as specified', async () => {
    const doc = JSON.parse(
      await run(['objects', '--run', 'coco100', '--iou', '0.5', '--limit', '1000', '--json']),
    ) as ObjectsDocument;
    expect(Object.keys(doc)).toEqual(['run', 'iou', 'totals', 'items', 'nextCursor']);
    expect(doc.iou).toBe(0.5);
    const { tp, fp, fn } = doc.totals;
    expect(doc.items.length).toBe(tp + fp + fn);
    expect(doc.nextCursor).toBeNull();
    for (const i of doc.items) {
      expect(Object.keys(i)).toEqual([
        'image',
        'kind',
        'type',
        'class',
        'predicted',
        'score',
        'iou',
        'annotation',
      ]);
      if (i.kind === 'tp')
        expect([i.type, i.class === i.predicted, i.annotation !== null]).toEqual(['ok', true, true]);
      if (i.kind === 'fn')
        expect([i.predicted, i.score, ['missed', 'cls', 'loc'].includes(i.type)]).toEqual([null, null, true]);
      if (i.type === 'bkg') expect([i.class, i.annotation]).toEqual([null, null]);
      if (i.kind === 'fp' && i.type === 'cls') expect(i.class).not.toBe(i.predicted);
    }
    // Image 387: one of two laptops missed; image 715: a refrigerator false positive.
    expect(doc.items.some((i) => i.image === '387' && i.kind === 'fn' && i.class === 'laptop')).toBe(true);
    expect(
      doc.items.some((i) => i.image === '715' && i.kind === 'fp' && i.predicted === 'refrigerator'),
    ).toBe(true);
    // Filters narrow items, never totals.
    const cls = JSON.parse(
      await run([
        'objects',
        '--run',
        'coco100',
        '--kind',
        'fp',
        '--type',
        'cls',
        '--limit',
        '1000',
        '--json',
      ]),
    ) as ObjectsDocument;
    expect(cls.totals).toEqual(doc.totals);
    expect(cls.items.every((i) => i.kind === 'fp' && i.type === 'cls')).toBe(true);
    expect(cls.items.length).toBe(doc.items.filter((i) => i.kind === 'fp' && i.type === 'cls').length);
    const person = JSON.parse(
      await run([
        'objects',
        '--run',
        'coco100',
        '--class',
        'person',
        '--iou',
        '0.75',
        '--limit',
        '1000',
        '--json',
      ]),
    ) as ObjectsDocument;
    expect(person.iou).toBe(0.75);
    expect(person.items.length).toBeGreaterThan(0);
    expect(person.items.every((i) => i.class === 'person' || i.predicted === 'person')).toBe(true);
  });

  itData(
    'the errors list at IoU t holds the images with any fp or fn at t, each with its worst object',
    async () => {
      const { db } = ctx().database;
      for (const [t, iou] of [
        [0, 0.5],
        [5, 0.75],
      ]) {
        const expected = outcomeCounts(
          o,
          t,
          (j) => sample.dets[j].imageId,
          (g) => sample.gts[g].imageId,
        );
        const wrong = [...expected].filter(([, c]) => c.fp + c.fn > 0);
        const page = await listErrors(objectSource(db), { runId, iouBelow: iou, limit: 1000 });
        expect(page.total).toBe(wrong.length);
        if (t === 0) {
          expect(page.total).toBe(65);
          expect(page.items.map((i) => i.id)).toEqual(expect.arrayContaining(['387', '715']));
        }
        const all = await listObjects(objectSource(db), { runId, t, limit: 1000 });
        for (const item of page.items) {
          expect(item.objects).toEqual(expected.get(Number(item.id)));
          const w = item.worst!;
          expect(w.kind).not.toBe('tp');
          // The card's label, prediction, score and IoU are one object's.
          const same = all.items.filter(
            (x) =>
              x.image === item.id &&
              x.kind === w.kind &&
              x.type === w.type &&
              x.score === w.score &&
              x.iou === item.iou &&
              x.annotation === w.annotation,
          );
          expect(same.length, `image ${item.id}`).toBeGreaterThan(0);
          if (w.kind === 'fp') {
            // The most confident false positive of the image.
            const fps = all.items.filter((x) => x.image === item.id && x.kind === 'fp').map((x) => x.score!);
            expect(w.score).toBe(Math.max(...fps));
          }
        }
      }
      // Image 1180: a bear predicted on a dining table is a cls error at the box's real IoU.
      const page = await listErrors(objectSource(db), { runId, iouBelow: 0.5, limit: 1000 });
      const bear = page.items.find((i) => i.id === '1180')!;
      expect(bear).toMatchObject({ label: 'dining table', predicted: 'bear' });
      expect(bear.worst).toMatchObject({ kind: 'fp', type: 'cls', score: 0.957 });
      expect(bear.iou).toBeCloseTo(0.962, 3);
      await expect(listErrors(objectSource(db), { runId, iouBelow: 0.52 })).rejects.toThrow(
        /COCOeval's IoU thresholds/,
      );
    },
  );

  itData(
    'with a compute pool, the run is decoded and walked in its thread, once per write',
    async () => {
      const { db } = ctx().database;
      const compute = createComputePool({ threads: 1, idleTimeoutMs: 1000 });
      try {
        const deps = testDeps(ctx().database, { compute });
        const q = { runId, t: 0, kind: 'fp', sort: 'confidence:desc', limit: 30 } as const;
        const inline = await listObjects(objectSource(db), q);
        expect(compute.stats().completed).toBe(0);
        // First page: one task decodes the run, one lists the fps; the answer is the inline one.
        const pooled = await listObjects(deps, q);
        expect(pooled).toEqual(inline);
        expect(compute.stats().completed).toBe(2);
        expect(deps.objectCache.stats()).toMatchObject({ runs: 1 });
        // Its next page, the errors list and the row view are walks of the kept copy on this thread.
        await listObjects(deps, { ...q, cursor: pooled.nextCursor as string });
        const errors = await listErrors(deps, { runId, iouBelow: 0.5, limit: 50 });
        expect(errors).toEqual(await listErrors(objectSource(db), { runId, iouBelow: 0.5, limit: 50 }));
        await listObjects(deps, { runId, t: 0, rowId: errors.items[0].rowId, sort: 'iou:asc' });
        expect(compute.stats().completed).toBe(2);
        // Another filter: one walk in the pool, no decode.
        await listObjects(deps, { ...q, kind: 'fn' });
        expect(compute.stats().completed).toBe(3);
        // A new write of the run's outcomes (a new generation) drops the kept copy: decoded again.
        await db.execute(
          sql`update object_outcome_runs set generation = nextval('object_outcomes_generation') where run_id = ${runId}::int`,
        );
        expect(await listObjects(deps, q)).toEqual(inline);
        expect(compute.stats().completed).toBe(5);
      } finally {
        await compute.close();
      }
      // A pool thread compiles the task modules when it starts, which takes long on a loaded machine.
    },
    240_000,
  );

  itData('bad flags get clear errors', async () => {
    await expect(run(['objects', '--run', 'coco100', '--iou', '0.52'])).rejects.toThrow(/0\.5, 0\.55/);
    await expect(run(['objects', '--run', 'coco100', '--kind', 'tn'])).rejects.toThrow(/tp, fp, fn/);
    await expect(run(['objects', '--run', 'coco100', '--type', 'box'])).rejects.toThrow(/cls/);
    await expect(run(['objects', '--run', 'coco100', '--limit', '1001'])).rejects.toThrow(/1 to 1000/);
    await expect(run(['objects', '--run', 'coco100', '--class', 'persn'])).rejects.toThrow(
      /did you mean person/,
    );
    await expect(run(['objects', '--run', 'coco100', '--cursor', 'xyz'])).rejects.toThrow(/page token/);
    await expect(run(['objects', '--run', 'coco10'])).rejects.toThrow(/did you mean "coco100"/);
    const page = JSON.parse(
      await run(['objects', '--run', 'coco100', '--limit', '1', '--json']),
    ) as ObjectsDocument;
    await expect(
      run(['objects', '--run', 'coco100', '--iou', '0.75', '--cursor', page.nextCursor!]),
    ).rejects.toThrow(/another --iou/);
  });

  itData('deleting a row, a run or a dataset deletes its bulk lines (no foreign keys there)', async () => {
    const { db } = ctx().database;
    const count = async (where: string, table = 'object_outcomes') => {
      const q = sql.raw(`select count(*)::int as n from ${table} where ${where}`);
      return Number((await rawRows<{ n: number }>(db, q))[0].n);
    };
    const [row] = [...(await resolveRowIds(db, { runId, ids: ['387'] })).values()];
    expect(await count(`row_id = ${row}`)).toBeGreaterThan(0);
    expect(await count(`row_id = ${row}`, 'row_scores')).toBeGreaterThan(0);
    expect(await count(`row_id = ${row}`, 'annotations')).toBeGreaterThan(0);
    await db.execute(sql`delete from data_rows where id = ${row}`);
    for (const table of ['object_outcomes', 'annotations', 'predictions', 'row_scores'])
      expect(await count(`row_id = ${row}`, table)).toBe(0);
    expect(await count(`run_id = ${runId}`)).toBeGreaterThan(0);
    expect(await count(`run_id = ${runId}`, 'predictions')).toBeGreaterThan(0);
    const [{ dataset }] = await rawRows<{ dataset: number }>(
      db,
      sql`select dataset_id as dataset from model_runs where id = ${runId}`,
    );
    await db.execute(sql`delete from model_runs where id = ${runId}`);
    for (const table of ['object_outcomes', 'predictions', 'row_scores', 'label_flags'])
      expect(await count(`run_id = ${runId}`, table)).toBe(0);
    expect(await count(`dataset_id = ${dataset}`, 'data_rows')).toBeGreaterThan(0);
    await db.execute(sql`delete from datasets where id = ${dataset}`);
    expect(await count(`dataset_id = ${dataset}`, 'data_rows')).toBe(0);
  });
});
