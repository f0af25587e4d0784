/**
 * The packed form of a run's per-object outcomes: one blob per (run, image) holding the image's
 * objects as little-endian columns, and the decoded form the object pages scan. Pure functions;
 * src/store/objects.ts reads and writes the blobs.
 *
 * Blob layout (sections ordered by element size, so each is aligned in a fresh buffer):
 *   u32 × 8   header: MAGIC, n objects, nPred (prediction lines come first), T thresholds,
 *             nAnn (the image's annotations a prediction is compared with), N lines in the run, 0, 0
 *   f64       id[n] (prediction id, then annotation id), score[nPred], iou[n], annId[nAnn]
 *   u32       ord[n] (the line's place in the run, its public id), rankScore[n], rankIou[n]
 *             (its place in the run ordered by (coalesce(score, −1), ord) and by (iou, ord))
 *   i32       label[n] (predicted class, ground-truth class), annLabel[nAnn]
 *   u16       inv[nPred × T]: the annotation involved at each threshold, an index into annId, NONE if none
 *   u8        codes[n × T]: outcome codes (src/metrics/detection-errors.ts OUTCOME_CODE), as char codes
 */
import { endianness } from 'node:os';
import { OUTCOME_CODE } from '../metrics/detection-errors.ts';

const MAGIC = 0x314a424f; // 'OBJ1'
const HEADER = 8;
export const NONE = 0xffff;

if (endianness() !== 'LE') throw new Error('object outcomes are packed little-endian; this machine is not');

export const CODE = {
  tp: OUTCOME_CODE.tp.charCodeAt(0),
  ignored: OUTCOME_CODE.ignored.charCodeAt(0),
} as const;

/** One object of an image, ready to pack. */
export interface PackObject {
  isPred: boolean;
  id: number;
  label: number;
  score: number | null;
  iou: number;
  ord: number;
  rankScore: number;
  rankIou: number;
  codes: string;
  /** Prediction lines: the annotation id involved at each threshold, null for none. */
  involved: (number | null)[] | null;
}

/** An image's packed objects and its error mask (bit t: an fp or fn at threshold t). */
export function packImage(
  objects: readonly PackObject[],
  T: number,
  total: number,
  labelOf: (annId: number) => number,
): { data: Buffer; errorMask: number } {
  const preds = objects.filter((o) => o.isPred);
  const gts = objects.filter((o) => !o.isPred);
  const list = [...preds, ...gts];
  const n = list.length;
  const nPred = preds.length;
  const annIndex = new Map<number, number>();
  for (const p of preds)
    for (const a of p.involved ?? []) if (a !== null && !annIndex.has(a)) annIndex.set(a, annIndex.size);
  const nAnn = annIndex.size;
  if (nAnn >= NONE)
    throw new RangeError(`an image compares its predictions with ${nAnn} boxes; at most ${NONE - 1}`);
  const bytes = 4 * HEADER + 8 * (2 * n + nPred + nAnn) + 4 * (4 * n + nAnn) + 2 * nPred * T + n * T;
  const buf = new ArrayBuffer(bytes);
  const v = views(buf, n, nPred, T, nAnn);
  v.header.set([MAGIC, n, nPred, T, nAnn, total, 0, 0]);
  let errorMask = 0;
  list.forEach((o, i) => {
    if (o.codes.length !== T)
      throw new RangeError(`object ${o.ord}: ${o.codes.length} outcome codes, expected ${T}`);
    v.id[i] = o.id;
    v.iou[i] = o.iou;
    v.ord[i] = o.ord;
    v.rankScore[i] = o.rankScore;
    v.rankIou[i] = o.rankIou;
    v.label[i] = o.label;
    if (o.isPred) v.score[i] = o.score ?? Number.NaN;
    for (let t = 0; t < T; t++) {
      const c = o.codes.charCodeAt(t);
      v.codes[i * T + t] = c;
      if (o.isPred ? c !== CODE.tp && c !== CODE.ignored : c !== CODE.tp) errorMask |= 1 << t;
      if (o.isPred) {
        const a = o.involved?.[t] ?? null;
        v.inv[i * T + t] = a === null ? NONE : (annIndex.get(a) as number);
      }
    }
  });
  for (const [a, k] of annIndex) {
    v.annId[k] = a;
    v.annLabel[k] = labelOf(a);
  }
  return { data: Buffer.from(buf), errorMask };
}

type Views = ReturnType<typeof views>;

function views(buf: ArrayBuffer, n: number, nPred: number, T: number, nAnn: number) {
  let at = 0;
  const take = <A>(make: new (b: ArrayBuffer, o: number, l: number) => A, size: number, len: number): A => {
    const a = new make(buf, at, len);
    at += size * len;
    return a;
  };
  return {
    header: take(Uint32Array, 4, HEADER),
    id: take(Float64Array, 8, n),
    score: take(Float64Array, 8, nPred),
    iou: take(Float64Array, 8, n),
    annId: take(Float64Array, 8, nAnn),
    ord: take(Uint32Array, 4, n),
    rankScore: take(Uint32Array, 4, n),
    rankIou: take(Uint32Array, 4, n),
    label: take(Int32Array, 4, n),
    annLabel: take(Int32Array, 4, nAnn),
    inv: take(Uint16Array, 2, nPred * T),
    codes: take(Uint8Array, 1, n * T),
  };
}

function unpack(data: Uint8Array): {
  v: Views;
  n: number;
  nPred: number;
  T: number;
  nAnn: number;
  total: number;
} {
  // A fresh buffer: the driver's bytes may start at any offset, typed views need alignment.
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  const h = new Uint32Array(copy.buffer, 0, HEADER);
  if (h[0] !== MAGIC)
    throw new Error('object outcomes: stored data in an unknown format; analyse the run again');
  const [, n, nPred, T, nAnn, total] = h;
  return { v: views(copy.buffer, n, nPred, T, nAnn), n, nPred, T, nAnn, total };
}

/**
 * Decoded objects of a run (or of a few of its images), columnar, with the run's two orders:
 * `byScore` ascending by (coalesce(score, −1), ord), `byIou` ascending by (iou, ord).
 */
export interface DecodedObjects {
  n: number;
  T: number;
  rowId: Float64Array;
  isPred: Uint8Array;
  /** Prediction id for prediction lines, annotation id for ground-truth lines. */
  id: Float64Array;
  label: Int32Array;
  /** NaN for ground-truth lines. */
  score: Float64Array;
  iou: Float64Array;
  ord: Uint32Array;
  codes: Uint8Array;
  /** Per object, where its image's annotation table starts in annId/annLabel. */
  annBase: Uint32Array;
  /** Per object and threshold (prediction lines), the involved annotation's index in its image's table. */
  inv: Uint16Array;
  annId: Float64Array;
  annLabel: Int32Array;
  byScore: Uint32Array;
  byIou: Uint32Array;
}

/**
 * Decode image blobs into one columnar set. The orders come from the ranks stored at write time:
 * a scatter for a whole run, a sort of the few ranks for a handful of images.
 *
 * @example
 * const objs = decodeObjects([{ rowId: 7, data }]); // objs.n objects, objs.byIou their IoU order
 */
export function decodeObjects(images: readonly { rowId: number; data: Uint8Array }[]): DecodedObjects {
  const parts = images.map((im) => ({ rowId: im.rowId, ...unpack(im.data) }));
  let n = 0;
  let nAnn = 0;
  let T = 0;
  let total = 0;
  for (const p of parts) {
    n += p.n;
    nAnn += p.nAnn;
    if (p.n > 0) {
      if (T !== 0 && p.T !== T) throw new Error('object outcomes: images with different threshold counts');
      T = p.T;
    }
    total = Math.max(total, p.total);
  }
  const d: DecodedObjects = {
    n,
    T,
    rowId: new Float64Array(n),
    isPred: new Uint8Array(n),
    id: new Float64Array(n),
    label: new Int32Array(n),
    score: new Float64Array(n).fill(Number.NaN),
    iou: new Float64Array(n),
    ord: new Uint32Array(n),
    codes: new Uint8Array(n * T),
    annBase: new Uint32Array(n),
    inv: new Uint16Array(n * T).fill(NONE),
    annId: new Float64Array(nAnn),
    annLabel: new Int32Array(nAnn),
    byScore: new Uint32Array(n),
    byIou: new Uint32Array(n),
  };
  const scatter = n * 8 >= total;
  const rankScore = scatter ? new Uint32Array(total).fill(0xffffffff) : new Uint32Array(n);
  const rankIou = scatter ? new Uint32Array(total).fill(0xffffffff) : new Uint32Array(n);
  let at = 0;
  let annAt = 0;
  for (const p of parts) {
    const { v } = p;
    d.rowId.fill(p.rowId, at, at + p.n);
    d.isPred.fill(1, at, at + p.nPred);
    d.id.set(v.id, at);
    d.label.set(v.label, at);
    d.score.set(v.score, at);
    d.iou.set(v.iou, at);
    d.ord.set(v.ord, at);
    d.codes.set(v.codes, at * T);
    d.inv.set(v.inv, at * T);
    d.annBase.fill(annAt, at, at + p.n);
    d.annId.set(v.annId, annAt);
    d.annLabel.set(v.annLabel, annAt);
    for (let i = 0; i < p.n; i++) {
      if (scatter) {
        rankScore[v.rankScore[i]] = at + i;
        rankIou[v.rankIou[i]] = at + i;
      } else {
        rankScore[at + i] = v.rankScore[i];
        rankIou[at + i] = v.rankIou[i];
      }
    }
    at += p.n;
    annAt += p.nAnn;
  }
  if (scatter) {
    compact(rankScore, d.byScore);
    compact(rankIou, d.byIou);
  } else {
    const idx = Array.from({ length: n }, (_, i) => i);
    d.byScore.set([...idx].sort((a, b) => rankScore[a] - rankScore[b]));
    d.byIou.set(idx.sort((a, b) => rankIou[a] - rankIou[b]));
  }
  return d;
}

/** The filled places of a scattered order, in order (images deleted since the write leave holes). */
function compact(scattered: Uint32Array, out: Uint32Array): void {
  let k = 0;
  for (let i = 0; i < scattered.length; i++) if (scattered[i] !== 0xffffffff) out[k++] = scattered[i];
}

/** The ground-truth class of the box object `i` involves at threshold `t` (its own for a box line), or null. */
export function gtLabelAt(d: DecodedObjects, i: number, t: number): number | null {
  if (!d.isPred[i]) return d.label[i];
  const k = d.inv[i * d.T + t];
  return k === NONE ? null : d.annLabel[d.annBase[i] + k];
}

/** The annotation id of the box object `i` involves at threshold `t` (its own for a box line), or null. */
export function annIdAt(d: DecodedObjects, i: number, t: number): number | null {
  if (!d.isPred[i]) return d.id[i];
  const k = d.inv[i * d.T + t];
  return k === NONE ? null : d.annId[d.annBase[i] + k];
}

/** Bytes a decoded set holds (the cache's bound). */
export function decodedBytes(d: DecodedObjects): number {
  return [
    d.rowId,
    d.isPred,
    d.id,
    d.label,
    d.score,
    d.iou,
    d.ord,
    d.codes,
    d.annBase,
    d.inv,
    d.annId,
    d.annLabel,
    d.byScore,
    d.byIou,
  ].reduce((a, x) => a + x.byteLength, 0);
}
