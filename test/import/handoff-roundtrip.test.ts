import { count, eq } from 'drizzle-orm';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, expect, it } from 'vitest';
import type { Db } from '../../db/index.ts';
import {
  annotations,
  dataRows,
  datasets,
  labelVersions,
  modelRuns,
  predictions,
  reviews,
  tags,
} from '../../db/schema.ts';
import { loadConfig } from '../../src/config.ts';
import type { Deps } from '../../src/deps.ts';
import { batchExport } from '../../src/export/batch-export.ts';
import { formatBatch } from '../../src/export/batch-format.ts';
import { LabelFileError } from '../../src/import/labels-file.ts';
import { importLabels } from '../../src/import/labels.ts';
import { LabelImportError } from '../../src/import/plan.ts';
import { verifyMediaPath } from '../../src/media/sign.ts';
import { batchProgress, batchRowStates } from '../../src/store/batch-work.ts';
import { createBatch } from '../../src/store/batches.ts';
import { currentLabelVersion } from '../../src/store/label-version-reads.ts';
import { labelDiff } from '../../src/store/label-history.ts';
import { recordDecision } from '../../src/store/reviews.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';

const NOW = new Date('2026-12-01T10:00:00Z');

/** A detection dataset as COCO ingest stores it: images with sizes and files, boxes keyed by annotation id. */
async function insertDetection(db: Db) {
  const [ds] = await db
    .insert(datasets)
    .values({ name: 'det', kind: 'detection', classNames: ['cat', 'dog'], sourceClassIds: [17, 18] })
    .returning({ id: datasets.id });
  const [run] = await db
    .insert(modelRuns)
    .values({ name: 'det-v1', datasetId: ds.id, kind: 'detection' })
    .returning({ id: modelRuns.id });
  const rows = await db
    .insert(dataRows)
    .values([
      { datasetId: ds.id, externalId: '139', imageUrl: 'root:1/val/img_139.jpg', width: 333, height: 251 },
      { datasetId: ds.id, externalId: '285', imageUrl: 'root:1/val/img_285.jpg', width: 640, height: 480 },
      { datasetId: ds.id, externalId: '632', imageUrl: 'root:1/val/img_632.jpg', width: 500, height: 375 },
    ])
    .returning({ id: dataRows.id });
  await db.insert(annotations).values([
    { rowId: rows[0].id, annKey: '7', label: 0, x: 10, y: 20, w: 100.5, h: 50, area: 5025 },
    { rowId: rows[0].id, annKey: '9', label: 1, x: 150, y: 30, w: 60, h: 90, area: 5400 },
    { rowId: rows[1].id, annKey: '12', label: 1, x: 3, y: 4, w: 200, h: 100, area: 20000 },
  ]);
  await db.insert(predictions).values([
    { runId: run.id, rowId: rows[0].id, predKey: 0, label: 0, score: 0.91, x: 11, y: 21, w: 99, h: 49 },
    { runId: run.id, rowId: rows[0].id, predKey: 1, label: 0, score: 0.62, x: 151, y: 31, w: 59, h: 88 },
    { runId: run.id, rowId: rows[2].id, predKey: 0, label: 1, score: 0.55, x: 40, y: 50, w: 30, h: 30 },
  ]);
  return { runId: run.id, rowIds: rows.map((r) => r.id) };
}

/** What Label Studio's JSON export adds to each task: ids, the project, and the labeler's annotations. */
// biome-ignore lint/suspicious/noExplicitAny: tool files are read back as loose JSON
type Json = Record<string, any>;

function asLabelStudioExport(
  tasks: Json[],
  results: (Json[] | null)[],
  extra: (t: number) => Json[] = () => [],
): Json[] {
  return tasks.map((task, t) => ({
    id: 100 + t,
    ...task,
    annotations: [
      ...extra(t),
      ...(results[t]
        ? [
            {
              id: 500 + t,
              completed_by: 1,
              result: results[t],
              was_cancelled: false,
              ground_truth: false,
              created_at: '2026-12-02T09:00:00.000000Z',
              updated_at: '2026-12-02T09:00:00.000000Z',
              draft_created_at: null,
              lead_time: 4.2,
              prediction: {},
              result_count: 0,
              unique_id: `u-${t}`,
              import_id: null,
              last_action: null,
              task: 100 + t,
              project: 3,
              updated_by: 1,
              parent_prediction: null,
              parent_annotation: null,
              last_created_by: null,
            },
          ]
        : []),
    ],
    drafts: [],
    meta: {},
    created_at: '2026-12-01T12:00:00.000000Z',
    updated_at: '2026-12-02T09:00:00.000000Z',
    inner_id: t + 1,
    total_annotations: results[t] ? 1 : 0,
    cancelled_annotations: 0,
    total_predictions: 1,
    comment_count: 0,
    unresolved_comment_count: 0,
    last_comment_updated_at: null,
    project: 3,
    updated_by: 1,
    file_upload: null,
    comment_authors: [],
  }));
}

const choice = (label: string) => ({
  id: `r${label}`,
  type: 'choices',
  value: { choices: [label] },
  origin: 'manual',
  to_name: 'image',
  from_name: 'label',
});

describeEachDriver('hand-off to labeling tools and back', (ctx) => {
  let deps: Deps;
  let cls: { runId: number; rowIds: number[] };
  let det: { runId: number; rowIds: number[] };
  const versions = async () => (await deps.db.select({ n: count() }).from(labelVersions))[0].n;
  const labelOf = async (rowId: number) =>
    (await deps.db.select().from(annotations).where(eq(annotations.rowId, rowId))).map((a) => a.label);

  beforeAll(async () => {
    deps = testDeps(ctx().database, {
      config: loadConfig({
        LOUPE_DEMO: '0',
        LOUPE_PUBLIC_URL: 'https://loupe.example',
        LOUPE_SECRET: 's3cret',
      }),
      clock: { now: () => NOW },
    });
    cls = await insertClassificationRun(deps.db, {
      name: 'cls',
      classNames: ['zero', 'one', 'two'],
      labels: [0, 1, null, 0],
      probs: [
        [0.2, 0.1, 0.7],
        [0.1, 0.8, 0.1],
        [0.3, 0.6, 0.1],
        [0.9, 0.05, 0.05],
      ],
    });
    for (const [i, id] of cls.rowIds.entries())
      await deps.db
        .update(dataRows)
        .set({ imageUrl: `/media/digits/${i}.svg` })
        .where(eq(dataRows.id, id));
    det = await insertDetection(deps.db);
  });

  it('Label Studio, classification: tasks with signed absolute images and scored choices; the export comes back as one new version', async () => {
    await createBatch(deps.db, {
      name: 'ls-cls',
      runId: cls.runId,
      rowIds: [cls.rowIds[0], cls.rowIds[2], cls.rowIds[3]],
    });
    await recordDecision(deps.db, {
      rowId: cls.rowIds[0],
      decision: 'rework',
      actor: 'U0LEAD',
      source: 'slack',
    });
    const { input } = await batchExport(deps, 'ls-cls', 'labelstudio');
    const tasks = JSON.parse(formatBatch(input)) as Json[];
    expect(tasks).toHaveLength(3);
    const url = new URL(tasks[0].data.image);
    expect(url.origin + url.pathname).toBe('https://loupe.example/media/digits/0.svg');
    expect(verifyMediaPath('s3cret', url.pathname, Object.fromEntries(url.searchParams), NOW)).toBe(true);
    expect(tasks[0].data).toMatchObject({
      loupe_id: '0',
      loupe_dataset: 'cls',
      loupe_batch: 'ls-cls',
      loupe_label: 'zero',
    });
    expect(tasks[0].predictions).toEqual([
      {
        model_version: 'cls',
        score: expect.closeTo(0.7, 6),
        result: [
          {
            id: '0-p0',
            from_name: 'label',
            to_name: 'image',
            type: 'choices',
            value: { choices: ['two'] },
            score: expect.closeTo(0.7, 6),
          },
        ],
      },
    ]);
    expect(tasks[1].data.loupe_label).toBeUndefined();

    // The labeler: row 0 is a two, row 2 (unlabeled) a one, row 3 stays zero (an older cancelled try said two).
    const exported = asLabelStudioExport(tasks, [[choice('two')], [choice('one')], [choice('zero')]], (t) =>
      t === 2
        ? [{ id: 1, result: [choice('two')], was_cancelled: true, updated_at: '2026-12-03T00:00:00Z' }]
        : [],
    );
    const report = await importLabels(deps, {
      dataset: 'cls',
      tool: 'labelstudio',
      file: 'project-3.json',
      text: JSON.stringify(exported),
      actor: 'U0LEAD',
    });
    expect(report).toMatchObject({
      created: true,
      version: 2,
      reworkDone: 1,
      batchRowsDone: { 'ls-cls': 3 },
      counts: { rowsInFile: 3, covered: 3, changedRows: 2, relabeled: 1, newlyLabeled: 1, skipped: 0 },
      preview: [
        { id: '0', before: 'zero', after: 'two' },
        { id: '2', before: 'unlabeled', after: 'one' },
      ],
    });
    expect(await currentLabelVersion(deps.db, 'cls')).toBe(2);
    const diff = await labelDiff(deps.db, { dataset: 'cls', from: 1 });
    expect(diff.map((d) => [d.externalId, d.oldLabel, d.newLabel])).toEqual([
      ['0', 0, 2],
      ['2', null, 1],
    ]);
    expect(await labelOf(cls.rowIds[1])).toEqual([1]);
    expect(await labelOf(cls.rowIds[3])).toEqual([0]);
    expect(await deps.db.select().from(tags).where(eq(tags.rowId, cls.rowIds[0]))).toEqual([]);
    const lines = await deps.db.select().from(reviews).where(eq(reviews.rowId, cls.rowIds[0]));
    expect(lines.map((l) => l.decision)).toEqual(['rework', 'relabel']);
    const [progress] = await batchProgress(deps.db, { names: ['ls-cls'] });
    expect(progress).toMatchObject({ size: 3, progressed: 3, state: 'done' });
  });

  it('refuses an unknown class, an unknown row or malformed JSON, naming where and the fix, changing nothing', async () => {
    await createBatch(deps.db, { name: 'ls-bad', runId: cls.runId, rowIds: [cls.rowIds[1]] });
    const { input } = await batchExport(deps, 'ls-bad', 'labelstudio');
    const tasks = JSON.parse(formatBatch(input)) as Json[];
    const before = await versions();
    const tryImport = (text: string) =>
      importLabels(deps, { dataset: 'cls', tool: 'labelstudio', file: 'x.json', text, actor: 'U0LEAD' });
    await expect(tryImport(JSON.stringify(asLabelStudioExport(tasks, [[choice('tow')]])))).rejects.toThrow(
      /classes not in dataset "cls": "tow" \(x\.json task 1 \(id 100\) annotations\[0\]\.result\[0\]\), did you mean "two"\?/,
    );
    const stranger = asLabelStudioExport(tasks, [[choice('one')]]);
    stranger[0].data = { ...stranger[0].data, loupe_id: '999' };
    await expect(tryImport(JSON.stringify(stranger))).rejects.toThrow(/rows not in dataset "cls": 999/);
    const err = await tryImport('[\n  {"data": {"loupe_id": "1"},\n  "annotations": [}\n]').catch((e) => e);
    expect(err).toBeInstanceOf(LabelFileError);
    expect(err.message).toMatch(/^x\.json line 3, column \d+: not valid JSON/);
    expect(err.message).toContain('Export → JSON');
    const rotated = asLabelStudioExport(tasks, [[{ ...choice('one'), type: 'polygonlabels' }]]);
    await expect(tryImport(JSON.stringify(rotated))).rejects.toThrow(
      /"polygonlabels" regions are not supported/,
    );
    await expect(tryImport(JSON.stringify([{ image: 'a.png', label: 'one' }]))).rejects.toThrow(
      /a task needs a "data" object/,
    );
    expect(await versions()).toBe(before);
    expect(await labelOf(cls.rowIds[1])).toEqual([1]);
    expect(
      await batchRowStates(deps.db, (await batchProgress(deps.db, { names: ['ls-bad'] }))[0].id),
    ).toEqual(new Map([[cls.rowIds[1], 'pending']]));
  });

  it('Label Studio, detection: rectanglelabels in percent with scores; a changed class and a new box come back exactly', async () => {
    await createBatch(deps.db, { name: 'ls-det', runId: det.runId, rowIds: [det.rowIds[0]] });
    const { input } = await batchExport(deps, 'ls-det', 'labelstudio');
    const [task] = JSON.parse(formatBatch(input)) as Json[];
    expect(task.predictions[0].score).toBeCloseTo((0.91 + 0.62) / 2, 6);
    const [p0] = task.predictions[0].result;
    expect(p0).toMatchObject({
      type: 'rectanglelabels',
      original_width: 333,
      original_height: 251,
      value: { rectanglelabels: ['cat'], rotation: 0 },
      score: 0.91,
    });
    expect(p0.value.x).toBeCloseTo((11 / 333) * 100, 5);
    // The labeler starts from the current boxes (as Label Studio writes them), turns box 9 into a
    // cat and draws one more.
    const region = (b: { x: number; y: number; w: number; h: number }, label: string) => ({
      id: `b${b.x}`,
      type: 'rectanglelabels',
      value: {
        x: (b.x / 333) * 100,
        y: (b.y / 251) * 100,
        width: (b.w / 333) * 100,
        height: (b.h / 251) * 100,
        rotation: 0,
        rectanglelabels: [label],
      },
      origin: 'manual',
      to_name: 'image',
      from_name: 'label',
      image_rotation: 0,
      original_width: 333,
      original_height: 251,
    });
    const exported = asLabelStudioExport(
      [task],
      [
        [
          region({ x: 10, y: 20, w: 100.5, h: 50 }, 'cat'),
          region({ x: 150, y: 30, w: 60, h: 90 }, 'cat'),
          region({ x: 200, y: 100, w: 40, h: 40 }, 'dog'),
        ],
      ],
    );
    const report = await importLabels(deps, {
      dataset: 'det',
      tool: 'labelstudio',
      file: 'det.json',
      text: JSON.stringify(exported),
      actor: 'U0LEAD',
    });
    expect(report.counts).toMatchObject({ boxClass: 1, boxAdded: 1, boxDeleted: 0, changedRows: 1 });
    const diff = await labelDiff(deps.db, { dataset: 'det', from: report.version - 1 });
    expect(diff.map((d) => [d.externalId, d.annKey === '9' ? '9' : 'new', d.oldLabel, d.newLabel])).toEqual([
      ['139', '9', 1, 0],
      ['139', 'new', null, 1],
    ]);
    const added = diff.find((d) => d.annKey !== '9');
    expect(added?.box?.x).toBeCloseTo(200, 6);
    expect(added?.box?.w).toBeCloseTo(40, 6);
    const kept = await deps.db.select().from(annotations).where(eq(annotations.annKey, '7'));
    expect(kept[0]).toMatchObject({ x: 10, w: 100.5, label: 0 });
  });

  it('CVAT for images 1.1: boxes in pixels named by image file; a deleted and a moved box come back exactly', async () => {
    await createBatch(deps.db, {
      name: 'cvat-det',
      runId: det.runId,
      rowIds: [det.rowIds[1], det.rowIds[2]],
    });
    const { input } = await batchExport(deps, 'cvat-det', 'cvat');
    const xml = formatBatch(input);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(parsed.annotations.version).toBe(1.1);
    expect(parsed.annotations.meta.task.labels.label.map((l: { name: string }) => l.name)).toEqual([
      'cat',
      'dog',
    ]);
    expect(parsed.annotations.image[0]).toMatchObject({
      id: '0',
      name: 'img_285.jpg',
      width: '640',
      height: '480',
    });
    expect(parsed.annotations.image[0].box).toMatchObject({
      label: 'dog',
      source: 'manual',
      xtl: '3.00',
      ytl: '4.00',
      xbr: '203.00',
      ybr: '104.00',
    });
    // Unlabeled so far: the model's box to start from.
    expect(parsed.annotations.image[1].box).toMatchObject({ label: 'dog', source: 'auto', xtl: '40.00' });

    // What CVAT writes back after the labeler moved 285's box and accepted 632's.
    const cvatExport = `<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <job>
      <id>12</id>
      <size>2</size>
      <mode>annotation</mode>
      <overlap>0</overlap>
      <bugtracker></bugtracker>
      <created>2026-12-01 12:00:00.000000+00:00</created>
      <updated>2026-12-02 09:00:00.000000+00:00</updated>
      <subset>default</subset>
      <start_frame>0</start_frame>
      <stop_frame>1</stop_frame>
      <frame_filter></frame_filter>
      <segments>
        <segment>
          <id>9</id>
          <start>0</start>
          <stop>1</stop>
          <url>https://cvat.example/api/jobs/12</url>
        </segment>
      </segments>
      <owner>
        <username>lead</username>
        <email>lead@example.com</email>
      </owner>
      <assignee></assignee>
      <labels>
        <label>
          <name>cat</name>
          <color>#fa3253</color>
          <type>rectangle</type>
          <attributes>
          </attributes>
        </label>
        <label>
          <name>dog</name>
          <color>#33ddff</color>
          <type>rectangle</type>
          <attributes>
          </attributes>
        </label>
      </labels>
    </job>
    <dumped>2026-12-02 09:05:00.000000+00:00</dumped>
  </meta>
  <image id="0" name="img_285.jpg" width="640" height="480">
    <box label="dog" source="manual" occluded="0" xtl="13.00" ytl="4.00" xbr="213.00" ybr="104.00" z_order="0">
    </box>
  </image>
  <image id="1" name="img_632.jpg" width="500" height="375">
    <box label="dog" source="auto" occluded="0" xtl="40.00" ytl="50.00" xbr="70.00" ybr="80.00" z_order="0">
    </box>
  </image>
</annotations>
`;
    const report = await importLabels(deps, {
      dataset: 'det',
      tool: 'cvat',
      file: 'annotations.xml',
      text: cvatExport,
      actor: 'U0LEAD',
    });
    expect(report.counts).toMatchObject({
      rowsInFile: 2,
      covered: 2,
      boxDeleted: 1,
      boxAdded: 2,
      boxClass: 0,
      changedRows: 2,
    });
    const diff = await labelDiff(deps.db, { dataset: 'det', from: report.version - 1 });
    expect(diff.map((d) => [d.externalId, d.oldLabel, d.newLabel, d.box?.x])).toEqual(
      expect.arrayContaining([
        ['285', 1, null, 3],
        ['285', null, 1, 13],
        ['632', null, 1, 40],
      ]),
    );
    expect(diff).toHaveLength(3);
    const [progress] = await batchProgress(deps.db, { names: ['cvat-det'] });
    expect(progress.state).toBe('done');

    const bad = cvatExport.replace('label="dog" source="auto"', 'label="horse" source="auto"');
    await expect(
      importLabels(deps, { dataset: 'det', tool: 'cvat', file: 'a.xml', text: bad, actor: 'U0LEAD' }),
    ).rejects.toThrow(
      /classes not in dataset "det": "horse" \(a\.xml line 53 <image id="1" name="img_632\.jpg"> <box> 1\)/,
    );
    const broken = cvatExport.replace('</box>\n  </image>\n  <image id="1"', '</image>\n  <image id="1"');
    await expect(
      importLabels(deps, { dataset: 'det', tool: 'cvat', file: 'a.xml', text: broken, actor: 'U0LEAD' }),
    ).rejects.toThrow(/^a\.xml line \d+, column \d+: not well-formed XML/);
    const unknown = cvatExport.replace('img_632.jpg', 'img_999.jpg');
    await expect(
      importLabels(deps, { dataset: 'det', tool: 'cvat', file: 'a.xml', text: unknown, actor: 'U0LEAD' }),
    ).rejects.toThrow(LabelImportError);
  });

  it('COCO subset: same image, annotation and category ids; an edited export comes back exactly', async () => {
    await createBatch(deps.db, {
      name: 'coco-det',
      runId: det.runId,
      rowIds: [det.rowIds[0]],
      includeOpen: true,
    });
    const { input } = await batchExport(deps, 'coco-det', 'coco');
    const coco = JSON.parse(formatBatch(input));
    expect(coco.categories).toEqual([
      { id: 17, name: 'cat' },
      { id: 18, name: 'dog' },
    ]);
    expect(coco.images).toEqual([
      expect.objectContaining({ id: 139, file_name: 'img_139.jpg', width: 333, height: 251 }),
    ]);
    expect(coco.images[0].coco_url).toMatch(/^https:\/\/loupe\.example\/media\/rows\/\d+\/image\?exp=/);
    const ids = coco.annotations.map((a: { id: number }) => a.id);
    expect(ids).toContain(7);
    expect(ids).toContain(9);
    // The tool drops box 7 and turns the other cat of the previous round into a dog.
    coco.annotations = coco.annotations
      .filter((a: { id: number }) => a.id !== 7)
      .map((a: { id: number; category_id: number }) => (a.id === 9 ? { ...a, category_id: 18 } : a));
    const report = await importLabels(deps, {
      dataset: 'det',
      tool: 'coco',
      file: 'instances_default.json',
      text: JSON.stringify(coco),
      actor: 'U0LEAD',
    });
    expect(report.counts).toMatchObject({ boxDeleted: 1, boxClass: 1, boxAdded: 0 });
    const diff = await labelDiff(deps.db, { dataset: 'det', from: report.version - 1 });
    expect(diff.map((d) => [d.annKey, d.oldLabel, d.newLabel])).toEqual([
      ['7', 0, null],
      ['9', 0, 1],
    ]);
    await expect(batchExport(deps, 'ls-cls', 'coco')).rejects.toThrow(/COCO is for detection/);
  });
});
