import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../bot/commands/parse.ts';
import { readCocoGroundTruth, readCocoResults } from '../../src/ingest/coco-file.ts';
import { IngestError } from '../../src/ingest/errors.ts';
import { encodeNpy, openNpy, parseNpyHeader } from '../../src/ingest/npy.ts';
import { CursorError, decodeCursor, encodeCursor } from '../../src/store/cursor.ts';
import { scratch } from '../ingest/fixtures.ts';
import { FUZZ_TIMEOUT, fuzzParams } from './settings.ts';

// Pure parsers: any input parses, or fails with an error that names the file or field. Never a
// TypeError, RangeError or any other crash.

const files = scratch();

/** Run `fn`; it may return or throw `kind` with a message starting with `prefix`; nothing else. */
function parsesOrNames(fn: () => unknown, kind: new (...a: never[]) => Error, prefix: string) {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof kind)) throw err;
    expect(err.message.startsWith(prefix), err.message).toBe(true);
    expect(err.message).not.toMatch(/\n\s+at /);
  }
}

const validNpy = encodeNpy(new Float32Array([0.25, 0.75, 0.5, 0.5]), [2, 2]);

/** Bytes near a valid .npy: random edits, cuts and header rewrites of a real one. */
const nearNpy = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat(validNpy.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(validNpy.length),
    )
    .map(([edits, cut]) => {
      const b = Buffer.from(validNpy);
      for (const [i, v] of edits) b[i] = v;
      return b.subarray(0, Math.max(cut, 10));
    }),
  fc
    .tuple(
      fc.constantFrom("'<f4'", "'|b1'", "'>f8'", "'|O'", "[('a', '<f4')]", "'<c8'", "''", "'<f4"),
      fc.string({ maxLength: 20 }),
      fc.constantFrom('True', 'False', 'maybe'),
      fc.constantFrom(1, 2, 3, 9),
    )
    .map(([descr, shape, fortran, version]) => {
      const dict =
        `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': (${shape}), }`.padEnd(118, ' ') + '\n';
      const head = Buffer.alloc(version === 1 ? 10 : 12);
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
      if (version === 1) head.writeUInt16LE(dict.length, 8);
      else head.writeUInt32LE(dict.length, 8);
      return Buffer.concat([head, Buffer.from(dict, 'latin1'), Buffer.alloc(16)]);
    }),
);

describe('fuzz: .npy', () => {
  it(
    'header parser and reader: a header, or an IngestError naming the file',
    () => {
      fc.assert(
        fc.property(nearNpy, (bytes) => {
          parsesOrNames(() => parseNpyHeader(bytes, 'x.npy'), IngestError, 'x.npy: ');
          const path = files.write('fuzz.npy', bytes);
          parsesOrNames(
            () => {
              const r = openNpy(path, { ndim: 2 });
              try {
                if (r.rows) r.readRows(0, r.rows);
              } finally {
                r.close();
              }
            },
            IngestError,
            'fuzz.npy: ',
          );
        }),
        fuzzParams(300),
      );
    },
    FUZZ_TIMEOUT,
  );
});

const validGt = {
  images: [{ id: 1, width: 10, height: 10 }],
  annotations: [{ id: 5, image_id: 1, category_id: 1, bbox: [0, 0, 2, 2], area: 4, iscrowd: 0 }],
  categories: [{ id: 1, name: 'cat' }],
};

/** JSON near a valid COCO file: any JSON, or the valid one with one field replaced by anything. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
const nearGt = fc.oneof(
  anyJson,
  fc
    .tuple(
      fc.constantFrom('images', 'annotations', 'categories'),
      fc.nat(3),
      fc.string({ maxLength: 12 }),
      anyJson,
    )
    .map(([list, _i, key, value]) => {
      const doc = structuredClone(validGt) as Record<string, Record<string, unknown>[]>;
      const item = doc[list][0];
      const keys = Object.keys(item);
      item[keys[key.length % keys.length]] = value as never;
      return doc;
    }),
);

describe('fuzz: COCO JSON', () => {
  it(
    'ground truth and results: parsed, or an IngestError naming the file',
    () => {
      const gtGood = readCocoGroundTruth(files.write('gt.json', JSON.stringify(validGt)));
      fc.assert(
        fc.property(nearGt, fc.oneof(fc.string(), anyJson), (gt, results) => {
          const gtPath = files.write('fuzz-gt.json', typeof gt === 'string' ? gt : JSON.stringify(gt));
          parsesOrNames(() => readCocoGroundTruth(gtPath), IngestError, 'fuzz-gt.json: ');
          const resPath = files.write(
            'fuzz-res.json',
            typeof results === 'string' ? results : JSON.stringify(results),
          );
          parsesOrNames(() => readCocoResults(resPath, gtGood), IngestError, 'fuzz-res.json: ');
        }),
        fuzzParams(300),
      );
    },
    FUZZ_TIMEOUT,
  );
});

describe('fuzz: Slack command text', () => {
  it('any text parses to a command or to help with a problem, never a throw', () => {
    const words = fc.constantFrom(
      'errors',
      'mislabels',
      'uncertain',
      'batch',
      'from',
      'similar',
      'iou<0.3',
      '10',
      'public',
      'diverse',
      '<!channel>',
      '-1',
      '1e9',
      'by',
      'f1',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(words, { maxLength: 8 }).map((w) => w.join(' ')),
        ),
        (text) => {
          const cmd = parseCommand(text);
          expect(typeof cmd.kind).toBe('string');
          if (cmd.kind === 'help' && cmd.problem) expect(cmd.problem.length).toBeLessThan(400);
        },
      ),
      fuzzParams(1000),
    );
  });
});

describe('fuzz: cursors', () => {
  it('a token is ours (round trip) or a CursorError naming the cursor field', () => {
    const check = (v: unknown) =>
      Array.isArray(v) && v.length === 2 && v.every(Number.isSafeInteger) ? v : null;
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), anyJson.map(encodeCursor)), (raw) => {
        parsesOrNames(() => decodeCursor(raw, check), CursorError, 'cursor ');
      }),
      fuzzParams(1000),
    );
    fc.assert(
      fc.property(fc.tuple(fc.integer(), fc.integer()), (pair) => {
        expect(decodeCursor(encodeCursor(pair), check)).toEqual(pair);
      }),
      fuzzParams(200),
    );
  });
});
