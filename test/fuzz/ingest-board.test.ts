import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { IngestError, ingestClassification } from '../../src/ingest/index.ts';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { scratch, snapshot } from '../ingest/fixtures.ts';
import { insertBoardFixture } from '../web/fixtures.ts';
import { FUZZ_TIMEOUT, fuzzParams } from './settings.ts';

// Parsers that sit in front of the database: a table either imports, or fails with an error
// naming the file and leaves nothing behind; a board query is answered, or refused with a 400
// naming the field. Never a 500, never a stack.

const files = scratch();
afterAll(files.cleanup);

const cell = fc.oneof(
  fc.constantFrom('', '0', '1', '-1', '0.5', '1.0', 'NaN', 'cat', '"', '1e309', ' ', '\0', '0.25'),
  fc.string({ maxLength: 6 }),
);
const csv = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .tuple(
      fc.constantFrom(
        'id,label,p_0,p_1',
        'id,label,p_0,p_1,image_url',
        'label,p_0',
        'id,label,p_1,p_0',
        'id,id,p_0',
      ),
      fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 6 }),
    )
    .map(([head, rows]) => [head, ...rows.map((r) => r.join(','))].join('\n')),
);
const jsonl = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .array(
      fc.record(
        {
          id: fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null)),
          label: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.string({ maxLength: 3 }), fc.constant(null)),
          probs: fc.oneof(
            fc.array(fc.double(), { maxLength: 3 }),
            fc.constant([0.5, 0.5]),
            fc.constant([0.9, 0.1]),
            fc.jsonValue({ maxDepth: 1 }),
          ),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 5 },
    )
    .map((rows) => rows.map((r) => JSON.stringify(r)).join('\n')),
);

describeEachDriver('fuzz: tables and board parameters', (ctx) => {
  beforeAll(async () => {
    await insertBoardFixture(ctx().database.db);
  });

  it(
    'CSV and JSONL: imported, or an IngestError naming the file with nothing written',
    async () => {
      const deps = testDeps(ctx().database);
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            csv.map((t) => ['csv', t]),
            jsonl.map((t) => ['jsonl', t]),
          ),
          async ([ext, text]) => {
            const name = `fuzz-${n++}.${ext}`;
            const path = files.write(name, text);
            const before = await snapshot(deps.db);
            try {
              await ingestClassification(deps, { run: `fuzz-${n}`, table: path, analyze: false });
            } catch (err) {
              if (!(err instanceof IngestError)) throw err;
              expect(err.message.startsWith(`${name}: `), err.message).toBe(true);
              expect(await snapshot(deps.db)).toEqual(before);
            }
          },
        ),
        fuzzParams(25),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'board query parameters: an answer, or a 400 naming the field',
    async () => {
      const app = createWebApp(
        testDeps(ctx().database, { config: loadConfig({ LOUPE_DEMO: '0', HOST: '127.0.0.1' }) }),
      );
      const keys = fc.constantFrom(
        'cursor',
        'limit',
        'iou_lt',
        'sort',
        'decision',
        'label',
        'predicted',
        'tag',
        'strategy',
        'diverse',
        'with',
        'run',
        'color',
        'unlabeled',
      );
      const values = fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom(
          '',
          '0',
          '-1',
          '1e3',
          '0.5',
          'all',
          'asc',
          'cat',
          'approve',
          '%00',
          'WzEsMl0',
          'bm9wZQ',
        ),
      );
      const paths = fc.constantFrom(
        '/api/runs/cls-run/errors',
        '/api/runs/cls-run/mislabels',
        '/api/runs/cls-run/uncertain',
        '/runs/cls-run/gallery',
        '/runs/cls-run/mislabels',
        '/rework',
        '/batches',
        '/api/rows/1/similar',
      );
      await fc.assert(
        fc.asyncProperty(paths, fc.array(fc.tuple(keys, values), { maxLength: 4 }), async (path, query) => {
          const q = new URLSearchParams(query).toString();
          const res = await app.request(`${path}${q ? `?${q}` : ''}`);
          const text = await res.text();
          expect(res.status, `${path}?${q} → ${text.slice(0, 200)}`).toBeLessThan(500);
          expect(text).not.toMatch(/\n\s+at .*:\d+:\d+/);
          if (res.status === 400)
            expect(
              [...new Set(query.map(([k]) => k)), 'cursor', 'limit', 'row id'].some((k) =>
                text.includes(k),
              ) || /iou_lt|sort|decision|label|predicted|tag|strategy|color/.test(text),
              text.slice(0, 300),
            ).toBe(true);
        }),
        fuzzParams(150),
      );
    },
    FUZZ_TIMEOUT,
  );
});
