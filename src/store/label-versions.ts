/**
 * Label versions: the one writer of a dataset's ground truth after ingest.
 *
 * A dataset's labels are versioned. Ingest makes version 1; every correction (board, Slack, CLI),
 * import from a labeling tool, or revert makes the next version. `annotations` always hold the
 * labels of the newest version, and `label_changes` record, per version, each label it changed
 * (before and after), so the labels of any version are rebuilt from the current ones: the state
 * of a label at version N is the "before" of the first change after N, or the current label when
 * nothing after N touched it.
 *
 * A label is addressed by its row and its `annKey`: `'label'` for a classification row's label,
 * the COCO annotation id (as text) for a detection box. Classes are given by index or by name.
 *
 * @example
 * // Two relabels and a deleted box, recorded as one version with who did it:
 * const v = await createLabelVersion(db, {
 *   dataset: 'digits',
 *   source: 'correction',
 *   actor: 'U024BE7LH',
 *   changes: [
 *     { op: 'relabel', externalId: '331', label: '7' },
 *     { op: 'relabel', rowId: 1204, label: 3 },
 *   ],
 * });
 * // v = { created: true, version: 2, versionId: 9, summary: { relabeled: 2, … }, changes: [...] }
 * const labels = await labelsAt(db, { dataset: 'digits', version: 1 }); // as ingested
 * const diff = await labelDiff(db, { dataset: 'digits', from: 1 }); // what changed since
 * await revertLabelVersion(db, { dataset: 'digits', version: v.version, actor: 'U024BE7LH' });
 */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import {
  type LabelVersionSource,
  dataRows,
  datasets,
  labelChanges,
  labelVersions,
  type TaskKind,
} from '../../db/schema.ts';
import type { BulkTx } from './ingest-tx.ts';

export type { LabelVersionSource };

/** A class by index, or by name (as listed in the dataset's classes). */
export type ClassRef = number | string;

/** A row by its stored id, or by the id the user knows (COCO image id, CSV id, .npy row index). */
export type RowRef = { rowId: number; externalId?: undefined } | { externalId: string; rowId?: undefined };

/** A box in pixels, COCO style: top-left corner, width and height. */
export interface BoxXywh {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * One requested change. Classification: `relabel` sets the row's label (an unlabeled row becomes
 * labeled). Detection: `box-class` changes a box's class, `box-delete` removes a spurious box,
 * `box-add` adds a box (an accepted missed prediction, a box drawn in a labeling tool); its
 * `annKey` defaults to the next unused annotation id of the dataset.
 */
export type LabelChange =
  | (RowRef & { op: 'relabel'; label: ClassRef })
  | (RowRef & { op: 'box-class'; annKey: string; label: ClassRef })
  | (RowRef & { op: 'box-delete'; annKey: string })
  | (RowRef & {
      op: 'box-add';
      label: ClassRef;
      box: BoxXywh;
      annKey?: string;
      /** Defaults to w × h. */
      area?: number;
      iscrowd?: boolean;
    });

/** A stored box with what COCO keeps with it. */
export interface StoredBox extends BoxXywh {
  area: number;
  iscrowd: boolean;
}

/** One label's state: its class index, or null when the row/box has no such label. */
export interface LabelState {
  rowId: number;
  externalId: string;
  annKey: string;
  label: number;
  /** The box (detection); null for a classification label. */
  box: StoredBox | null;
}

/** A label that a version changed (or that differs between two versions). */
export interface LabelDelta {
  rowId: number;
  externalId: string;
  annKey: string;
  /** Class index before, null when the label did not exist (added box, newly labeled row). */
  oldLabel: number | null;
  /** Class index after, null when the label was removed (deleted box). */
  newLabel: number | null;
  box: StoredBox | null;
}

export interface LabelVersionSummary {
  /** Rows with at least one changed label. */
  rows: number;
  /** Classification labels changed to another class. */
  relabeled: number;
  /** Classification rows labeled for the first time. */
  labeled: number;
  /** Classification labels removed (only by a revert of a first labeling). */
  unlabeled: number;
  boxClass: number;
  boxDeleted: number;
  boxAdded: number;
  /** Requested changes that were already the current labels (nothing to record). */
  unchanged: number;
}

export interface LabelVersionInput {
  /** Dataset name or id. */
  dataset: string | number;
  source: Exclude<LabelVersionSource, 'ingest'>;
  /** Slack user id, `local`, or the tool/token name of an import. */
  actor: string;
  note?: string | null;
  /** Where the changes came from (an import's file name and format), kept with the version. */
  origin?: Record<string, unknown> | null;
  changes: LabelChange[];
}

export interface LabelVersionResult {
  /** False when every change was already the current label: no version was made. */
  created: boolean;
  /** The new version, or the current one when nothing changed. */
  version: number;
  /** The label_versions id of the new version (null when nothing changed). */
  versionId: number | null;
  summary: LabelVersionSummary;
  /** What was recorded, in the order of the requests that changed something. */
  changes: LabelDelta[];
}

/** A change that cannot apply: unknown row, class or box, or a change of the wrong kind. Nothing is stored. */
export class LabelChangeError extends Error {
  constructor(
    /** Index of the offending change in `changes` (0-based). */
    readonly index: number,
    /** The reason without the position, for callers that name the position their own way (file line). */
    readonly reason: string,
  ) {
    super(`change ${index + 1}: ${reason}`);
    this.name = 'LabelChangeError';
  }
}

export class DatasetNotFoundError extends Error {
  constructor(readonly dataset: string | number) {
    super(`no dataset ${typeof dataset === 'number' ? `with id ${dataset}` : `named "${dataset}"`}`);
    this.name = 'DatasetNotFoundError';
  }
}

/** A version that does not exist, or cannot be reverted because later versions changed the same labels. */
export class LabelVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelVersionError';
  }
}

/** Orders writers of one dataset's labels; a separate space from our other advisory locks. */
const LOCK_SPACE = 41_772;
const CHUNK = 1000;

export interface DatasetLabels {
  id: number;
  name: string;
  kind: TaskKind;
  classNames: string[];
  sourceClassIds: number[] | null;
}

/** A dataset's id, kind and classes, by name or id. */
export async function findLabelDataset(db: Db, dataset: string | number): Promise<DatasetLabels | null> {
  const [d] = await db
    .select({
      id: datasets.id,
      name: datasets.name,
      kind: datasets.kind,
      classNames: datasets.classNames,
      sourceClassIds: datasets.sourceClassIds,
    })
    .from(datasets)
    .where(typeof dataset === 'number' ? eq(datasets.id, dataset) : eq(datasets.name, dataset))
    .limit(1);
  return d ?? null;
}

async function requireDataset(db: Db, dataset: string | number): Promise<DatasetLabels> {
  const d = await findLabelDataset(db, dataset);
  if (!d) throw new DatasetNotFoundError(dataset);
  return d;
}

/**
 * The newest label version of a dataset: 1 for a dataset never changed since ingest.
 *
 * @example
 * const v = await currentLabelVersion(db, 'digits'); // 1 right after ingest
 */
export async function currentLabelVersion(db: Db, dataset: string | number): Promise<number> {
  const d = await requireDataset(db, dataset);
  return currentVersionOf(db, d.id);
}

async function currentVersionOf(db: Db, datasetId: number): Promise<number> {
  const [r] = await db
    .select({ v: sql<number>`coalesce(max(${labelVersions.version}), 1)::int` })
    .from(labelVersions)
    .where(eq(labelVersions.datasetId, datasetId));
  return r?.v ?? 1;
}

/** Current label versions of several datasets (1 for those never changed). */
export async function currentLabelVersions(db: Db, datasetIds: number[]): Promise<Map<number, number>> {
  const out = new Map(datasetIds.map((id) => [id, 1]));
  if (!datasetIds.length) return out;
  const rows = await db
    .select({ datasetId: labelVersions.datasetId, v: sql<number>`max(${labelVersions.version})::int` })
    .from(labelVersions)
    .where(inArray(labelVersions.datasetId, datasetIds))
    .groupBy(labelVersions.datasetId);
  for (const r of rows) out.set(r.datasetId, r.v);
  return out;
}

export interface LabelVersionInfo {
  id: number;
  version: number;
  source: LabelVersionSource;
  actor: string | null;
  note: string | null;
  origin: Record<string, unknown> | null;
  summary: Partial<LabelVersionSummary>;
  at: Date;
}

const versionColumns = {
  id: labelVersions.id,
  version: labelVersions.version,
  source: labelVersions.source,
  actor: labelVersions.actor,
  note: labelVersions.note,
  origin: labelVersions.origin,
  summary: labelVersions.summary,
  at: labelVersions.createdAt,
};

/** A dataset's label versions, newest first. */
export async function listLabelVersions(db: Db, dataset: string | number): Promise<LabelVersionInfo[]> {
  const d = await requireDataset(db, dataset);
  return db
    .select(versionColumns)
    .from(labelVersions)
    .where(eq(labelVersions.datasetId, d.id))
    .orderBy(desc(labelVersions.version));
}

/** Version 1 of a dataset (what ingest recorded about the input format), or null for older data. */
export async function firstLabelVersion(db: Db, datasetId: number): Promise<LabelVersionInfo | null> {
  const [v] = await db
    .select(versionColumns)
    .from(labelVersions)
    .where(and(eq(labelVersions.datasetId, datasetId), eq(labelVersions.version, 1)))
    .limit(1);
  return v ?? null;
}

/**
 * Record version 1 of a new dataset inside the import's transaction, with what the labels came
 * in as (format, dtype), so an export can write them back the same way.
 *
 * @example
 * await recordIngestVersion(tx, datasetId, { format: 'npy', descr: '<i8' });
 */
export async function recordIngestVersion(
  tx: BulkTx,
  datasetId: number,
  origin: Record<string, unknown> | null,
): Promise<void> {
  await tx.query(
    `insert into label_versions (dataset_id, version, source, origin, summary)
     values ($1, 1, 'ingest', $2::text::jsonb, '{}'::jsonb)
     on conflict (dataset_id, version) do nothing`,
    [datasetId, origin ? JSON.stringify(origin) : null],
  );
}

/** Version 1 for datasets written before versions existed (or by tests inserting rows directly). */
async function ensureFirstVersion(db: Db, datasetId: number): Promise<void> {
  await db
    .insert(labelVersions)
    .values({ datasetId, version: 1, source: 'ingest', summary: {} })
    .onConflictDoNothing();
}

function classIndex(d: DatasetLabels, ref: ClassRef, index: number): number {
  if (typeof ref === 'number') {
    if (Number.isInteger(ref) && ref >= 0 && ref < d.classNames.length) return ref;
    throw new LabelChangeError(
      index,
      `class ${ref} is not a class of dataset "${d.name}", expected an index in [0, ${d.classNames.length})`,
    );
  }
  const i = d.classNames.indexOf(ref);
  if (i >= 0) return i;
  const shown = d.classNames.slice(0, 12).join(', ') + (d.classNames.length > 12 ? ', …' : '');
  throw new LabelChangeError(
    index,
    `class "${ref.slice(0, 60)}" is not a class of dataset "${d.name}", expected one of: ${shown}`,
  );
}

function checkBox(box: BoxXywh, index: number): void {
  const ok =
    box &&
    [box.x, box.y, box.w, box.h].every((v) => typeof v === 'number' && Number.isFinite(v)) &&
    box.w >= 0 &&
    box.h >= 0;
  if (!ok)
    throw new LabelChangeError(
      index,
      `box ${JSON.stringify(box)} is not a box, expected { x, y, w, h } with finite numbers and w, h ≥ 0`,
    );
}

const rowText = (c: RowRef) => (c.rowId !== undefined ? `row id ${c.rowId}` : `row "${c.externalId}"`);

interface StoredLabel {
  label: number;
  box: StoredBox | null;
}

/**
 * Make the next label version of a dataset from a list of changes, all or nothing: an unknown
 * row, class or box, a box change on a classification dataset (or the reverse), or two changes of
 * the same label throws a LabelChangeError naming the change, and nothing is stored. Changes that
 * are already the current label are counted as `unchanged` and not recorded; when nothing is left,
 * no version is made (`created: false`), so a repeated import or Slack retry adds nothing.
 *
 * @example
 * const { version, summary } = await createLabelVersion(db, {
 *   dataset: 'coco-val', source: 'import', actor: 'labelstudio', origin: { file: 'tasks.json' },
 *   changes: [
 *     { op: 'box-class', externalId: '139', annKey: '2001', label: 'dog' },
 *     { op: 'box-delete', externalId: '139', annKey: '2002' },
 *     { op: 'box-add', externalId: '139', label: 'cat', box: { x: 10, y: 20, w: 50, h: 40 } },
 *   ],
 * });
 */
export async function createLabelVersion(db: Db, input: LabelVersionInput): Promise<LabelVersionResult> {
  return db.transaction(async (tx) => {
    const d = await lockDataset(tx, input.dataset);
    const rows = await resolveRows(tx, d, input.changes);
    const current = await storedLabels(
      tx,
      input.changes.flatMap((c, i) =>
        c.op === 'box-add' ? [] : [{ rowId: rows[i].rowId, annKey: keyOf(c) }],
      ),
    );
    let nextKey: number | null = null;
    const seen = new Map<string, number>();
    const deltas: LabelDelta[] = [];
    const summary = emptySummary();
    for (let i = 0; i < input.changes.length; i++) {
      const c = input.changes[i];
      const row = rows[i];
      if ((c.op === 'relabel') !== (d.kind === 'classification'))
        throw new LabelChangeError(
          i,
          c.op === 'relabel'
            ? `dataset "${d.name}" holds detection boxes: change a box with box-class, box-delete or box-add`
            : `dataset "${d.name}" holds classification labels: change a row's label with relabel`,
        );
      let annKey: string;
      if (c.op === 'box-add') {
        checkBox(c.box, i);
        if (c.annKey !== undefined) {
          annKey = checkAnnKey(c.annKey, i);
          if (await keyUsed(tx, d.id, annKey))
            throw new LabelChangeError(i, `annotation id ${annKey} is already used in dataset "${d.name}"`);
        } else {
          nextKey ??= await nextAnnotationKey(tx, d.id);
          annKey = String(nextKey++);
        }
      } else annKey = keyOf(c);
      const slot = `${row.rowId}\u0000${annKey}`;
      const first = seen.get(slot);
      if (first !== undefined)
        throw new LabelChangeError(
          i,
          `${rowText(c)} ${annKey === 'label' ? 'label' : `box ${annKey}`} is already changed by change ${first + 1}; give one change per label`,
        );
      seen.set(slot, i);
      const before = current.get(slot) ?? null;
      if (c.op !== 'relabel' && c.op !== 'box-add' && !before)
        throw new LabelChangeError(i, `${rowText(c)} has no box with annotation id ${annKey}`);
      let delta: LabelDelta | null;
      if (c.op === 'box-delete') {
        delta = { ...row, annKey, oldLabel: before!.label, newLabel: null, box: before!.box };
      } else if (c.op === 'box-add') {
        const label = classIndex(d, c.label, i);
        const box: StoredBox = {
          x: c.box.x,
          y: c.box.y,
          w: c.box.w,
          h: c.box.h,
          area: c.area ?? c.box.w * c.box.h,
          iscrowd: c.iscrowd ?? false,
        };
        delta = { ...row, annKey, oldLabel: null, newLabel: label, box };
      } else {
        const label = classIndex(d, c.label, i);
        delta =
          before?.label === label
            ? null
            : { ...row, annKey, oldLabel: before?.label ?? null, newLabel: label, box: before?.box ?? null };
      }
      if (!delta) {
        summary.unchanged++;
        continue;
      }
      deltas.push(delta);
    }
    const version = await writeVersion(tx, d, input, deltas, summary);
    return version;
  });
}

/**
 * Take back what one version changed, as a new version (source `revert`): the labels it changed
 * return to their state before it. Refused (LabelVersionError, nothing stored) when a later
 * version changed one of the same labels again: revert that one first.
 *
 * @example
 * const r = await revertLabelVersion(db, { dataset: 'digits', version: 4, actor: 'U024BE7LH' });
 */
export async function revertLabelVersion(
  db: Db,
  {
    dataset,
    version,
    actor,
    note = null,
  }: { dataset: string | number; version: number; actor: string; note?: string | null },
): Promise<LabelVersionResult> {
  return db.transaction(async (tx) => {
    const d = await lockDataset(tx, dataset);
    const [v] = await tx
      .select({ id: labelVersions.id, source: labelVersions.source })
      .from(labelVersions)
      .where(and(eq(labelVersions.datasetId, d.id), eq(labelVersions.version, version)))
      .limit(1);
    if (!v) throw new LabelVersionError(`dataset "${d.name}" has no label version ${version}`);
    if (v.source === 'ingest')
      throw new LabelVersionError(`version ${version} is the labels as ingested; there is nothing before it`);
    const changed = await versionDeltas(tx, v.id);
    // Safe exactly when every label it changed is still what it made (later changes undone count as none).
    const now = await storedLabels(tx, changed);
    const moved = changed.find((c) => (now.get(`${c.rowId}\u0000${c.annKey}`)?.label ?? null) !== c.newLabel);
    if (moved) {
      const [later] = await rawRows<{ version: number }>(
        tx,
        sql`select max(lv.version) as version from label_changes c join label_versions lv on lv.id = c.version_id
            where lv.dataset_id = ${d.id} and c.row_id = ${moved.rowId} and c.ann_key = ${moved.annKey}`,
      );
      throw new LabelVersionError(
        `row "${moved.externalId}" ${moved.annKey === 'label' ? 'label' : `box ${moved.annKey}`} was changed again by version ${later?.version} after version ${version}; revert version ${later?.version} first`,
      );
    }
    const deltas = changed.map((c) => ({ ...c, oldLabel: c.newLabel, newLabel: c.oldLabel }));
    return writeVersion(
      tx,
      d,
      { source: 'revert', actor, note: note ?? `revert of version ${version}`, origin: { reverts: version } },
      deltas,
      emptySummary(),
    );
  });
}

function emptySummary(): LabelVersionSummary {
  return {
    rows: 0,
    relabeled: 0,
    labeled: 0,
    unlabeled: 0,
    boxClass: 0,
    boxDeleted: 0,
    boxAdded: 0,
    unchanged: 0,
  };
}

function keyOf(c: LabelChange): string {
  if (c.op === 'relabel') return 'label';
  if (c.op === 'box-add') return c.annKey ?? '';
  return String(c.annKey);
}

function checkAnnKey(key: unknown, index: number): string {
  const s = String(key);
  if (!/^\d{1,15}$/.test(s))
    throw new LabelChangeError(index, `annotation id ${JSON.stringify(key)} is not a whole number`);
  return s;
}

async function lockDataset(tx: Db, dataset: string | number): Promise<DatasetLabels> {
  const d = await requireDataset(tx, dataset);
  await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_SPACE}, ${d.id}::int)`);
  await ensureFirstVersion(tx, d.id);
  return d;
}

/** Each change's row (stored id and external id), checked to belong to the dataset. */
async function resolveRows(
  tx: Db,
  d: DatasetLabels,
  changes: LabelChange[],
): Promise<{ rowId: number; externalId: string }[]> {
  const byExternal = new Map<string, number>();
  const byId = new Map<number, string>();
  const wantExternal = [
    ...new Set(changes.flatMap((c) => (c.externalId !== undefined ? [String(c.externalId)] : []))),
  ];
  const wantIds = [...new Set(changes.flatMap((c) => (c.rowId !== undefined ? [c.rowId] : [])))];
  for (let i = 0; i < wantExternal.length; i += CHUNK) {
    const found = await tx
      .select({ id: dataRows.id, externalId: dataRows.externalId })
      .from(dataRows)
      .where(
        and(eq(dataRows.datasetId, d.id), inArray(dataRows.externalId, wantExternal.slice(i, i + CHUNK))),
      );
    for (const r of found) byExternal.set(r.externalId, r.id);
  }
  for (let i = 0; i < wantIds.length; i += CHUNK) {
    const ids = wantIds.slice(i, i + CHUNK).filter(Number.isSafeInteger);
    if (!ids.length) continue;
    const found = await tx
      .select({ id: dataRows.id, externalId: dataRows.externalId })
      .from(dataRows)
      .where(and(eq(dataRows.datasetId, d.id), inArray(dataRows.id, ids)));
    for (const r of found) byId.set(r.id, r.externalId);
  }
  return changes.map((c, i) => {
    if (c.rowId !== undefined) {
      const externalId = byId.get(c.rowId);
      if (externalId === undefined)
        throw new LabelChangeError(i, `row id ${c.rowId} is not a row of dataset "${d.name}"`);
      return { rowId: c.rowId, externalId };
    }
    if (c.externalId === undefined)
      throw new LabelChangeError(i, 'no row given, expected rowId or externalId');
    const rowId = byExternal.get(String(c.externalId));
    if (rowId === undefined)
      throw new LabelChangeError(
        i,
        `row "${String(c.externalId).slice(0, 80)}" is not a row of dataset "${d.name}"`,
      );
    return { rowId, externalId: String(c.externalId) };
  });
}

const boxOf = (r: {
  x: number | null;
  y: number | null;
  w: number | null;
  h: number | null;
  area: number | null;
  iscrowd: boolean;
}): StoredBox | null =>
  r.x === null || r.y === null || r.w === null || r.h === null
    ? null
    : { x: r.x, y: r.y, w: r.w, h: r.h, area: r.area ?? r.w * r.h, iscrowd: r.iscrowd };

/** Current labels of (row, key) pairs, keyed `rowId\0annKey`. */
async function storedLabels(
  tx: Db,
  keys: { rowId: number; annKey: string }[],
): Promise<Map<string, StoredLabel>> {
  const out = new Map<string, StoredLabel>();
  for (let i = 0; i < keys.length; i += CHUNK) {
    const part = keys.slice(i, i + CHUNK);
    const rows = await rawRows<{
      row_id: number | string;
      ann_key: string;
      label: number;
      x: number | null;
      y: number | null;
      w: number | null;
      h: number | null;
      area: number | null;
      iscrowd: boolean;
    }>(
      tx,
      sql`select a.row_id, a.ann_key, a.label, a.x, a.y, a.w, a.h, a.area, a.iscrowd from annotations a
          where (a.row_id, a.ann_key) in (${sql.join(
            part.map((k) => sql`(${k.rowId}::int8, ${k.annKey}::text)`),
            sql`, `,
          )})`,
    );
    for (const r of rows) out.set(`${Number(r.row_id)}\u0000${r.ann_key}`, { label: r.label, box: boxOf(r) });
  }
  return out;
}

/** Whether an annotation id was ever used in the dataset (current boxes or any recorded change). */
async function keyUsed(tx: Db, datasetId: number, annKey: string): Promise<boolean> {
  const [r] = await rawRows<{ used: boolean }>(
    tx,
    sql`select exists (select 1 from annotations a join data_rows r on r.id = a.row_id
                       where r.dataset_id = ${datasetId} and a.ann_key = ${annKey})
            or exists (select 1 from label_changes c join label_versions v on v.id = c.version_id
                       where v.dataset_id = ${datasetId} and c.ann_key = ${annKey}) as used`,
  );
  return !!r?.used;
}

/** One past the largest annotation id ever used in the dataset: COCO ids stay unique in an export. */
async function nextAnnotationKey(tx: Db, datasetId: number): Promise<number> {
  const [r] = await rawRows<{ top: string | number | null }>(
    tx,
    sql`select greatest(
          (select max(a.ann_key::int8) from annotations a join data_rows r on r.id = a.row_id
            where r.dataset_id = ${datasetId} and a.ann_key ~ '^[0-9]{1,15}$'),
          (select max(c.ann_key::int8) from label_changes c join label_versions v on v.id = c.version_id
            where v.dataset_id = ${datasetId} and c.ann_key ~ '^[0-9]{1,15}$')) as top`,
  );
  return Number(r?.top ?? 0) + 1;
}

async function writeVersion(
  tx: Db,
  d: DatasetLabels,
  meta: Pick<LabelVersionInput, 'source' | 'actor' | 'note' | 'origin'>,
  deltas: LabelDelta[],
  summary: LabelVersionSummary,
): Promise<LabelVersionResult> {
  if (!deltas.length)
    return {
      created: false,
      version: await currentVersionOf(tx, d.id),
      versionId: null,
      summary,
      changes: [],
    };
  for (const c of deltas) {
    if (c.annKey === 'label') {
      if (c.oldLabel === null) summary.labeled++;
      else if (c.newLabel === null) summary.unlabeled++;
      else summary.relabeled++;
    } else if (c.oldLabel === null) summary.boxAdded++;
    else if (c.newLabel === null) summary.boxDeleted++;
    else summary.boxClass++;
  }
  summary.rows = new Set(deltas.map((c) => c.rowId)).size;
  const version = (await currentVersionOf(tx, d.id)) + 1;
  const [v] = await tx
    .insert(labelVersions)
    .values({
      datasetId: d.id,
      version,
      source: meta.source,
      actor: meta.actor,
      note: meta.note ?? null,
      origin: meta.origin ?? null,
      summary: { ...summary },
    })
    .returning({ id: labelVersions.id });
  for (let i = 0; i < deltas.length; i += CHUNK) {
    const part = deltas.slice(i, i + CHUNK);
    const removedIds = await applyDeltas(tx, part);
    await tx.insert(labelChanges).values(
      part.map((c) => ({
        versionId: v.id,
        rowId: c.rowId,
        annKey: c.annKey,
        oldLabel: c.oldLabel,
        newLabel: c.newLabel,
        box: c.box,
        annId: removedIds.get(`${c.rowId}\u0000${c.annKey}`) ?? null,
      })),
    );
  }
  return { created: true, version, versionId: v.id, summary, changes: deltas };
}

/**
 * Bring `annotations` (and `data_rows.labeled`) to the deltas' new state. Answers the stored ids of
 * the labels it removed (keyed `rowId\0annKey`); a label added where one was removed before gets
 * the id it had then.
 */
async function applyDeltas(tx: Db, deltas: LabelDelta[]): Promise<Map<string, number>> {
  const key = (c: LabelDelta) => sql`(${c.rowId}::int8, ${c.annKey}::text)`;
  const removed = deltas.filter((c) => c.newLabel === null);
  const added = deltas.filter((c) => c.oldLabel === null && c.newLabel !== null);
  const moved = deltas.filter((c) => c.oldLabel !== null && c.newLabel !== null);
  const removedIds = new Map<string, number>();
  if (removed.length) {
    const gone = await rawRows<{ id: number | string; row_id: number | string; ann_key: string }>(
      tx,
      sql`delete from annotations where (row_id, ann_key) in (${sql.join(removed.map(key), sql`, `)})
          returning id, row_id, ann_key`,
    );
    for (const g of gone) removedIds.set(`${Number(g.row_id)}\u0000${g.ann_key}`, Number(g.id));
  }
  if (moved.length)
    await tx.execute(
      sql`update annotations a set label = v.label
          from (values ${sql.join(
            moved.map((c) => sql`(${c.rowId}::int8, ${c.annKey}::text, ${c.newLabel}::int)`),
            sql`, `,
          )}) as v(row_id, ann_key, label)
          where a.row_id = v.row_id and a.ann_key = v.ann_key`,
    );
  if (added.length)
    await tx.execute(
      sql`insert into annotations (id, row_id, ann_key, label, x, y, w, h, area, iscrowd)
          select coalesce(
                   (select c.ann_id from label_changes c
                     where c.row_id = v.row_id and c.ann_key = v.ann_key and c.ann_id is not null
                       and not exists (select 1 from annotations a where a.id = c.ann_id)
                     order by c.id desc limit 1),
                   nextval(pg_get_serial_sequence('annotations', 'id'))),
                 v.row_id, v.ann_key, v.label, v.x, v.y, v.w, v.h, v.area, v.iscrowd
            from (values ${sql.join(
              added.map(
                (c) =>
                  sql`(${c.rowId}::int8, ${c.annKey}::text, ${c.newLabel}::int, ${c.box?.x ?? null}::float8,
                       ${c.box?.y ?? null}::float8, ${c.box?.w ?? null}::float8, ${c.box?.h ?? null}::float8,
                       ${c.box?.area ?? null}::float8, ${c.box?.iscrowd ?? false}::bool)`,
              ),
              sql`, `,
            )}) as v(row_id, ann_key, label, x, y, w, h, area, iscrowd)`,
    );
  // A classification row is labeled exactly when it has its 'label' annotation.
  const labelRows = deltas.filter(
    (c) => c.annKey === 'label' && (c.oldLabel === null || c.newLabel === null),
  );
  if (labelRows.length)
    await tx.execute(
      sql`update data_rows r set labeled = exists (select 1 from annotations a where a.row_id = r.id and a.ann_key = 'label')
          where r.id in (${sql.join(
            labelRows.map((c) => sql`${c.rowId}::int8`),
            sql`, `,
          )})`,
    );
  return removedIds;
}

type DeltaRow = {
  row_id: number | string;
  external_id: string;
  ann_key: string;
  old_label: number | null;
  new_label: number | null;
  box: StoredBox | string | null;
};

const parseBox = (b: StoredBox | string | null): StoredBox | null =>
  typeof b === 'string' ? (JSON.parse(b) as StoredBox) : b;

const toDelta = (r: DeltaRow): LabelDelta => ({
  rowId: Number(r.row_id),
  externalId: r.external_id,
  annKey: r.ann_key,
  oldLabel: r.old_label,
  newLabel: r.new_label,
  box: parseBox(r.box),
});

/** What one version changed (by label_versions id), in row order. */
export async function versionDeltas(db: Db, versionId: number): Promise<LabelDelta[]> {
  const rows = await rawRows<DeltaRow>(
    db,
    sql`select c.row_id, r.external_id, c.ann_key, c.old_label, c.new_label, c.box
        from label_changes c join data_rows r on r.id = c.row_id
        where c.version_id = ${versionId} order by c.row_id, c.ann_key`,
  );
  return rows.map(toDelta);
}

async function checkVersion(db: Db, d: DatasetLabels, version: number): Promise<number> {
  const current = await currentVersionOf(db, d.id);
  if (!Number.isInteger(version) || version < 1 || version > current)
    throw new LabelVersionError(
      `dataset "${d.name}" has label versions 1 to ${current}, not ${String(version).slice(0, 20)}`,
    );
  return current;
}

/**
 * Every label of a dataset as it was at `version` (default: the current one), ordered by row id
 * then annotation id: what an export writes. Rows without a label at that version are absent.
 *
 * @example
 * const { version, labels } = await labelsAt(db, { dataset: 'digits', version: 1 });
 */
export async function labelsAt(
  db: Db,
  { dataset, version }: { dataset: string | number; version?: number },
): Promise<{ version: number; labels: LabelState[] }> {
  const d = await requireDataset(db, dataset);
  const current = await currentVersionOf(db, d.id);
  const at = version ?? current;
  await checkVersion(db, d, at);
  const rows = await rawRows<{
    row_id: number | string;
    external_id: string;
    ann_key: string;
    label: number;
    x: number | null;
    y: number | null;
    w: number | null;
    h: number | null;
    area: number | null;
    iscrowd: boolean | null;
    box: StoredBox | string | null;
  }>(
    db,
    sql`with after as (
          select distinct on (c.row_id, c.ann_key) c.row_id, c.ann_key, c.old_label, c.box
          from label_changes c join label_versions v on v.id = c.version_id
          where v.dataset_id = ${d.id} and v.version > ${at}
          order by c.row_id, c.ann_key, v.version
        )
        select a.row_id, r.external_id, a.ann_key, a.label, a.x, a.y, a.w, a.h, a.area, a.iscrowd, null as box
        from annotations a join data_rows r on r.id = a.row_id
        where r.dataset_id = ${d.id}
          and not exists (select 1 from after f where f.row_id = a.row_id and f.ann_key = a.ann_key)
        union all
        select f.row_id, r.external_id, f.ann_key, f.old_label, null, null, null, null, null, null, f.box
        from after f join data_rows r on r.id = f.row_id
        where f.old_label is not null
        order by 1, 3`,
  );
  const labels = rows.map((r) => ({
    rowId: Number(r.row_id),
    externalId: r.external_id,
    annKey: r.ann_key,
    label: r.label,
    box: r.box !== null ? parseBox(r.box) : boxOf({ ...r, iscrowd: !!r.iscrowd }),
  }));
  labels.sort((a, b) => a.rowId - b.rowId || compareKeys(a.annKey, b.annKey));
  return { version: at, labels };
}

/** Annotation ids in numeric order when they are numbers (COCO), as text otherwise. */
function compareKeys(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The labels that differ between two versions of a dataset (`to` defaults to the current one):
 * `oldLabel` is the state at `from`, `newLabel` at `to`. A label changed and changed back is absent.
 *
 * @example
 * const changed = await labelDiff(db, { dataset: 'digits', from: 1 });
 */
export async function labelDiff(
  db: Db,
  { dataset, from, to }: { dataset: string | number; from: number; to?: number },
): Promise<LabelDelta[]> {
  const d = await requireDataset(db, dataset);
  const until = to ?? (await currentVersionOf(db, d.id));
  await checkVersion(db, d, from);
  await checkVersion(db, d, until);
  if (from > until) throw new LabelVersionError(`version ${from} comes after version ${until}`);
  const rows = await rawRows<DeltaRow>(
    db,
    sql`with span as (
          select c.row_id, c.ann_key, c.old_label, c.new_label, c.box, v.version
          from label_changes c join label_versions v on v.id = c.version_id
          where v.dataset_id = ${d.id} and v.version > ${from} and v.version <= ${until}
        ),
        first as (select distinct on (row_id, ann_key) * from span order by row_id, ann_key, version),
        last as (select distinct on (row_id, ann_key) * from span order by row_id, ann_key, version desc)
        select f.row_id, r.external_id, f.ann_key, f.old_label, l.new_label, coalesce(l.box, f.box) as box
        from first f join last l on l.row_id = f.row_id and l.ann_key = f.ann_key
        join data_rows r on r.id = f.row_id
        where f.old_label is distinct from l.new_label or f.box::text is distinct from l.box::text
        order by f.row_id, f.ann_key`,
  );
  return rows.map(toDelta).sort((a, b) => a.rowId - b.rowId || compareKeys(a.annKey, b.annKey));
}

/** Row ids whose labels differ between two versions (the rows a retrain effect is measured on). */
export async function changedRowIds(
  db: Db,
  opts: { dataset: string | number; from: number; to?: number },
): Promise<number[]> {
  return [...new Set((await labelDiff(db, opts)).map((c) => c.rowId))];
}

/** The label changes that touched one row, oldest first, with their version: a row's label history. */
export async function rowLabelHistory(
  db: Db,
  rowId: number,
): Promise<(LabelDelta & { version: number; source: LabelVersionSource; actor: string | null; at: Date })[]> {
  const rows = await db
    .select({
      rowId: labelChanges.rowId,
      externalId: dataRows.externalId,
      annKey: labelChanges.annKey,
      oldLabel: labelChanges.oldLabel,
      newLabel: labelChanges.newLabel,
      box: labelChanges.box,
      version: labelVersions.version,
      source: labelVersions.source,
      actor: labelVersions.actor,
      at: labelVersions.createdAt,
    })
    .from(labelChanges)
    .innerJoin(labelVersions, eq(labelVersions.id, labelChanges.versionId))
    .innerJoin(dataRows, eq(dataRows.id, labelChanges.rowId))
    .where(eq(labelChanges.rowId, rowId))
    .orderBy(asc(labelVersions.version), asc(labelChanges.annKey));
  return rows.map((r) => ({ ...r, box: r.box ?? null }));
}

export interface ExportRow {
  rowId: number;
  externalId: string;
  width: number | null;
  height: number | null;
  /** COCO `file_name` and other image fields kept at ingest. */
  metadata: Record<string, unknown> | null;
}

/** A dataset's rows in input order (ingest gives rows consecutive ids in the order they came in). */
export async function datasetRowsInOrder(db: Db, datasetId: number): Promise<ExportRow[]> {
  return db
    .select({
      rowId: dataRows.id,
      externalId: dataRows.externalId,
      width: dataRows.width,
      height: dataRows.height,
      metadata: dataRows.metadata,
    })
    .from(dataRows)
    .where(eq(dataRows.datasetId, datasetId))
    .orderBy(asc(dataRows.id));
}
