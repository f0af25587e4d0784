import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import {
  type DecisionSource,
  annotations,
  dataRows,
  datasets,
  labelVersions,
  predictions,
  reviews,
  tags,
} from '../../db/schema.ts';
import type { ClassRef, LabelChange, LabelDelta, LabelVersionSummary } from './label-version-types.ts';
import { createLabelVersion, revertLabelVersion } from './label-versions.ts';
import { currentLabelVersion } from './label-version-reads.ts';
import { versionDeltas } from './label-history.ts';
import { type DecisionRecord, REWORK_TAG, RowNotFoundError, decisionColumns } from './reviews.ts';

/**
 * Corrections are decisions: a `relabel` line in the reviews history (who, when, from where)
 * pointing at the label version it made, and a `revert` line for its undo. The labels themselves
 * change through the one writer, createLabelVersion.
 */

/**
 * What a reviewer corrects on one row. Boxes are named as the findings name them: by annotation
 * id (`annId`, the stored box) and prediction id (`predId`, a missed object the model found).
 */
export type Correction =
  | { op: 'relabel'; label: ClassRef }
  | { op: 'box-class'; annId: number; label: ClassRef }
  | { op: 'box-delete'; annId: number }
  | { op: 'box-add'; predId: number; label?: ClassRef };

export interface CorrectionInput {
  rowId: number;
  /** The run the reviewer was looking at (its findings suggested the change). */
  runId?: number | null;
  actor: string;
  actorName?: string | null;
  source: DecisionSource;
  note?: string | null;
  change: Correction;
}

export interface CorrectionResult {
  /** False when the label already was what was asked (a repeated click): nothing stored. */
  recorded: boolean;
  /** The dataset's label version after the call. */
  version: number;
  summary: LabelVersionSummary | null;
  changes: LabelDelta[];
  /** The row's latest decision after the call (the new relabel line when recorded). */
  latest: DecisionRecord | null;
}

/** A correction that does not fit the row: a box that is gone, a prediction of another row. */
export class CorrectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorrectionError';
  }
}

async function rowDataset(db: Db, rowId: number) {
  const [row] = await db
    .select({ datasetId: dataRows.datasetId, externalId: dataRows.externalId, kind: datasets.kind })
    .from(dataRows)
    .innerJoin(datasets, eq(datasets.id, dataRows.datasetId))
    .where(eq(dataRows.id, rowId))
    .limit(1);
  if (!row) throw new RowNotFoundError(rowId);
  return row;
}

async function latestDecision(db: Db, rowId: number): Promise<DecisionRecord | null> {
  const [d] = await db
    .select(decisionColumns)
    .from(reviews)
    .where(eq(reviews.rowId, rowId))
    .orderBy(desc(reviews.id))
    .limit(1);
  return d ?? null;
}

/** The label change a correction asks for, with its boxes looked up on the row. */
async function toLabelChange(db: Db, rowId: number, change: Correction): Promise<LabelChange> {
  if (change.op === 'relabel') return { op: 'relabel', rowId, label: change.label };
  if (change.op === 'box-add') {
    const [p] = await db
      .select({
        label: predictions.label,
        x: predictions.x,
        y: predictions.y,
        w: predictions.w,
        h: predictions.h,
      })
      .from(predictions)
      .where(and(eq(predictions.id, change.predId), eq(predictions.rowId, rowId)))
      .limit(1);
    if (!p || p.x === null || p.y === null || p.w === null || p.h === null)
      throw new CorrectionError(`row ${rowId} has no predicted box with id ${change.predId}`);
    return { op: 'box-add', rowId, label: change.label ?? p.label, box: { x: p.x, y: p.y, w: p.w, h: p.h } };
  }
  const [a] = await db
    .select({ annKey: annotations.annKey })
    .from(annotations)
    .where(and(eq(annotations.id, change.annId), eq(annotations.rowId, rowId)))
    .limit(1);
  if (!a)
    throw new CorrectionError(
      `row ${rowId} has no box with id ${change.annId} any more (it was deleted or changed since the page was made)`,
    );
  return change.op === 'box-delete'
    ? { op: 'box-delete', rowId, annKey: a.annKey }
    : { op: 'box-class', rowId, annKey: a.annKey, label: change.label };
}

/** True when the row already has a box of this class at exactly this place. */
async function sameBoxExists(
  db: Db,
  rowId: number,
  label: number,
  box: { x: number; y: number; w: number; h: number },
): Promise<boolean> {
  const [hit] = await db
    .select({ id: annotations.id })
    .from(annotations)
    .where(
      and(
        eq(annotations.rowId, rowId),
        eq(annotations.label, label),
        eq(annotations.x, box.x),
        eq(annotations.y, box.y),
        eq(annotations.w, box.w),
        eq(annotations.h, box.h),
      ),
    )
    .limit(1);
  return hit !== undefined;
}

/**
 * Correct a row's labels as a reviewer: a new label version of its dataset and a `relabel`
 * decision naming it, in one transaction; the row leaves the rework queue. Asking for what the
 * label already is records nothing (`recorded: false`), so double clicks and Slack retries are
 * harmless. Callers check `mayWrite` first.
 *
 * @example
 * const r = await recordCorrection(db, { rowId, runId, actor: 'U1', source: 'slack', change: { op: 'relabel', label: '7' } });
 */
export async function recordCorrection(db: Db, input: CorrectionInput): Promise<CorrectionResult> {
  return db.transaction(async (tx) => {
    const row = await rowDataset(tx, input.rowId);
    const change = await toLabelChange(tx, input.rowId, input.change);
    // Accepting the same missed box twice (a double click, a Slack retry) must not add it twice.
    const again =
      change.op === 'box-add' &&
      (await sameBoxExists(
        tx,
        input.rowId,
        typeof change.label === 'number'
          ? change.label
          : (await classNamesOfRow(tx, input.rowId)).indexOf(change.label),
        change.box,
      ));
    const v = again
      ? { created: false as const, version: await currentLabelVersion(tx, row.datasetId) }
      : await createLabelVersion(tx, {
          dataset: row.datasetId,
          source: 'correction',
          actor: input.actor,
          note: input.note ?? null,
          origin: { rowId: input.rowId, runId: input.runId ?? null, via: input.source },
          changes: [change],
        });
    if (!v.created)
      return {
        recorded: false,
        version: v.version,
        summary: null,
        changes: [],
        latest: await latestDecision(tx, input.rowId),
      };
    const [latest] = await tx
      .insert(reviews)
      .values({
        rowId: input.rowId,
        runId: input.runId ?? null,
        decision: 'relabel',
        actor: input.actor,
        actorName: input.actorName ?? null,
        source: input.source,
        note: input.note ?? null,
        labelVersionId: v.versionId,
      })
      .returning(decisionColumns);
    await tx.delete(tags).where(and(eq(tags.rowId, input.rowId), eq(tags.tag, REWORK_TAG)));
    return { recorded: true, version: v.version, summary: v.summary, changes: v.changes, latest };
  });
}

/**
 * Undo the newest correction of a row not undone yet: its label version is reverted (a new
 * version) and a `revert` decision records who did it. Nothing to undo → `recorded: false`.
 * Refused (LabelVersionError) when a later version changed the same labels again.
 *
 * @example
 * await undoCorrection(db, { rowId, actor: 'U1', source: 'board' });
 */
export async function undoCorrection(
  db: Db,
  input: Omit<CorrectionInput, 'change' | 'note'>,
): Promise<CorrectionResult> {
  return db.transaction(async (tx) => {
    const row = await rowDataset(tx, input.rowId);
    const [target] = await rawRows<{ version: number; review_id: number | string; run_id: number | null }>(
      tx,
      sql`select lv.version, v.id as review_id, v.run_id from reviews v
          join label_versions lv on lv.id = v.label_version_id
          where v.row_id = ${input.rowId} and v.decision = 'relabel'
            and not exists (
              select 1 from label_versions r
              where r.dataset_id = lv.dataset_id and r.source = 'revert' and (r.origin->>'reverts')::int = lv.version)
          order by v.id desc limit 1`,
    );
    if (!target)
      return {
        recorded: false,
        version: 0,
        summary: null,
        changes: [],
        latest: await latestDecision(tx, input.rowId),
      };
    const v = await revertLabelVersion(tx, {
      dataset: row.datasetId,
      version: target.version,
      actor: input.actor,
    });
    const [latest] = await tx
      .insert(reviews)
      .values({
        rowId: input.rowId,
        runId: input.runId ?? target.run_id ?? null,
        decision: 'revert',
        actor: input.actor,
        actorName: input.actorName ?? null,
        source: input.source,
        note: `undid the relabel of version ${target.version}`,
        labelVersionId: v.versionId,
      })
      .returning(decisionColumns);
    return { recorded: true, version: v.version, summary: v.summary, changes: v.changes, latest };
  });
}

export interface CorrectionLine {
  reviewId: number;
  decision: 'relabel' | 'revert';
  version: number;
  actor: string;
  actorName: string | null;
  source: DecisionSource;
  at: Date;
  /** What the version changed on this row. */
  changes: LabelDelta[];
  /** True for a relabel that a later revert took back. */
  undone: boolean;
}

/**
 * A row's corrections, oldest first, each with what it changed: the history the row page shows
 * under the decisions.
 */
export async function correctionHistory(db: Db, rowId: number): Promise<CorrectionLine[]> {
  const lines = await db
    .select({
      reviewId: reviews.id,
      decision: reviews.decision,
      actor: reviews.actor,
      actorName: reviews.actorName,
      source: reviews.source,
      at: reviews.createdAt,
      versionId: labelVersions.id,
      version: labelVersions.version,
      datasetId: labelVersions.datasetId,
    })
    .from(reviews)
    .innerJoin(labelVersions, eq(labelVersions.id, reviews.labelVersionId))
    .where(and(eq(reviews.rowId, rowId), inArray(reviews.decision, ['relabel', 'revert'])))
    .orderBy(reviews.id);
  if (!lines.length) return [];
  const reverted = new Set(
    (
      await rawRows<{ v: number }>(
        db,
        sql`select (origin->>'reverts')::int as v from label_versions
            where dataset_id = ${lines[0].datasetId} and source = 'revert' and origin ? 'reverts'`,
      )
    ).map((r) => Number(r.v)),
  );
  const out: CorrectionLine[] = [];
  for (const l of lines) {
    const changes = (await versionDeltas(db, l.versionId)).filter((c) => c.rowId === rowId);
    out.push({
      reviewId: l.reviewId,
      decision: l.decision as 'relabel' | 'revert',
      version: l.version,
      actor: l.actor,
      actorName: l.actorName,
      source: l.source,
      at: l.at,
      changes,
      undone: l.decision === 'relabel' && reverted.has(l.version),
    });
  }
  return out;
}

/** The class names of a row's dataset (for messages about its labels); empty for an unknown row. */
export async function classNamesOfRow(db: Db, rowId: number): Promise<string[]> {
  const [r] = await db
    .select({ classNames: datasets.classNames })
    .from(dataRows)
    .innerJoin(datasets, eq(datasets.id, dataRows.datasetId))
    .where(eq(dataRows.id, rowId))
    .limit(1);
  return r?.classNames ?? [];
}
