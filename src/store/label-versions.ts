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
 *
 * This module is the writer; the types live in label-version-types.ts, the versions' reads in
 * label-version-reads.ts, the labels at a version and between two in label-history.ts.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { labelChanges, labelVersions } from '../../db/schema.ts';
import type { BulkTx } from './ingest-tx.ts';
import { applyDeltas } from './label-apply.ts';
import { checkAnnKey, checkBox, classIndex, emptySummary, keyOf, rowText } from './label-change-checks.ts';
import {
  LABELS_PER_STATEMENT,
  keyUsed,
  nextAnnotationKey,
  resolveRows,
  storedLabels,
} from './label-change-lookups.ts';
import { versionDeltas } from './label-history.ts';
import { currentVersionOf, requireDataset } from './label-version-reads.ts';
import {
  type DatasetLabels,
  LabelChangeError,
  type LabelDelta,
  type LabelVersionInput,
  LabelVersionError,
  type LabelVersionResult,
  type LabelVersionSummary,
  type StoredBox,
} from './label-version-types.ts';

/** Orders writers of one dataset's labels; a separate space from our other advisory locks. */
const LOCK_SPACE = 41_772;

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

async function lockDataset(tx: Db, dataset: string | number): Promise<DatasetLabels> {
  const d = await requireDataset(tx, dataset);
  await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_SPACE}, ${d.id}::int)`);
  await ensureFirstVersion(tx, d.id);
  return d;
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
  for (let i = 0; i < deltas.length; i += LABELS_PER_STATEMENT) {
    const part = deltas.slice(i, i + LABELS_PER_STATEMENT);
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
