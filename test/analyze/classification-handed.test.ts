import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import { rawRows } from '../../db/raw.ts';
import { analyzeRun } from '../../src/analyze/run.ts';
import type { Deps } from '../../src/deps.ts';
import { createLogger } from '../../src/deps.ts';
import { ingestClassification } from '../../src/ingest/index.ts';
import { encodeNpy } from '../../src/ingest/npy.ts';
import { createRandom } from '../../src/random.ts';
import { classificationAhead } from '../../src/findings/classification-ahead.ts';
import { classificationRun } from '../../src/findings/classification-run.ts';
import { parseFindingsOptions } from '../../src/findings/options.ts';
import { type Handed, currentHandedInputs } from '../../src/store/analysis.ts';
import { loadClassificationRows, loadFindingsRun } from '../../src/store/findings-inputs.ts';
import { countImport, importMarks } from '../../src/store/ingest.ts';
import { bulkOf } from '../../src/store/ingest-tx.ts';
import { findRun } from '../../src/store/run-lookup.ts';
import { storedAnalysis } from '../helpers/builder.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { hasSharedData } from '../helpers/shared-data.ts';
import { scratch } from '../ingest/fixtures.ts';

const news = new URL('../../../shared/data/label-errors/20news', import.meta.url).pathname;
const files = scratch();
afterAll(files.cleanup);

/** 600 rows × 4 classes, a quarter unlabeled (-1), some rows with a tie for the top class. */
function poolFiles(): { labels: string; probs: string } {
  const random = createRandom(14);
  const n = 600;
  const k = 4;
  const labels = new BigInt64Array(n);
  const probs = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    labels[i] = random.between(0, 1) < 0.25 ? -1n : BigInt(random.int(k));
    const p = Array.from({ length: k }, () => random.between(0.01, 1.01));
    if (i % 50 === 0) p[1] = p[2] = Math.max(...p);
    const sum = p.reduce((a, b) => a + b, 0);
    p.forEach((v, j) => {
      probs[i * k + j] = v / sum;
    });
  }
  return {
    labels: files.write('pool-labels.npy', encodeNpy(labels, [n])),
    probs: files.write('pool-probs.npy', encodeNpy(probs, [n, k])),
  };
}

/** What the analysis stored for run `name`. */
async function stored(deps: Deps, name: string) {
  return storedAnalysis(deps.db, (await findRun(deps.db, name))!.id);
}

// The analysis `loupe ingest` runs after importing a new dataset from .npy files takes the rows
// the import read instead of reading them back, and writes their lines as they are instead of
// joining the tables; what it stores must be what reading and joining give, line for line.
describeEachDriver('classification analysis from the rows the import holds', (ctx) => {
  async function handedEqualsRead(name: string, input: { labels: string; probs: string }) {
    const lines: string[] = [];
    const deps = testDeps(ctx().database, {
      logger: createLogger({ level: 'info', write: (l) => lines.push(l) }),
    });
    await ingestClassification(deps, { run: name, ...input });
    const findings = lines.filter((l) => l.includes('findings computed'));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toContain('"read":"handed by the import"');
    const handed = await stored(deps, name);
    await analyzeRun(deps, (await findRun(deps.db, name))!.id);
    expect(lines.filter((l) => l.includes('findings computed')).at(-1)).toContain('"read":"from the tables"');
    expect(await stored(deps, name)).toEqual(handed);
    return handed;
  }

  it.runIf(hasSharedData('label-errors/20news/labels.npy', '20news ingest'))(
    'stores what reading the tables gives: scores, flags and metrics (20news)',
    async () => {
      const handed = await handedEqualsRead('news-handed', {
        labels: join(news, 'labels.npy'),
        probs: join(news, 'pred_probs.npy'),
      });
      expect(handed.scores.length).toBe(7532);
      expect(handed.flags.length).toBeGreaterThan(0);
    },
  );

  it('stores what reading the tables gives with an unlabeled pool and tied top classes', async () => {
    const handed = await handedEqualsRead('pool-handed', poolFiles());
    expect(handed.scores.length).toBe(600);
    const unlabeled = handed.scores.filter((s) => !s.labeled);
    expect(unlabeled.length).toBeGreaterThan(100);
    expect(unlabeled.every((s) => s.iou === null && s.label === null && s.numGt === 0)).toBe(true);
    expect(unlabeled.every((s) => s.uncertaintyLeast !== null)).toBe(true);
  });

  it('reads the tables when the rows changed after the import', async () => {
    const lines: string[] = [];
    const deps = testDeps(ctx().database, {
      logger: createLogger({ level: 'info', write: (l) => lines.push(l) }),
    });
    const input = poolFiles();
    await ingestClassification(deps, { run: 'pool-stale', ...input, analyze: false });
    const run = (await findRun(deps.db, 'pool-stale'))!;
    // What an import of this dataset would hand over, with one more row than the tables hold.
    const rows = await rawRows<{ n: number }>(
      deps.db,
      sql`select count(*)::int as n from data_rows where dataset_id = ${run.datasetId}`,
    );
    await analyzeRun(deps, run.id, {
      classificationRows: {
        runId: run.id,
        counts: { rows: rows[0].n + 1, annotations: 0, predictions: 0 },
        labelVersion: 1,
        inputs: {
          rowIds: [],
          labels: new Int32Array(0),
          probs: new Float32Array(0),
          k: 4,
          stored: new Uint8Array(0),
          predicted: new Int32Array(0),
          score: new Float64Array(0),
        },
      },
    });
    expect(lines.filter((l) => l.includes('findings computed')).at(-1)).toContain('"read":"from the tables"');
    expect((await stored(deps, 'pool-stale')).scores.length).toBe(600);
  });

  it('trusts what the import handed while its marks stand, else counts the tables', async () => {
    const deps = testDeps(ctx().database);
    const input = poolFiles();
    await ingestClassification(deps, { run: 'pool-marks', ...input, analyze: false });
    const run = (await findRun(deps.db, 'pool-marks'))!;
    const bulk = bulkOf(deps.db);
    const marks = await importMarks(bulk);
    const counts = await countImport(bulk, run.datasetId, run.id);
    expect(counts.rows).toBe(600);
    const inputs = { rows: 'as the import read them' };
    const handed = (over: Partial<Handed<typeof inputs>> = {}): Handed<typeof inputs> => ({
      runId: run.id,
      inputs,
      counts,
      marks,
      labelVersion: 1,
      ...over,
    });
    const wrong = { rows: 1, annotations: 1, predictions: 1 };
    // Nothing added since: the marks decide, the counts are not read.
    expect(await currentHandedInputs(deps.db, run, handed({ counts: wrong }))).toBe(inputs);
    // A label version since: stale, whatever the marks.
    expect(await currentHandedInputs(deps.db, run, handed({ labelVersion: 2 }))).toBeNull();
    // Another dataset's import moves the marks: the counts decide, and this dataset's still hold.
    await ingestClassification(deps, { run: 'pool-marks-other', ...input, analyze: false });
    expect(await importMarks(bulk)).not.toBe(marks);
    expect(await currentHandedInputs(deps.db, run, handed())).toBe(inputs);
    expect(await currentHandedInputs(deps.db, run, handed({ counts: wrong }))).toBeNull();
    // A row added to this dataset: marks and counts both tell.
    const now = await importMarks(bulk);
    await rawRows(
      deps.db,
      sql`insert into data_rows (dataset_id, external_id) values (${run.datasetId}, 'added later')`,
    );
    expect(await importMarks(bulk)).not.toBe(now);
    expect(await currentHandedInputs(deps.db, run, handed({ marks: now }))).toBeNull();
    // Without marks (an import that read none), the counts alone decide.
    expect(await currentHandedInputs(deps.db, run, handed({ marks: undefined }))).toBeNull();
    const added = { ...counts, rows: counts.rows + 1 };
    expect(await currentHandedInputs(deps.db, run, handed({ marks: undefined, counts: added }))).toBe(inputs);
  });

  it('takes the confident learning its import started in a thread for the same rows', async () => {
    const deps = testDeps(ctx().database);
    await ingestClassification(deps, { run: 'pool-ahead', ...poolFiles(), analyze: false });
    const run = await loadFindingsRun(deps.db, (await findRun(deps.db, 'pool-ahead'))!.id);
    const rows = await loadClassificationRows(deps.db, run.id, 4);
    const options = parseFindingsOptions({});
    const here = await classificationRun(deps, run, options, { inline: true }, rows);
    expect(here.flags.length).toBeGreaterThan(0);
    const ahead = classificationAhead(rows, run.classNames, { minRows: 0 })!;
    try {
      expect(await classificationRun(deps, run, options, { inline: true }, rows, ahead)).toEqual(here);
      // What the thread made is what is used: one flag taken out of it is missing from the findings.
      const fewer = { ...ahead, result: ahead.result.then((f) => f && { ...f, flags: f.flags.slice(1) }) };
      const used = await classificationRun(deps, run, options, { inline: true }, rows, fewer);
      expect(used.flags).toEqual(here.flags.slice(1));
      // Read again, the rows are not the ones the thread had: computed here.
      const again = await loadClassificationRows(deps.db, run.id, 4);
      expect(await classificationRun(deps, run, options, { inline: true }, again, fewer)).toEqual({
        ...here,
        inputs: again,
      });
    } finally {
      await ahead.close();
    }
  });
});
