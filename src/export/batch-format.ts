import { toCsv } from '../text/csv.ts';

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
