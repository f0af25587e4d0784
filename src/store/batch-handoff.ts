import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import {
  annotations,
  batchItems,
  batches,
  dataRows,
  datasets,
  modelRuns,
  predictions,
} from '../../db/schema.ts';
import type { HandoffDocument, HandoffItem } from '../export/handoff-document.ts';
import type { MediaRow } from '../media/urls.ts';
import { BatchError } from './batches.ts';

/** Rows per lookup of labels and predictions (ids travel as parameters). */
const CHUNK = 5000;

/** The base name of a stored image (`root:1/val2014/x.jpg` → `x.jpg`), or null when it has none. */
function baseName(imageUrl: string | null): string | null {
  if (!imageUrl) return null;
  const path = imageUrl.replace(/^root:\d+\//, '').replace(/[?#].*$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  return /^[^\s]+\.[A-Za-z0-9]{2,5}$/.test(name) ? name : null;
}

/**
 * A batch as a labeling tool takes it (see `HandoffDocument`): its rows in batch order with their
 * current labels, the batch run's predictions with scores, and image URLs from `imageUrl` (the
 * media module's `handoff`, absolute and signed where needed). A batch must hold one dataset's rows.
 *
 * @example
 * const doc = await batchHandoffDocument(db, 'week-12', { imageUrl: urls.handoff });
 */
export async function batchHandoffDocument(
  db: Db,
  name: string,
  { imageUrl }: { imageUrl: (row: MediaRow) => string | null },
): Promise<HandoffDocument> {
  const [batch] = await db
    .select({ id: batches.id, name: batches.name, runId: batches.runId, run: modelRuns.name })
    .from(batches)
    .leftJoin(modelRuns, eq(modelRuns.id, batches.runId))
    .where(eq(batches.name, name.trim()));
  if (!batch) throw new BatchError(`no batch named "${name}"`);
  const rows = await db
    .select({
      rowId: dataRows.id,
      id: dataRows.externalId,
      imageUrl: dataRows.imageUrl,
      width: dataRows.width,
      height: dataRows.height,
      labeled: dataRows.labeled,
      datasetId: datasets.id,
      dataset: datasets.name,
      kind: datasets.kind,
      classNames: datasets.classNames,
      sourceClassIds: datasets.sourceClassIds,
    })
    .from(batchItems)
    .innerJoin(dataRows, eq(dataRows.id, batchItems.rowId))
    .innerJoin(datasets, eq(datasets.id, dataRows.datasetId))
    .where(eq(batchItems.batchId, batch.id))
    .orderBy(asc(batchItems.position));
  const names = [...new Set(rows.map((r) => r.dataset))];
  if (names.length > 1)
    throw new BatchError(
      `batch "${batch.name}" holds rows of ${names.length} datasets (${names.join(', ')}); a labeling tool takes one: remove the others with \`loupe batch remove\``,
    );
  const first = rows[0];
  const classNames = first?.classNames ?? [];
  const className = (i: number) => classNames[i] ?? String(i);
  const labelsOf = new Map<number, HandoffItem['labels']>();
  const predsOf = new Map<number, HandoffItem['predictions']>();
  const ids = rows.map((r) => r.rowId);
  for (let start = 0; start < ids.length; start += CHUNK) {
    const part = ids.slice(start, start + CHUNK);
    const anns = await db
      .select()
      .from(annotations)
      .where(inArray(annotations.rowId, part))
      .orderBy(asc(annotations.rowId), asc(annotations.id));
    for (const a of anns) {
      const list = labelsOf.get(a.rowId) ?? [];
      list.push({
        label: className(a.label),
        key: a.annKey,
        box:
          a.x === null || a.y === null || a.w === null || a.h === null
            ? null
            : { x: a.x, y: a.y, w: a.w, h: a.h },
      });
      labelsOf.set(a.rowId, list);
    }
    if (batch.runId === null) continue;
    const preds = await db
      .select()
      .from(predictions)
      .where(and(eq(predictions.runId, batch.runId), inArray(predictions.rowId, part)))
      .orderBy(asc(predictions.rowId), asc(predictions.predKey));
    for (const p of preds) {
      const list = predsOf.get(p.rowId) ?? [];
      list.push({
        label: className(p.label),
        score: p.score,
        box:
          p.x === null || p.y === null || p.w === null || p.h === null
            ? null
            : { x: p.x, y: p.y, w: p.w, h: p.h },
      });
      predsOf.set(p.rowId, list);
    }
  }
  // Two rows can share a base name (folders per class): then every row is named by its id.
  const bases = rows.map((r) => baseName(r.imageUrl));
  const unique = new Set(bases).size === bases.length && bases.every((b) => b !== null);
  return {
    batch: batch.name,
    dataset: first?.dataset ?? '',
    kind: first?.kind ?? 'classification',
    classNames,
    sourceClassIds: first?.sourceClassIds ?? null,
    modelVersion: batch.run,
    items: rows.map((r, i) => ({
      id: r.id,
      imageUrl: imageUrl({ rowId: r.rowId, imageUrl: r.imageUrl }),
      fileName: unique ? (bases[i] as string) : r.id,
      width: r.width,
      height: r.height,
      labeled: r.labeled,
      labels: labelsOf.get(r.rowId) ?? [],
      // Classification: the most likely class first, as the pre-annotation.
      predictions: (predsOf.get(r.rowId) ?? []).sort((a, b) => (a.box || b.box ? 0 : b.score - a.score)),
    })),
  };
}
