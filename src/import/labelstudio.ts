import { round6 } from '../export/handoff-document.ts';
import {
  type ImportedLabel,
  type ImportedLabels,
  type ImportedRow,
  LabelFileError,
  isFiniteNumber,
  isRecord,
  parseJsonFile,
} from './labels-file.ts';

const FIX_EXPORT =
  'export the project from Label Studio with Export → JSON (not JSON-MIN or CSV) and import that file';

/** Result types that carry labels; others (text areas, ratings, relations) are left alone. */
const LABEL_TYPES = new Set([
  'choices',
  'rectanglelabels',
  'polygonlabels',
  'keypointlabels',
  'brushlabels',
  'ellipselabels',
  'labels',
  'taxonomy',
]);

/** The annotation a labeler left last: the newest one not cancelled (or skipped). */
function latestAnnotation(annotations: unknown[]): { a: Record<string, unknown>; i: number } | null {
  let best: { a: Record<string, unknown>; i: number } | null = null;
  annotations.forEach((a, i) => {
    if (!isRecord(a) || a.was_cancelled === true) return;
    const at = typeof a.updated_at === 'string' ? a.updated_at : '';
    const bestAt = best && typeof best.a.updated_at === 'string' ? best.a.updated_at : '';
    if (!best || at >= bestAt) best = { a, i };
  });
  return best;
}

function regionLabel(region: Record<string, unknown>, where: string, type: string): string {
  const value = isRecord(region.value) ? region.value : null;
  const names = value?.[type];
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string'))
    throw new LabelFileError(
      `${where} value.${type}`,
      'expected a list with one class name',
      'pick a class for the region in Label Studio',
    );
  if (names.length > 1)
    throw new LabelFileError(
      `${where} value.${type}`,
      `${names.length} classes (${names.join(', ')}) where one is expected`,
      'keep one class per row (Choices with choice="single") and export again',
    );
  return names[0] as string;
}

function regionBox(region: Record<string, unknown>, where: string): ImportedLabel['box'] {
  const value = region.value as Record<string, unknown>;
  for (const k of ['x', 'y', 'width', 'height'])
    if (!isFiniteNumber(value[k]))
      throw new LabelFileError(`${where} value.${k}`, 'missing or not a number', FIX_EXPORT);
  const rotation = value.rotation ?? 0;
  if (!isFiniteNumber(rotation) || Math.abs(rotation) > 1e-9)
    throw new LabelFileError(
      `${where} value.rotation`,
      `the box is rotated (${String(rotation)}°); Loupe keeps axis-aligned boxes`,
      'set the rotation back to 0 in Label Studio (or disable canRotate) and export again',
    );
  const ow = region.original_width;
  const oh = region.original_height;
  if (!isFiniteNumber(ow) || !isFiniteNumber(oh) || ow <= 0 || oh <= 0)
    throw new LabelFileError(
      `${where} original_width/original_height`,
      'missing or not positive',
      FIX_EXPORT,
    );
  const [x, y, w, h] = [value.x, value.y, value.width, value.height] as number[];
  if (w <= 0 || h <= 0 || x < -1e-6 || y < -1e-6 || x + w > 100 + 1e-6 || y + h > 100 + 1e-6)
    throw new LabelFileError(
      `${where} value`,
      `box x=${x} y=${y} width=${w} height=${h} is not inside the image (percent, 0–100)`,
      'redraw the box inside the image',
    );
  return {
    x: round6((x * ow) / 100),
    y: round6((y * oh) / 100),
    w: round6((w * ow) / 100),
    h: round6((h * oh) / 100),
  };
}

/**
 * Read Label Studio's JSON export of annotated tasks: for each task made by `loupe batch export
 * --format labelstudio`, the row (`data.loupe_id`) and the labels of its newest annotation that
 * was not cancelled — a `choices` class or `rectanglelabels` boxes (percent → pixels with
 * `original_width`/`original_height`). Tasks without such an annotation are skipped.
 *
 * @example
 * const { rows } = parseLabelStudioExport(readFileSync('project-1.json', 'utf8'), 'project-1.json');
 */
export function parseLabelStudioExport(text: string, file = 'file'): ImportedLabels {
  const tasks = parseJsonFile(text, file, FIX_EXPORT);
  if (!Array.isArray(tasks)) throw new LabelFileError(file, 'expected a JSON list of tasks', FIX_EXPORT);
  const rows: ImportedRow[] = [];
  let skipped = 0;
  tasks.forEach((task, t) => {
    const taskWhere = `${file} task ${t + 1}${isRecord(task) && task.id !== undefined ? ` (id ${String(task.id)})` : ''}`;
    if (!isRecord(task) || !isRecord(task.data))
      throw new LabelFileError(taskWhere, 'a task needs a "data" object', FIX_EXPORT);
    if (!('annotations' in task))
      throw new LabelFileError(
        `${taskWhere} annotations`,
        'missing (is this a JSON-MIN export or the tasks file Loupe wrote?)',
        FIX_EXPORT,
      );
    const id = task.data.loupe_id;
    if (typeof id !== 'string' || id === '')
      throw new LabelFileError(
        `${taskWhere} data.loupe_id`,
        'missing: this task was not made by Loupe',
        'import the tasks of `loupe batch export --format labelstudio` into Label Studio unchanged, then export them',
      );
    if (!Array.isArray(task.annotations))
      throw new LabelFileError(`${taskWhere} annotations`, 'expected a list', FIX_EXPORT);
    const latest = latestAnnotation(task.annotations);
    if (!latest) {
      skipped++;
      return;
    }
    const annWhere = `${taskWhere} annotations[${latest.i}]`;
    if (!Array.isArray(latest.a.result))
      throw new LabelFileError(`${annWhere}.result`, 'expected a list of regions', FIX_EXPORT);
    const labels: ImportedLabel[] = [];
    latest.a.result.forEach((region, r) => {
      const where = `${annWhere}.result[${r}]`;
      if (!isRecord(region) || typeof region.type !== 'string')
        throw new LabelFileError(where, 'a region needs a "type"', FIX_EXPORT);
      const type = region.type;
      if (!LABEL_TYPES.has(type)) return;
      if (type === 'choices') labels.push({ label: regionLabel(region, where, type), box: null, where });
      else if (type === 'rectanglelabels')
        labels.push({ label: regionLabel(region, where, type), box: regionBox(region, where), where });
      else
        throw new LabelFileError(
          `${where} type`,
          `"${type}" regions are not supported; Loupe takes choices (classification) and rectanglelabels (boxes)`,
          'label with the config from `loupe batch export --labelstudio-config`',
        );
    });
    rows.push({ key: id, altKeys: [], where: taskWhere, labels });
  });
  return { tool: 'labelstudio', rows, skipped };
}
