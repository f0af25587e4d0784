import {
  type ImportedLabels,
  type ImportedRow,
  LabelFileError,
  isFiniteNumber,
  isRecord,
  parseJsonFile,
} from './labels-file.ts';

const FIX_EXPORT = 'export the task as COCO 1.0 (instances) with "images", "annotations" and "categories"';

/**
 * Read a COCO instances file (a labeling tool's COCO export of a batch): each image, matched by
 * its id (our id for COCO datasets) or its `file_name`, with its complete set of boxes — an image
 * without annotations has no objects. Category ids map to names through `categories`.
 *
 * @example
 * const { rows } = parseCocoLabels(readFileSync('instances_default.json', 'utf8'), 'instances_default.json');
 */
export function parseCocoLabels(text: string, file = 'file'): ImportedLabels {
  const doc = parseJsonFile(text, file, FIX_EXPORT);
  if (!isRecord(doc)) throw new LabelFileError(file, 'expected a COCO object', FIX_EXPORT);
  for (const key of ['images', 'annotations', 'categories'])
    if (!Array.isArray(doc[key]))
      throw new LabelFileError(`${file} "${key}"`, 'missing or not a list', FIX_EXPORT);
  const categories = new Map<number, string>();
  (doc.categories as unknown[]).forEach((c, i) => {
    if (!isRecord(c) || !Number.isInteger(c.id) || typeof c.name !== 'string')
      throw new LabelFileError(`${file} categories[${i}]`, 'needs an integer "id" and a "name"', FIX_EXPORT);
    categories.set(c.id as number, c.name);
  });
  const rows = new Map<number, ImportedRow>();
  (doc.images as unknown[]).forEach((im, i) => {
    if (!isRecord(im) || !Number.isInteger(im.id))
      throw new LabelFileError(`${file} images[${i}]`, 'needs an integer "id"', FIX_EXPORT);
    const id = im.id as number;
    if (rows.has(id))
      throw new LabelFileError(`${file} images[${i}].id`, `image id ${id} appears twice`, FIX_EXPORT);
    const name = typeof im.file_name === 'string' ? im.file_name : '';
    const bare = name.slice(name.lastIndexOf('/') + 1);
    rows.set(id, {
      key: String(id),
      altKeys: name ? [bare, bare.replace(/\.[^.]+$/, '')] : [],
      where: `${file} images[${i}] (id ${id}${name ? `, ${name}` : ''})`,
      labels: [],
      annIds: [],
    });
  });
  (doc.annotations as unknown[]).forEach((a, i) => {
    const where = `${file} annotations[${i}]`;
    if (!isRecord(a)) throw new LabelFileError(where, 'expected an object', FIX_EXPORT);
    const row = rows.get(a.image_id as number);
    if (!row)
      throw new LabelFileError(
        `${where}.image_id`,
        `no image with id ${String(a.image_id)} in "images"`,
        FIX_EXPORT,
      );
    const name = categories.get(a.category_id as number);
    if (name === undefined)
      throw new LabelFileError(
        `${where}.category_id`,
        `no category with id ${String(a.category_id)} in "categories"`,
        FIX_EXPORT,
      );
    const bbox = a.bbox;
    if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(isFiniteNumber))
      throw new LabelFileError(`${where}.bbox`, 'expected [x, y, width, height] in pixels', FIX_EXPORT);
    const [x, y, w, h] = bbox as number[];
    if (w <= 0 || h <= 0)
      throw new LabelFileError(
        `${where}.bbox`,
        `width and height must be positive, got ${w} × ${h}`,
        'redraw the box',
      );
    row.labels.push({ label: name, box: { x, y, w, h }, where });
    row.annIds?.push(Number.isInteger(a.id) ? String(a.id) : null);
  });
  return { tool: 'coco', rows: [...rows.values()], skipped: 0 };
}
