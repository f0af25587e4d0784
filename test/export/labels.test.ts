import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { and, eq } from 'drizzle-orm';
import { beforeAll, expect, it, vi } from 'vitest';
import { annotations, dataRows, datasets } from '../../db/schema.ts';
import { processIo, serverCliContext } from '../../src/cli/context.ts';
import { registerExportLabels } from '../../src/cli/export-labels.ts';
import { writeDemoFiles } from '../../src/demo/files.ts';
import { buildDigitsDemo } from '../../src/demo/digits-demo.ts';
import { DEMO_SEED, DIGITS_DEMO } from '../../src/demo/settings.ts';
import { exportLabels } from '../../src/export/labels.ts';
import { ingestClassification, ingestCoco } from '../../src/ingest/index.ts';
import { encodeNpy, readNpy } from '../../src/ingest/npy.ts';
import { recordCorrection } from '../../src/store/corrections.ts';
import { createLabelVersion } from '../../src/store/label-versions.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { SHARED_DATA } from '../helpers/npy.ts';

/** Run `loupe export labels …` against the test database; returns stdout. */
async function loupe(deps: ReturnType<typeof testDeps>, args: string[]): Promise<string> {
  const program = new Command('loupe').exitOverride();
  registerExportLabels(program, serverCliContext(deps, processIo()));
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['node', 'loupe', ...args]);
  } finally {
    spy.mockRestore();
    quiet.mockRestore();
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'loupe-export-'));

describeEachDriver('export labels', (ctx) => {
  let deps: ReturnType<typeof testDeps>;
  beforeAll(async () => {
    deps = testDeps(ctx().database);
  });

  const rowIdOf = async (dataset: string, externalId: string) => {
    const [r] = await deps.db
      .select({ id: dataRows.id })
      .from(dataRows)
      .innerJoin(datasets, eq(datasets.id, dataRows.datasetId))
      .where(and(eq(datasets.name, dataset), eq(dataRows.externalId, externalId)));
    return r.id;
  };

  it('digits demo: after two corrections the .npy equals the original labels except those two rows', async () => {
    const files = writeDemoFiles(join(dir, 'demo'), { seed: DEMO_SEED });
    await ingestClassification(deps, {
      run: DIGITS_DEMO.run,
      dataset: DIGITS_DEMO.dataset,
      table: files.digits.table,
      classNames: files.digits.classNames,
      analyze: false,
    });
    const original = buildDigitsDemo({ seed: DEMO_SEED }).rows.map((r) => r.label ?? -1);
    const [a, b] = [10, 500].map((i) => (original[i] === -1 ? i + 1 : i));
    const to = (i: number) => (original[i] + 3) % 10;
    for (const i of [a, b])
      await recordCorrection(deps.db, {
        rowId: await rowIdOf('digits', String(i)),
        actor: 'U1',
        source: 'board',
        change: { op: 'relabel', label: to(i) },
      });
    const out = join(dir, 'digits.npy');
    await loupe(deps, ['export', 'labels', '--dataset', 'digits', '--format', 'npy', '--out', out]);
    const { header, data } = readNpy(out, { ndim: 1 });
    expect(header.descr).toBe('<i8');
    const got = Array.from(data as BigInt64Array, Number);
    const want = original.slice();
    want[a] = to(a);
    want[b] = to(b);
    expect(got).toEqual(want);
    expect(got.filter((v, i) => v !== original[i]).length).toBe(2);
    // Version 1 is the original, whatever came after.
    await loupe(deps, ['export', 'labels', '--dataset', 'digits', '--version', '1', '--out', out]);
    expect(Array.from(readNpy(out).data as BigInt64Array, Number)).toEqual(original);
    const changed = await loupe(deps, [
      'export',
      'labels',
      '--dataset',
      'digits',
      '--format',
      'csv',
      '--only-changed',
    ]);
    expect(changed.trim().split('\n')).toEqual([
      'id,old_label,label',
      `${a},${original[a]},${to(a)}`,
      `${b},${original[b]},${to(b)}`,
    ]);
  });

  it('a .npy of labels comes back byte for byte in its dtype, but for the corrected rows', async () => {
    const n = 1797;
    const labels = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10);
    const labelsFile = join(dir, 'labels-u1.npy');
    writeFileSync(labelsFile, encodeNpy(labels, [n], { descr: '|u1' }));
    await ingestClassification(deps, {
      run: 'digits-npy',
      labels: labelsFile,
      probs: join(SHARED_DATA, 'digits/pred_probs.npy'),
      analyze: false,
    });
    await createLabelVersion(deps.db, {
      dataset: 'digits-npy',
      source: 'correction',
      actor: 'U1',
      changes: [
        { op: 'relabel', externalId: '3', label: 9 },
        { op: 'relabel', externalId: '1796', label: 0 },
      ],
    });
    const { body } = await exportLabels(deps.db, { dataset: 'digits-npy', format: 'npy' });
    const input = readFileSync(labelsFile);
    expect(body.length).toBe(input.length);
    const differing = [...body.keys()].filter((i) => body[i] !== input[i]);
    const start = input.length - n;
    expect(differing).toEqual([start + 3, start + 1796]);
    expect([body[start + 3], body[start + 1796]]).toEqual([9, 0]);
    const pairs = await exportLabels(deps.db, { dataset: 'digits-npy', format: 'npy', onlyChanged: true });
    const out = join(dir, 'pairs.npy');
    writeFileSync(out, pairs.body);
    const read = readNpy(out);
    expect(read.header.shape).toEqual([2, 2]);
    expect(read.header.descr).toBe('<i8');
    expect(Array.from(read.data as BigInt64Array, Number)).toEqual([3, 9, 1796, 0]);
  });

  it('COCO: the export equals the input but for the changed boxes, with the same ids', async () => {
    const gtFile = join(SHARED_DATA, 'coco-val2014-100/instances.json');
    const input = JSON.parse(readFileSync(gtFile, 'utf8'));
    await ingestCoco(deps, {
      run: 'coco-100',
      gt: gtFile,
      pred: join(SHARED_DATA, 'coco-val2014-100/results.json'),
      analyze: false,
    });
    const [first, second] = input.annotations;
    const other = input.categories.find((c: { id: number }) => c.id !== first.category_id);
    const image = input.images[5];
    const [dataset] = await deps.db
      .select({ id: datasets.id })
      .from(datasets)
      .where(eq(datasets.name, 'coco-100'));
    const v = await createLabelVersion(deps.db, {
      dataset: dataset.id,
      source: 'correction',
      actor: 'U1',
      changes: [
        { op: 'box-class', externalId: String(first.image_id), annKey: String(first.id), label: other.name },
        { op: 'box-delete', externalId: String(second.image_id), annKey: String(second.id) },
        { op: 'box-add', externalId: String(image.id), label: 'person', box: { x: 1, y: 2, w: 30, h: 40 } },
      ],
    });
    const newId = Number(v.changes[2].annKey);
    expect(newId).toBe(Math.max(...input.annotations.map((a: { id: number }) => a.id)) + 1);
    const person = input.categories.find((c: { name: string }) => c.name === 'person').id;
    const added = {
      id: newId,
      image_id: image.id,
      category_id: person,
      bbox: [1, 2, 30, 40],
      area: 1200,
      iscrowd: 0,
    };
    const expected = input.annotations
      .filter((a: { id: number }) => a.id !== second.id)
      .map((a: { id: number }) => (a.id === first.id ? { ...a, category_id: other.id } : a));

    // --like: the ingested file itself, every field kept.
    const likeOut = join(dir, 'coco-like.json');
    await loupe(deps, [
      'export',
      'labels',
      '--dataset',
      'coco-100',
      '--format',
      'coco',
      '--like',
      gtFile,
      '--out',
      likeOut,
    ]);
    const like = JSON.parse(readFileSync(likeOut, 'utf8'));
    expect(like).toEqual({ ...input, annotations: [...expected, added] });

    // Without the file: the fields Loupe keeps, ids and order as in the input.
    const stored = JSON.parse(
      await loupe(deps, ['export', 'labels', '--dataset', 'coco-100', '--format', 'coco']),
    );
    const pick = (o: Record<string, unknown>, keys: string[]) =>
      Object.fromEntries(keys.map((k) => [k, o[k]]));
    const annKeys = ['id', 'image_id', 'category_id', 'bbox', 'area', 'iscrowd'];
    expect(stored.annotations).toEqual(
      [...expected, added].map((a) => pick(a, annKeys)).sort((x, y) => Number(x.id) - Number(y.id)),
    );
    expect(stored.images).toEqual(
      input.images.map((i: Record<string, unknown>) => pick(i, ['id', 'width', 'height', 'file_name'])),
    );
    expect(stored.categories).toEqual(
      input.categories.map((c: Record<string, unknown>) => pick(c, ['id', 'name'])),
    );

    const changed = JSON.parse(
      await loupe(deps, ['export', 'labels', '--dataset', 'coco-100', '--format', 'coco', '--only-changed']),
    );
    expect(changed.annotations.map((a: { id: number }) => a.id)).toEqual(
      [first.id, newId].sort((x, y) => x - y),
    );
    expect(changed.deleted_annotation_ids).toEqual([second.id]);
    const stillThere = await deps.db
      .select()
      .from(annotations)
      .where(eq(annotations.annKey, String(second.id)));
    expect(stillThere).toEqual([]);
  });
});
