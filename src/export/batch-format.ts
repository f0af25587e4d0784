import { toCsv } from '../text/csv.ts';
import { formatCocoSubset } from './coco.ts';
import { formatCvat } from './cvat.ts';
import type { HandoffDocument, HandoffFormat } from './handoff-document.ts';
import { formatLabelStudio } from './labelstudio.ts';

/** One batch item as a labeling tool takes it. */
export interface BatchExportRecord {
  id: string;
  dataset: string;
  image_url: string | null;
  width: number | null;
  height: number | null;
  label: string | null;
  predicted: string | null;
}

/** What an export writes: the batch's name and status, and its items in batch order. */
export interface BatchExportDocument {
  batch: string;
  status: string;
  items: BatchExportRecord[];
}

/** A batch ready to format: a table (CSV, JSON) or a labeling tool's format. */
export type BatchExport =
  | { format: 'csv' | 'json'; doc: BatchExportDocument }
  | { format: HandoffFormat; doc: HandoffDocument };

const EXPORT_COLUMNS = ['id', 'dataset', 'image_url', 'width', 'height', 'label', 'predicted'] as const;

/**
 * A batch as text: CSV with a header (`id` first) or a JSON document. Pure, so a large batch can
 * be formatted in a worker thread.
 *
 * @example
 * const csv = formatBatchExport({ batch: 'b1', status: 'open', items }, 'csv');
 */
export function formatBatchExport(doc: BatchExportDocument, format: 'csv' | 'json'): string {
  if (format === 'json') {
    return `${JSON.stringify({ batch: doc.batch, status: doc.status, items: doc.items }, null, 2)}\n`;
  }
  return toCsv(EXPORT_COLUMNS, doc.items);
}

/**
 * Any batch export as text: CSV, JSON, Label Studio tasks, CVAT for images 1.1 XML or a COCO
 * subset. Pure, so a large batch can be formatted in a worker thread.
 *
 * @example
 * const xml = formatBatch({ format: 'cvat', doc });
 */
export function formatBatch(e: BatchExport): string {
  switch (e.format) {
    case 'csv':
    case 'json':
      return formatBatchExport(e.doc, e.format);
    case 'labelstudio':
      return formatLabelStudio(e.doc);
    case 'cvat':
      return formatCvat(e.doc);
    case 'coco':
      return formatCocoSubset(e.doc);
  }
}

/** The file a format is saved as: extension and media type. */
export const EXPORT_FILES: Record<BatchExport['format'], { ext: string; type: string }> = {
  csv: { ext: 'csv', type: 'text/csv; charset=utf-8' },
  json: { ext: 'json', type: 'application/json; charset=utf-8' },
  labelstudio: { ext: 'labelstudio.json', type: 'application/json; charset=utf-8' },
  cvat: { ext: 'cvat.xml', type: 'application/xml; charset=utf-8' },
  coco: { ext: 'coco.json', type: 'application/json; charset=utf-8' },
};
