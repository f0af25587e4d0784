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
  const lines = [EXPORT_COLUMNS.join(',')];
  for (const r of doc.items) lines.push(EXPORT_COLUMNS.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

/** RFC 4180 quoting; a leading = + - @ (but not a negative number) is prefixed so spreadsheets don't run it as a formula. */
function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+@\t\r]/.test(s) || (s.startsWith('-') && !/^-\d+(\.\d+)?$/.test(s))) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
