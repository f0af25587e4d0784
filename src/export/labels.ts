import type { Db } from '../store/database.ts';
import { type NpyArray, encodeNpy } from '../ingest/npy.ts';
import {
  type DatasetLabels,
  type LabelDelta,
  type LabelState,
  DatasetNotFoundError,
} from '../store/label-version-types.ts';
import { type ExportRow, datasetRowsInOrder } from '../store/rows.ts';
import { currentLabelVersion, findLabelDataset, firstLabelVersion } from '../store/label-version-reads.ts';
import { labelDiff, labelsAt } from '../store/label-history.ts';
import { toCsv } from '../text/csv.ts';

import type { LabelExportFormat } from './label-formats.ts';

export { LABEL_EXPORT_FORMATS, type LabelExportFormat } from './label-formats.ts';

export interface LabelExportOptions {
  /** Dataset name or id. */
  dataset: string | number;
  /** Label version to write; default the current one. */
  version?: number;
  format: LabelExportFormat;
  /** Only the labels that differ from the labels as ingested (version 1). */
  onlyChanged?: boolean;
  /**
   * COCO: the ingested file itself; the export is that document with the changes applied, so every
   * field Loupe does not store (licenses, URLs, segmentation, supercategories) comes through as is.
   */
  like?: Record<string, unknown>;
}

export interface LabelExport {
  dataset: string;
  version: number;
  format: LabelExportFormat;
  body: Buffer;
  /** A file name for a download: `<dataset>-labels-v<N>[-changed].<ext>`. */
  fileName: string;
  contentType: string;
  /** Rows written (npy/csv), or annotations written (coco). */
  written: number;
  /** Labels that differ from version 1. */
  changed: number;
}

/** A wrong export request (format for this dataset, a dtype that cannot hold the labels). */
export class LabelExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelExportError';
  }
}

type IntArrayCtor = new (n: number) => NpyArray;
const NPY_ARRAYS: Record<string, { ctor: IntArrayCtor; big: boolean; min: number; max: number }> = {
  '<i8': { ctor: BigInt64Array, big: true, min: -(2 ** 53), max: 2 ** 53 },
  '<i4': { ctor: Int32Array, big: false, min: -(2 ** 31), max: 2 ** 31 - 1 },
  '<i2': { ctor: Int16Array, big: false, min: -32768, max: 32767 },
  '|i1': { ctor: Int8Array, big: false, min: -128, max: 127 },
  '<u8': { ctor: BigUint64Array, big: true, min: 0, max: 2 ** 53 },
  '<u4': { ctor: Uint32Array, big: false, min: 0, max: 2 ** 32 - 1 },
  '<u2': { ctor: Uint16Array, big: false, min: 0, max: 65535 },
  '|u1': { ctor: Uint8Array, big: false, min: 0, max: 255 },
  '<f8': { ctor: Float64Array, big: false, min: -(2 ** 53), max: 2 ** 53 },
  '<f4': { ctor: Float32Array, big: false, min: -(2 ** 24), max: 2 ** 24 },
};

/** numpy writes 1-byte dtypes with either '|' or '<'; we read both and write what came in. */
function npyKind(descr: string): string {
  return descr.length === 3 && descr[2] === '1' ? `|${descr.slice(1)}` : descr;
}

/**
 * Labels as a `.npy` of the given dtype (numpy's descr, e.g. `<i8`), one per row in row order;
 * -1 for an unlabeled row, as ingest reads it. A column of pairs when `pairs` (row index, label).
 *
 * @example
 * encodeLabelsNpy([3, 1, -1], '<i8'); // what np.save(path, np.array([3, 1, -1])) writes
 */
export function encodeLabelsNpy(values: number[], descr: string, { pairs = false } = {}): Buffer {
  const kind = NPY_ARRAYS[npyKind(descr)];
  if (!kind) throw new LabelExportError(`labels dtype ${descr} cannot be written; expected an integer dtype`);
  for (const v of values)
    if (v < kind.min || v > kind.max)
      throw new LabelExportError(
        v === -1
          ? `labels dtype ${descr} cannot hold -1 for an unlabeled row; export with --format csv`
          : `label ${v} does not fit dtype ${descr}`,
      );
  const data = new kind.ctor(values.length);
  values.forEach((v, i) => {
    (data as unknown as (number | bigint)[])[i] = kind.big ? BigInt(v) : v;
  });
  const shape = pairs ? [values.length / 2, 2] : [values.length];
  return encodeNpy(data, shape, { descr });
}

/** The label of each row (-1 none) in row order, from a version's labels. */
function labelPerRow(rows: ExportRow[], labels: LabelState[]): number[] {
  const byRow = new Map(labels.map((l) => [l.rowId, l.label]));
  return rows.map((r) => byRow.get(r.rowId) ?? -1);
}

function rowIndex(rows: ExportRow[]): Map<number, number> {
  return new Map(rows.map((r, i) => [r.rowId, i]));
}

interface CocoDoc {
  images: Record<string, unknown>[];
  annotations: Record<string, unknown>[];
  categories: { id: number; name: string }[];
  /** --only-changed: annotation ids of the input that this version deleted. */
  deleted_annotation_ids?: number[];
}

const cocoId = (s: string, what: string): number | string => {
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new LabelExportError(`${what} ${s} is not a COCO id (a whole number)`);
  return n;
};

function cocoImage(r: ExportRow): Record<string, unknown> {
  const fileName = r.metadata && typeof r.metadata.file_name === 'string' ? r.metadata.file_name : undefined;
  return {
    id: cocoId(r.externalId, 'image id'),
    ...(r.width !== null ? { width: r.width } : {}),
    ...(r.height !== null ? { height: r.height } : {}),
    ...(fileName !== undefined ? { file_name: fileName } : {}),
  };
}

function cocoAnnotation(
  d: DatasetLabels,
  l: { externalId: string; annKey: string; label: number; box: LabelState['box'] },
): Record<string, unknown> {
  if (!l.box) throw new LabelExportError(`annotation ${l.annKey} has no box`);
  return {
    id: cocoId(l.annKey, 'annotation id'),
    image_id: cocoId(l.externalId, 'image id'),
    category_id: d.sourceClassIds?.[l.label] ?? l.label,
    bbox: [l.box.x, l.box.y, l.box.w, l.box.h],
    area: l.box.area,
    iscrowd: l.box.iscrowd ? 1 : 0,
  };
}

function cocoCategories(d: DatasetLabels) {
  return d.classNames.map((name, i) => ({ id: d.sourceClassIds?.[i] ?? i, name }));
}

const byNumber = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.id) - Number(b.id);

/**
 * A dataset's labels at a version, in the form they came in: `.npy` in the dtype and row order of
 * the ingested labels file; CSV `id,label` (class names); COCO with the input's image, annotation
 * and category ids. `onlyChanged` writes what differs from the labels as ingested: npy an N × 2
 * int64 array of (row index, label); CSV `id,old_label,label`; COCO the changed and added annotations
 * with their images, and `deleted_annotation_ids`.
 *
 * @example
 * const out = await exportLabels(db, { dataset: 'digits', format: 'npy' });
 * writeFileSync(out.fileName, out.body);
 */
export async function exportLabels(db: Db, opts: LabelExportOptions): Promise<LabelExport> {
  const d = await findLabelDataset(db, opts.dataset);
  if (!d) throw new DatasetNotFoundError(opts.dataset);
  if ((opts.format === 'coco') !== (d.kind === 'detection'))
    throw new LabelExportError(
      d.kind === 'detection'
        ? `dataset "${d.name}" holds detection boxes: export it with --format coco`
        : `dataset "${d.name}" holds classification labels: export it with --format npy or csv`,
    );
  const version = opts.version ?? (await currentLabelVersion(db, d.id));
  const [{ labels }, rows, first] = await Promise.all([
    labelsAt(db, { dataset: d.id, version }),
    datasetRowsInOrder(db, d.id),
    firstLabelVersion(db, d.id),
  ]);
  const diff: LabelDelta[] = await labelDiff(db, { dataset: d.id, from: 1, to: version });
  const base = `${d.name.replace(/[^A-Za-z0-9._-]+/g, '_')}-labels-v${version}${opts.onlyChanged ? '-changed' : ''}`;
  const out = (body: Buffer, ext: string, contentType: string, written: number): LabelExport => ({
    dataset: d.name,
    version,
    format: opts.format,
    body,
    fileName: `${base}.${ext}`,
    contentType,
    written,
    changed: diff.length,
  });
  const names = (i: number | null) => (i === null || i < 0 ? '' : (d.classNames[i] ?? String(i)));

  if (opts.format === 'npy') {
    const descr = typeof first?.origin?.descr === 'string' ? first.origin.descr : '<i8';
    if (opts.onlyChanged) {
      const at = rowIndex(rows);
      const pairs = diff.flatMap((c) => [at.get(c.rowId) ?? -1, c.newLabel ?? -1]);
      // Row indices need not fit the labels' dtype (|u1 labels, 70,000 rows): pairs are int64.
      return out(
        encodeLabelsNpy(pairs, '<i8', { pairs: true }),
        'npy',
        'application/octet-stream',
        diff.length,
      );
    }
    return out(
      encodeLabelsNpy(labelPerRow(rows, labels), descr),
      'npy',
      'application/octet-stream',
      rows.length,
    );
  }

  if (opts.format === 'csv') {
    if (opts.onlyChanged) {
      const records = diff.map((c) => ({
        id: c.externalId,
        old_label: names(c.oldLabel),
        label: names(c.newLabel),
      }));
      return out(
        Buffer.from(toCsv(['id', 'old_label', 'label'], records)),
        'csv',
        'text/csv; charset=utf-8',
        records.length,
      );
    }
    const per = labelPerRow(rows, labels);
    const records = rows.map((r, i) => ({ id: r.externalId, label: names(per[i]) }));
    return out(
      Buffer.from(toCsv(['id', 'label'], records)),
      'csv',
      'text/csv; charset=utf-8',
      records.length,
    );
  }

  if (opts.like && !opts.onlyChanged) {
    const doc = applyToCoco(d, opts.like, diff);
    return out(Buffer.from(`${JSON.stringify(doc)}\n`), 'json', 'application/json', doc.annotations.length);
  }
  let doc: CocoDoc;
  if (opts.onlyChanged) {
    const kept = diff.filter((c) => c.newLabel !== null);
    const imageIds = new Set(kept.map((c) => c.rowId));
    doc = {
      images: rows.filter((r) => imageIds.has(r.rowId)).map(cocoImage),
      annotations: kept.map((c) => cocoAnnotation(d, { ...c, label: c.newLabel as number })).sort(byNumber),
      categories: cocoCategories(d),
      deleted_annotation_ids: diff
        .filter((c) => c.newLabel === null && c.oldLabel !== null)
        .map((c) => Number(c.annKey))
        .sort((a, b) => a - b),
    };
  } else {
    doc = {
      images: rows.map(cocoImage),
      annotations: labels.map((l) => cocoAnnotation(d, l)).sort(byNumber),
      categories: cocoCategories(d),
    };
  }
  return out(Buffer.from(`${JSON.stringify(doc)}\n`), 'json', 'application/json', doc.annotations.length);
}

/**
 * The ingested COCO document with a label diff (from version 1) applied: changed boxes get their
 * new category, deleted ones leave, added ones are appended; everything else is kept as it was.
 * Refused when the file is not the one the dataset was ingested from (an id the diff names is missing).
 *
 * @example
 * const cleaned = applyToCoco(dataset, JSON.parse(readFileSync('instances.json', 'utf8')), diff);
 */
export function applyToCoco(
  d: DatasetLabels,
  like: Record<string, unknown>,
  diff: LabelDelta[],
): { annotations: Record<string, unknown>[] } & Record<string, unknown> {
  const anns = like.annotations;
  if (!Array.isArray(anns) || !Array.isArray(like.images))
    throw new LabelExportError('--like: not a COCO file (expected "images" and "annotations" arrays)');
  const byId = new Map(diff.map((c) => [Number(c.annKey), c]));
  const seen = new Set<number>();
  const annotations: Record<string, unknown>[] = [];
  for (const a of anns as Record<string, unknown>[]) {
    const c = byId.get(Number(a.id));
    if (!c) {
      annotations.push(a);
      continue;
    }
    seen.add(Number(a.id));
    if (c.oldLabel === null)
      throw new LabelExportError(
        `--like: annotation ${String(a.id)} is in the file but was added in Loupe; is this the ingested file?`,
      );
    if (c.newLabel === null) continue;
    annotations.push({ ...a, category_id: d.sourceClassIds?.[c.newLabel] ?? c.newLabel });
  }
  for (const c of diff) {
    if (seen.has(Number(c.annKey))) continue;
    if (c.oldLabel !== null)
      throw new LabelExportError(
        `--like: annotation ${c.annKey} of image ${c.externalId} is not in the file; expected the COCO file the dataset was ingested from`,
      );
    if (c.newLabel !== null) annotations.push(cocoAnnotation(d, { ...c, label: c.newLabel }));
  }
  return { ...like, annotations };
}
