import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { IngestError, fileLabel, show } from './errors.ts';
import { requireInputFile } from './input-file.ts';
import { looksLikeGroundTruth, looksLikeResults } from './coco-shape.ts';
import { checkClassNames } from './validate.ts';

const num = z.number().refine(Number.isFinite, 'expected a finite number');
const bbox = z
  .array(num)
  .length(4, 'expected [x, y, width, height]')
  .refine((b) => b[2] >= 0 && b[3] >= 0, 'expected a non-negative width and height');

export const gtSchema = z.object({
  images: z
    .array(
      z
        .object({
          id: z.number().int(),
          width: z.number().int().nonnegative().nullish(),
          height: z.number().int().nonnegative().nullish(),
          file_name: z.string().nullish(),
          coco_url: z.string().nullish(),
          flickr_url: z.string().nullish(),
        })
        .passthrough(),
    )
    // No images is no run: nothing to evaluate or review.
    .min(1, 'expected at least one image'),
  annotations: z.array(
    z
      .object({
        id: z.number().int(),
        image_id: z.number().int(),
        category_id: z.number().int(),
        bbox,
        area: num.nonnegative().nullish(),
        iscrowd: z.union([z.literal(0), z.literal(1), z.boolean()]).nullish(),
      })
      .passthrough(),
  ),
  categories: z
    .array(z.object({ id: z.number().int(), name: z.string().min(1) }).passthrough())
    .min(1, 'expected at least one category'),
});

export const resultsSchema = z.array(
  z
    .object({
      image_id: z.number().int(),
      category_id: z.number().int(),
      bbox,
      // A confidence: evaluation sorts by it and the board shows it as one.
      score: num.min(0, 'expected a confidence in [0, 1]').max(1, 'expected a confidence in [0, 1]'),
    })
    .passthrough(),
);

export interface CocoImage {
  externalId: string;
  imageUrl: string | null;
  width: number | null;
  height: number | null;
  fileName: string | null;
}

export interface CocoBox {
  externalId: string;
  label: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface CocoGroundTruth {
  classNames: string[];
  /** COCO category id per class index (categories sorted by id). */
  sourceClassIds: number[];
  images: CocoImage[];
  annotations: (CocoBox & { annKey: string; area: number; iscrowd: boolean; index: number })[];
}

export interface CocoPrediction extends CocoBox {
  /** Ordinal among the image's detections, in file order. */
  predKey: number;
  score: number;
  index: number;
}

function readJson(path: string): unknown {
  const file = fileLabel(path);
  requireInputFile(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new IngestError(
      `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new IngestError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

function pathText(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

function valueAt(doc: unknown, path: PropertyKey[]): unknown {
  let v: unknown = doc;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function zodFail(file: string, doc: unknown, error: z.ZodError): never {
  const issue = error.issues[0];
  const at = pathText(issue.path) || '(top level)';
  throw new IngestError(`${file}: ${at}: found ${show(valueAt(doc, issue.path))}, ${issue.message}`);
}

/**
 * The document as its schema types it: as parsed when the plain shape check passes (no copy),
 * else through zod, whose first issue becomes the error.
 */
function checked<S extends z.ZodType>(
  schema: S,
  file: string,
  doc: unknown,
  looksRight: (doc: unknown) => boolean,
): z.infer<S> {
  if (looksRight(doc)) return doc as z.infer<S>;
  const parsed = schema.safeParse(doc);
  if (!parsed.success) zodFail(file, doc, parsed.error);
  return parsed.data;
}

/**
 * Read and check a COCO ground-truth file: shapes (zod), unique ids, annotation → image and
 * category references. Class index = position of the category in `categories` sorted by id.
 *
 * @example
 * const gt = readCocoGroundTruth('instances.json');
 */
export function readCocoGroundTruth(path: string): CocoGroundTruth {
  const file = fileLabel(path);
  const doc = readJson(path);
  const { images, annotations, categories } = checked(gtSchema, file, doc, looksLikeGroundTruth);
  const cats = categories.map((c, i) => ({ ...c, i })).sort((a, b) => a.id - b.id);
  for (let j = 1; j < cats.length; j++)
    if (cats[j].id === cats[j - 1].id)
      throw new IngestError(
        `${file}: categories[${cats[j].i}].id: ${cats[j].id} repeats categories[${cats[j - 1].i}], expected unique ids`,
      );
  checkClassNames(
    cats.map((c) => c.name),
    (j) => `${file}: categories[${cats[j].i}].name`,
  );
  const classOf = new Map(cats.map((c, i) => [c.id, i]));
  const imageIds = new Map<number, number>();
  images.forEach((img, i) => {
    const prev = imageIds.get(img.id);
    if (prev !== undefined)
      throw new IngestError(
        `${file}: images[${i}].id: ${img.id} repeats images[${prev}], expected unique ids`,
      );
    imageIds.set(img.id, i);
  });
  const annIds = new Map<number, number>();
  const anns = annotations.map((a, i) => {
    const prev = annIds.get(a.id);
    if (prev !== undefined)
      throw new IngestError(
        `${file}: annotations[${i}].id: ${a.id} repeats annotations[${prev}], expected unique ids`,
      );
    annIds.set(a.id, i);
    if (!imageIds.has(a.image_id))
      throw new IngestError(
        `${file}: annotations[${i}].image_id: ${a.image_id} is not in images, expected an image id`,
      );
    const label = classOf.get(a.category_id);
    if (label === undefined)
      throw new IngestError(
        `${file}: annotations[${i}].category_id: ${a.category_id} is not in categories, expected one of the category ids`,
      );
    const [x, y, w, h] = a.bbox;
    return {
      index: i,
      externalId: String(a.image_id),
      annKey: String(a.id),
      label,
      x,
      y,
      w,
      h,
      area: a.area ?? w * h,
      iscrowd: a.iscrowd === 1 || a.iscrowd === true,
    };
  });
  return {
    classNames: cats.map((c) => c.name),
    sourceClassIds: cats.map((c) => c.id),
    images: images.map((img) => ({
      externalId: String(img.id),
      imageUrl: img.coco_url ?? img.flickr_url ?? null,
      width: img.width ?? null,
      height: img.height ?? null,
      fileName: img.file_name ?? null,
    })),
    annotations: anns,
  };
}

/**
 * Read and check a COCO results list against its ground truth: every image_id must be a ground
 * truth image and every category_id a category.
 *
 * @example
 * const preds = readCocoResults('results.json', gt);
 */
export function readCocoResults(path: string, gt: CocoGroundTruth): CocoPrediction[] {
  const file = fileLabel(path);
  const doc = readJson(path);
  const results = checked(resultsSchema, file, doc, looksLikeResults);
  const images = new Set(gt.images.map((i) => i.externalId));
  const classOf = new Map(gt.sourceClassIds.map((id, i) => [id, i]));
  const perImage = new Map<string, number>();
  return results.map((r, i) => {
    const externalId = String(r.image_id);
    if (!images.has(externalId))
      throw new IngestError(
        `${file}: [${i}].image_id: ${r.image_id} is not an image of the ground truth, expected one of its image ids`,
      );
    const label = classOf.get(r.category_id);
    if (label === undefined)
      throw new IngestError(
        `${file}: [${i}].category_id: ${r.category_id} is not in the ground truth's categories, expected one of their ids`,
      );
    const predKey = perImage.get(externalId) ?? 0;
    perImage.set(externalId, predKey + 1);
    const [x, y, w, h] = r.bbox;
    return { index: i, externalId, predKey, label, score: r.score, x, y, w, h };
  });
}

/**
 * Zero-area boxes are accepted (detectors emit them after clipping; COCO evaluation handles them:
 * their IoU with anything is 0) but said out loud, since they can never count as a match.
 *
 * @example
 * zeroAreaWarnings(gt, preds, 'instances.json', 'results.json'); // [] when every box has area
 */
export function zeroAreaWarnings(
  gt: CocoGroundTruth,
  preds: CocoPrediction[],
  gtFile: string,
  predFile: string,
): string[] {
  const out: string[] = [];
  const flat = (boxes: (CocoBox & { index: number })[]) => boxes.filter((b) => !(b.w > 0 && b.h > 0));
  const a = flat(gt.annotations);
  if (a.length)
    out.push(
      `${gtFile}: ${a.length} annotation${a.length === 1 ? ' has' : 's have'} a zero-area box (first: annotations[${a[0].index}].bbox); kept, but no detection can match ${a.length === 1 ? 'it' : 'them'} (IoU 0)`,
    );
  const p = flat(preds);
  if (p.length)
    out.push(
      `${predFile}: ${p.length} detection${p.length === 1 ? ' has' : 's have'} a zero-area box (first: [${p[0].index}].bbox); kept, but ${p.length === 1 ? 'it' : 'they'} can never match a ground-truth box (IoU 0)`,
    );
  return out;
}
