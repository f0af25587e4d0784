import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rawRows } from '../../db/raw.ts';
import { annotations, dataRows, reviews, tags } from '../../db/schema.ts';
import type { CurrentRow, ImportPlan } from '../import/plan.ts';
import { markBatchRowsDone } from './batch-work.ts';
import type { LabelVersionResult } from './label-version-types.ts';
import { createLabelVersion } from './label-versions.ts';
import { REWORK_TAG } from './reviews.ts';

const CHUNK = 5000;

/** A dataset row as a labeling tool's file may name it: by id, or by its image's file name. */
export interface ImportCandidate extends CurrentRow {
  /** The stored image's file name (`root:1/val2014/x.jpg` → `x.jpg`), if any. */
  fileName: string | null;
}

/**
 * The rows of a dataset that `keys` name — by external id or by their image's file name — with
 * their current labels (class names, boxes in pixels).
 *
 * @example
 * const rows = await importCandidates(db, { datasetId, classNames, keys: ['331', 'img_7.png'] });
 */
export async function importCandidates(
  db: Db,
  { datasetId, classNames, keys }: { datasetId: number; classNames: string[]; keys: string[] },
): Promise<ImportCandidate[]> {
  const unique = [...new Set(keys)];
  const found = new Map<number, ImportCandidate>();
  for (let start = 0; start < unique.length; start += CHUNK) {
    const part = unique.slice(start, start + CHUNK);
    const literal = `{${part.map((k) => `"${k.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
    const rows = await rawRows<{ id: number; external_id: string; file_name: string | null }>(
      db,
      sql`select id, external_id, nullif(regexp_replace(coalesce(image_url, ''), '^.*/|[?#].*$', '', 'g'), '') as file_name
            from ${dataRows}
           where dataset_id = ${datasetId}
             and (external_id = any(${literal}::text[])
                  or regexp_replace(coalesce(image_url, ''), '^.*/|[?#].*$', '', 'g') = any(${literal}::text[]))`,
    );
    for (const r of rows)
      found.set(Number(r.id), {
        rowId: Number(r.id),
        externalId: r.external_id,
        fileName: r.file_name,
        labels: [],
      });
  }
  const ids = [...found.keys()];
  for (let start = 0; start < ids.length; start += CHUNK) {
    const anns = await db
      .select()
      .from(annotations)
      .where(inArray(annotations.rowId, ids.slice(start, start + CHUNK)))
      .orderBy(asc(annotations.rowId), asc(annotations.id));
    for (const a of anns)
      found.get(a.rowId)?.labels.push({
        annKey: a.annKey,
        label: classNames[a.label] ?? String(a.label),
        box:
          a.x === null || a.y === null || a.w === null || a.h === null
            ? null
            : { x: a.x, y: a.y, w: a.w, h: a.h },
      });
  }
  return [...found.values()];
}

export interface LabelImportResult {
  version: LabelVersionResult;
  /** Rework rows the import closed (they left the rework queue). */
  reworkDone: number;
  /** Batch rows marked done, per open batch. */
  batchRowsDone: Record<string, number>;
}

/**
 * Apply an import plan in one transaction: the new label version (through the one writer,
 * createLabelVersion), a `relabel` decision naming it on each changed row and an `approve` on each
 * rework row the labeler confirmed as it was, the covered rows off the rework queue, and their
 * batch rows done. Anything failing leaves everything as it was.
 *
 * @example
 * const r = await applyLabelImport(db, { datasetId, plan, actor: 'cli', origin: { tool: 'cvat', file: 'annotations.xml' } });
 */
export async function applyLabelImport(
  db: Db,
  {
    datasetId,
    plan,
    actor,
    origin,
    note = null,
  }: {
    datasetId: number;
    plan: ImportPlan;
    actor: string;
    origin: Record<string, unknown>;
    note?: string | null;
  },
): Promise<LabelImportResult> {
  return db.transaction(async (tx) => {
    const version = await createLabelVersion(tx, {
      dataset: datasetId,
      source: 'import',
      actor,
      note,
      origin,
      changes: plan.changes,
    });
    const changed = new Set(version.changes.map((c) => c.rowId));
    const covered = plan.covered;
    const inRework = new Set<number>();
    for (let start = 0; start < covered.length; start += CHUNK) {
      const part = covered.slice(start, start + CHUNK);
      const tagged = await tx
        .delete(tags)
        .where(and(inArray(tags.rowId, part), eq(tags.tag, REWORK_TAG)))
        .returning({ rowId: tags.rowId });
      for (const t of tagged) inRework.add(t.rowId);
    }
    const lines: { rowId: number; decision: 'relabel' | 'approve'; labelVersionId: number | null }[] = [];
    for (const rowId of covered)
      if (changed.has(rowId)) lines.push({ rowId, decision: 'relabel', labelVersionId: version.versionId });
      else if (inRework.has(rowId)) lines.push({ rowId, decision: 'approve', labelVersionId: null });
    const via = `labels imported from ${String(origin.tool)}${origin.file ? ` (${String(origin.file)})` : ''}`;
    for (let start = 0; start < lines.length; start += CHUNK)
      await tx
        .insert(reviews)
        .values(
          lines.slice(start, start + CHUNK).map((l) => ({ ...l, actor, source: 'cli' as const, note: via })),
        );
    const done = await markBatchRowsDone(tx as unknown as Db, covered);
    return { version, reworkDone: inRework.size, batchRowsDone: Object.fromEntries(done) };
  });
}
