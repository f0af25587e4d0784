import type { HandoffDocument } from './handoff-document.ts';

/** Our row id as a COCO image id: the id itself when it is a whole number (COCO datasets), else the position. */
export function cocoImageId(id: string, position: number): number {
  return /^\d{1,15}$/.test(id) ? Number(id) : position + 1;
}

/** A class index as a COCO category id: the source's id when the dataset came from COCO, else index + 1. */
export function cocoCategoryId(doc: Pick<HandoffDocument, 'sourceClassIds'>, index: number): number {
  return doc.sourceClassIds?.[index] ?? index + 1;
}

/**
 * A detection batch as a COCO subset: the batch's images (ids as ingested, `coco_url` the URL a
 * tool can load), the dataset's categories with their ids, and the rows' current boxes with
 * their annotation ids. A labeling tool's COCO export of it comes back through `loupe import labels`.
 *
 * @example
 * writeFileSync('batch.json', formatCocoSubset(doc));
 */
export function formatCocoSubset(doc: HandoffDocument): string {
  if (doc.kind !== 'detection')
    throw new Error(
      `batch "${doc.batch}" is a classification batch; COCO export is for detection (use --format labelstudio, cvat, csv or json)`,
    );
  const index = new Map(doc.classNames.map((c, i) => [c, i]));
  let nextAnn = 1;
  const taken = new Set<number>();
  for (const item of doc.items)
    for (const l of item.labels) if (/^\d{1,15}$/.test(l.key)) taken.add(Number(l.key));
  const freshAnnId = () => {
    while (taken.has(nextAnn)) nextAnn++;
    taken.add(nextAnn);
    return nextAnn;
  };
  const images = doc.items.map((item, i) => ({
    id: cocoImageId(item.id, i),
    file_name: item.fileName,
    width: item.width,
    height: item.height,
    ...(item.imageUrl ? { coco_url: item.imageUrl } : {}),
  }));
  const annotations = doc.items.flatMap((item, i) =>
    item.labels.flatMap((l) =>
      l.box
        ? [
            {
              id: /^\d{1,15}$/.test(l.key) ? Number(l.key) : freshAnnId(),
              image_id: cocoImageId(item.id, i),
              category_id: cocoCategoryId(doc, index.get(l.label) ?? 0),
              bbox: [l.box.x, l.box.y, l.box.w, l.box.h],
              area: l.box.w * l.box.h,
              iscrowd: 0,
            },
          ]
        : [],
    ),
  );
  const categories = doc.classNames.map((name, i) => ({ id: cocoCategoryId(doc, i), name }));
  return `${JSON.stringify({ info: { description: `Loupe batch ${doc.batch}`, version: doc.modelVersion ?? '' }, images, annotations, categories }, null, 2)}\n`;
}
