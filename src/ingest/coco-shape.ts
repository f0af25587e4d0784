// Plain checks of the COCO files' shapes, equal to or stricter than the zod schemas in
// coco-file.ts: a file that passes is used as parsed; one that does not goes through zod, whose
// first issue names the field. zod builds a copy of every object it checks, half a second per
// hundred thousand boxes; these only look.

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const absent = (v: unknown) => v === undefined || v === null;
const optionalCount = (v: unknown) => absent(v) || (isInt(v) && v >= 0);
const optionalText = (v: unknown) => absent(v) || typeof v === 'string';

function isBox(v: unknown): boolean {
  if (!Array.isArray(v) || v.length !== 4) return false;
  const [x, y, w, h] = v;
  return isNumber(x) && isNumber(y) && isNumber(w) && isNumber(h) && w >= 0 && h >= 0;
}

function every(list: unknown, check: (v: Obj) => boolean, min = 0): boolean {
  if (!Array.isArray(list) || list.length < min) return false;
  for (const item of list) if (!isObject(item) || !check(item)) return false;
  return true;
}

const isImage = (i: Obj) =>
  isInt(i.id) &&
  optionalCount(i.width) &&
  optionalCount(i.height) &&
  optionalText(i.file_name) &&
  optionalText(i.coco_url) &&
  optionalText(i.flickr_url);

const isAnnotation = (a: Obj) =>
  isInt(a.id) &&
  isInt(a.image_id) &&
  isInt(a.category_id) &&
  isBox(a.bbox) &&
  (absent(a.area) || (isNumber(a.area) && a.area >= 0)) &&
  (absent(a.iscrowd) || a.iscrowd === 0 || a.iscrowd === 1 || typeof a.iscrowd === 'boolean');

const isCategory = (c: Obj) => isInt(c.id) && typeof c.name === 'string' && c.name.length > 0;

const isResult = (r: Obj) =>
  isInt(r.image_id) &&
  isInt(r.category_id) &&
  isBox(r.bbox) &&
  isNumber(r.score) &&
  r.score >= 0 &&
  r.score <= 1;

/**
 * Whether a parsed ground-truth file certainly has the shape its schema asks for.
 *
 * @example
 * looksLikeGroundTruth({ images: [{ id: 1 }], annotations: [], categories: [{ id: 1, name: 'cat' }] }); // true
 */
export function looksLikeGroundTruth(doc: unknown): boolean {
  return (
    isObject(doc) &&
    every(doc.images, isImage, 1) &&
    every(doc.annotations, isAnnotation) &&
    every(doc.categories, isCategory, 1)
  );
}

/**
 * Whether a parsed results list certainly has the shape its schema asks for.
 *
 * @example
 * looksLikeResults([{ image_id: 1, category_id: 1, bbox: [0, 0, 2, 2], score: 0.9 }]); // true
 */
export function looksLikeResults(doc: unknown): boolean {
  return every(doc, isResult);
}
