import type { Deps } from '../deps.ts';
import { createMediaUrls } from '../media/urls.ts';
import { batchHandoffDocument } from '../store/batch-handoff.ts';
import { batchExportDocument } from '../store/batches.ts';
import { type BatchExport, EXPORT_FILES } from './batch-format.ts';
import { type BatchExportFormat, isHandoffFormat } from './handoff-document.ts';

/** Image URLs a labeling tool can load: absolute from LOUPE_PUBLIC_URL, signed when the board signs links. */
export function handoffImageUrl(deps: Pick<Deps, 'config' | 'clock'>) {
  return createMediaUrls({
    secret: deps.config.LOUPE_SECRET,
    publicUrl: deps.config.LOUPE_PUBLIC_URL,
    clock: deps.clock,
  }).handoff;
}

/**
 * A batch ready to format in `format` (see `formatBatch`), with its rows count and the file
 * name to save it as. The board formats large ones in the compute pool; the CLI inline.
 *
 * @example
 * const { input, fileName } = await batchExport(deps, 'week-12', 'labelstudio');
 * writeFileSync(fileName, formatBatch(input));
 */
export async function batchExport(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  name: string,
  format: BatchExportFormat,
): Promise<{ input: BatchExport; rows: number; fileName: string; contentType: string }> {
  const imageUrl = handoffImageUrl(deps);
  const input: BatchExport = isHandoffFormat(format)
    ? { format, doc: await batchHandoffDocument(deps.db, name, { imageUrl }) }
    : { format, doc: await batchExportDocument(deps.db, name, { imageUrl }) };
  if (input.format === 'coco' && input.doc.kind !== 'detection')
    throw new BatchExportError(
      `batch "${name}" holds classification rows; COCO is for detection: use --format labelstudio, cvat, csv or json`,
    );
  const file = EXPORT_FILES[format];
  return {
    input,
    rows: input.doc.items.length,
    fileName: `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.${file.ext}`,
    contentType: file.type,
  };
}

/** A batch that cannot be written in the format asked for (the message says which to use). */
export class BatchExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchExportError';
  }
}
