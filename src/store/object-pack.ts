/**
 * The packed form of a run's per-object outcomes and the decoded form the object pages scan.
 * Pure functions; src/store/objects.ts reads and writes the chunks.
 *
 * A run's objects, in the order the analysis listed them (an object's place is its id), are cut
 * into chunks of CHUNK consecutive objects; chunk c also carries places [c·CHUNK, (c+1)·CHUNK) of
 * the run's two orders. Chunk layout, little-endian, sections ordered by element size so each is
 * aligned in a fresh buffer:
 *   u32 × 8  header: MAGIC, m objects, T thresholds, nInv, first object, n objects in the run, 0, 0
 *   f64      rowId[m], id[m] (prediction id, or annotation id of a box line), score[m] (NaN on a
 *            box line), iou[m], invId[nInv]
 *   u32      byScore[m], byIou[m] (the orders' slice: object ids ascending by (coalesce(score, −1),
 *            id) and by (iou, id)), invStart[m + 1] (object i's involved boxes: invId[invStart[i]…])
 *   i32      label[m] (predicted class, or ground-truth class of a box line), invLabel[nInv]
 *   u8       isPred[m], codes[m × T] (OUTCOME_CODE char codes), invAt[m × T] (index of the box
 *            involved at each threshold among the object's own, NO_BOX for none)
 */
import { endianness } from 'node:os';
import { OUTCOME_CODE } from '../metrics/detection-errors.ts';

const MAGIC = 0x324a424f; // 'OBJ2'
const HEADER = 8;
export const CHUNK = 1 << 16;
const NO_BOX = 0xff;

if (endianness() !== 'LE') throw new Error('object outcomes are packed little-endian; this machine is not');

export const CODE = {
  tp: OUTCOME_CODE.tp.charCodeAt(0),
  ignored: OUTCOME_CODE.ignored.charCodeAt(0),
} as const;

/** One object line as the analysis computes it (the store adds the run id). */
export interface PackLine {
  rowId: number;
  predId: number | null;
  annId: number | null;
  label: number;
  score: number | null;
  iou: number;
  /** One outcome code per threshold (OUTCOME_CODE). */
  codes: string;
  /** Prediction lines: the annotation id of the box involved at each threshold, null for none. */
  involved: readonly (number | null)[] | null;
}

/** Decoded objects of a run: columns by object id, and its two orders. */
export interface DecodedObjects {
  n: number;
  T: number;
  rowId: Float64Array;
  isPred: Uint8Array;
  /** Prediction id of a prediction line, annotation id of a box line. */
  id: Float64Array;
  label: Int32Array;
  /** NaN on box lines. */
  score: Float64Array;
  iou: Float64Array;
  codes: Uint8Array;
  invStart: Uint32Array;
  invAt: Uint8Array;
  invId: Float64Array;
  invLabel: Int32Array;
  /** Object ids ascending by (coalesce(score, −1), id), and by (iou, id); objects of deleted rows left out. */
  byScore: Uint32Array;
  byIou: Uint32Array;
  /** Live object ids grouped by row (rows ascending), ids ascending within a row. */
  byRow: Uint32Array;
  /** The one buffer every column above is a view of (shared, so pool threads read it in place). */
  buffer: ArrayBufferLike;
  /** Set by `rowIndex` on first use: object ids grouped by row. */
  rows?: Map<number, Uint32Array>;
  /** Kept by the object pages: the objects passing a filter, in one order. */
  passing?: Map<string, Promise<Uint32Array>>;
}

/**
 * Object ids ascending by (key, id): a stable LSD radix sort on the keys' bits (made to order as
 * the numbers do), 16 bits a pass; a comparison sort of a million objects takes the better part of a second.
 */
export function argsort(key: Float64Array): Uint32Array {
  const n = key.length;
  const bits = new Float64Array(n);
  for (let i = 0; i < n; i++) bits[i] = key[i] === 0 ? 0 : key[i]; // −0 ties with 0
  const w = new Uint32Array(bits.buffer);
  for (let i = 0; i < n; i++) {
    const hi = w[2 * i + 1];
    if (hi & 0x80000000) {
      w[2 * i + 1] = ~hi >>> 0;
      w[2 * i] = ~w[2 * i] >>> 0;
    } else w[2 * i + 1] = (hi | 0x80000000) >>> 0;
  }
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Uint32Array(n);
  const counts = new Uint32Array(1 << 16);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? 0 : 1;
    const shift = pass % 2 === 0 ? 0 : 16;
    const digit = (i: number) => (w[2 * i + word] >>> shift) & 0xffff;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[digit(i)]++;
    if (counts[digit(0)] === n) continue; // every key has this digit: the pass keeps the order
    let sum = 0;
    for (let d = 0; d < counts.length; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const i = order[k];
      next[counts[digit(i)]++] = i;
    }
    [order, next] = [next, order];
  }
  return order;
}

/**
 * A run's lines as packed chunks, and each image's error mask (bit t: an fp or fn at threshold t).
 * `labelOf` gives the class of a box a prediction involves.
 *
 * @example
 * const { chunks, masks } = packRun(lines, (annId) => labels.get(annId)!);
 */
export function packRun(
  lines: readonly PackLine[],
  labelOf: (annId: number) => number,
): { chunks: Buffer[]; masks: Map<number, number>; T: number } {
  const n = lines.length;
  const T = n > 0 ? lines[0].codes.length : 0;
  const scoreKey = new Float64Array(n);
  const iouKey = new Float64Array(n);
  const masks = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const l = lines[i];
    if (!Number.isFinite(l.iou) || (l.score !== null && !Number.isFinite(l.score)))
      throw new RangeError(`object outcome ${i}: expected finite score and IoU, got ${l.score}, ${l.iou}`);
    if ((l.predId === null) === (l.annId === null))
      throw new RangeError(`object outcome ${i}: expected either a prediction id or an annotation id`);
    if (l.predId !== null && l.score === null)
      throw new RangeError(`object outcome ${i}: a prediction line needs its score`);
    if (l.codes.length !== T)
      throw new RangeError(`object outcome ${i}: ${l.codes.length} outcome codes, expected ${T}`);
    scoreKey[i] = l.score ?? -1;
    iouKey[i] = l.iou;
    let mask = masks.get(l.rowId) ?? 0;
    const pred = l.predId !== null;
    for (let t = 0; t < T; t++) {
      const c = l.codes.charCodeAt(t);
      if (pred ? c !== CODE.tp && c !== CODE.ignored : c !== CODE.tp) mask |= 1 << t;
    }
    masks.set(l.rowId, mask);
  }
  const byScore = argsort(scoreKey);
  const byIou = argsort(iouKey);
  const chunks: Buffer[] = [];
  for (let first = 0; first < n; first += CHUNK)
    chunks.push(packChunk(lines, first, Math.min(n, first + CHUNK), T, byScore, byIou, labelOf));
  return { chunks, masks, T };
}

/** A run's object outcomes packed for the store (packRun's output): what writeObjectOutcomes takes. */
export interface PackedObjectOutcomes {
  chunks: Uint8Array[];
  /** Per image (row id) with objects: its error mask (bit t: an fp or fn at threshold t). */
  masks: Map<number, number>;
  /** How many objects the chunks hold. */
  objects: number;
}

/**
 * Pack a run's object lines, the classes of the boxes predictions involve taken from `labelOf`
 * (a pure step: the analysis may run it in a worker thread before the store writes it).
 *
 * @example
 * const packed = packObjectOutcomes(lines, (annId) => labels.get(annId));
 */
export function packObjectOutcomes(
  lines: readonly PackLine[],
  labelOf: (annId: number) => number | undefined,
): PackedObjectOutcomes {
  const missing = new Set<number>();
  for (const l of lines)
    for (const a of l.involved ?? []) if (a !== null && labelOf(a) === undefined) missing.add(a);
  if (missing.size > 0)
    throw new RangeError(
      `object outcomes involve annotations that do not exist: ${[...missing].slice(0, 5).join(', ')}`,
    );
  const { chunks, masks } = packRun(lines, (a) => labelOf(a) as number);
  return { chunks, masks, objects: lines.length };
}

function packChunk(
  lines: readonly PackLine[],
  first: number,
  end: number,
  T: number,
  byScore: Uint32Array,
  byIou: Uint32Array,
  labelOf: (annId: number) => number,
): Buffer {
  const m = end - first;
  // Each object's involved boxes, distinct, in first-seen order.
  const invStart = new Uint32Array(m + 1);
  const invAt = new Uint8Array(m * T).fill(NO_BOX);
  const invIds: number[] = [];
  for (let k = 0; k < m; k++) {
    invStart[k] = invIds.length;
    const inv = lines[first + k].involved;
    if (inv)
      for (let t = 0; t < T; t++) {
        const a = inv[t] ?? null;
        if (a === null) continue;
        let at = invIds.indexOf(a, invStart[k]);
        if (at < 0) at = invIds.push(a) - 1;
        invAt[k * T + t] = at - invStart[k];
      }
  }
  invStart[m] = invIds.length;
  const nInv = invIds.length;
  const buf = new ArrayBuffer(
    4 * HEADER + 8 * (4 * m + nInv) + 4 * (3 * m + 1) + 4 * (m + nInv) + m * (1 + 2 * T),
  );
  const v = views(buf, m, T, nInv);
  v.header.set([MAGIC, m, T, nInv, first, lines.length, 0, 0]);
  for (let k = 0; k < m; k++) {
    const l = lines[first + k];
    v.rowId[k] = l.rowId;
    v.id[k] = (l.predId ?? l.annId) as number;
    v.score[k] = l.score ?? Number.NaN;
    v.iou[k] = l.iou;
    v.label[k] = l.label;
    v.isPred[k] = l.predId !== null ? 1 : 0;
    for (let t = 0; t < T; t++) v.codes[k * T + t] = l.codes.charCodeAt(t);
  }
  v.byScore.set(byScore.subarray(first, end));
  v.byIou.set(byIou.subarray(first, end));
  v.invStart.set(invStart);
  v.invAt.set(invAt);
  for (let j = 0; j < nInv; j++) {
    v.invId[j] = invIds[j];
    v.invLabel[j] = labelOf(invIds[j]);
  }
  return Buffer.from(buf);
}

/** Views of consecutive sections of `buf` from byte `at`: each call takes the next `len` elements. */
function sections(buf: ArrayBufferLike, at: number) {
  return <A>(make: new (b: ArrayBufferLike, o: number, l: number) => A, size: number, len: number): A => {
    const a = new make(buf, at, len);
    at += size * len;
    return a;
  };
}

function views(buf: ArrayBufferLike, m: number, T: number, nInv: number, offset = 0) {
  const take = sections(buf, offset);
  return {
    header: take(Uint32Array, 4, HEADER),
    rowId: take(Float64Array, 8, m),
    id: take(Float64Array, 8, m),
    score: take(Float64Array, 8, m),
    iou: take(Float64Array, 8, m),
    invId: take(Float64Array, 8, nInv),
    byScore: take(Uint32Array, 4, m),
    byIou: take(Uint32Array, 4, m),
    invStart: take(Uint32Array, 4, m + 1),
    label: take(Int32Array, 4, m),
    invLabel: take(Int32Array, 4, nInv),
    isPred: take(Uint8Array, 1, m),
    codes: take(Uint8Array, 1, m * T),
    invAt: take(Uint8Array, 1, m * T),
  };
}

const DECODED_MAGIC = 0x444a424f; // 'OBJD'

/** The decoded columns' views over one buffer (the layout `decodeRunBuffer` writes). */
function decodedViews(buf: ArrayBufferLike, n: number, T: number, nInv: number, nLive: number) {
  const take = sections(buf, 4 * HEADER);
  return {
    rowId: take(Float64Array, 8, n),
    id: take(Float64Array, 8, n),
    score: take(Float64Array, 8, n),
    iou: take(Float64Array, 8, n),
    invId: take(Float64Array, 8, nInv),
    invStart: take(Uint32Array, 4, n + 1),
    byScore: take(Uint32Array, 4, nLive),
    byIou: take(Uint32Array, 4, nLive),
    byRow: take(Uint32Array, 4, nLive),
    label: take(Int32Array, 4, n),
    invLabel: take(Int32Array, 4, nInv),
    isPred: take(Uint8Array, 1, n),
    codes: take(Uint8Array, 1, n * T),
    invAt: take(Uint8Array, 1, n * T),
    end: take(Uint8Array, 1, 0).byteOffset, // an empty section: where the last one ends
  };
}

/**
 * Decode a run's chunks (any order) into one buffer holding every column (see `viewDecoded`), so
 * a worker thread can decode and hand the result over without copying it: a SharedArrayBuffer,
 * which later pool tasks (the filter walks) read in place. `live`, when given, is the set of rows
 * whose outcomes are still stored: objects of other rows are left out of the orders.
 *
 * @example
 * const objs = viewDecoded(decodeRunBuffer(chunks)); // objs.byIou: object ids by IoU
 */
export function decodeRunBuffer(
  chunks: readonly Uint8Array[],
  live?: ReadonlySet<number>,
): SharedArrayBuffer {
  const parts = chunks.map((data) => {
    // Typed views need alignment: bytes starting elsewhere are copied to a fresh buffer.
    const copy = data.byteOffset % 8 === 0 ? data : Uint8Array.from(data);
    const h = new Uint32Array(copy.buffer, copy.byteOffset, HEADER);
    if (h[0] !== MAGIC)
      throw new Error('object outcomes: stored in an unknown format; analyse the run again');
    const [, m, T, nInv, first, n] = h;
    return { v: views(copy.buffer, m, T, nInv, copy.byteOffset), m, T, nInv, first, n };
  });
  const n = parts.reduce((a, p) => a + p.m, 0);
  const T = parts[0]?.T ?? 0;
  const nInv = parts.reduce((a, p) => a + p.nInv, 0);
  for (const p of parts)
    if (p.n !== n || p.T !== T)
      throw new Error('object outcomes: chunks of different writes; analyse the run again');
  let nLive = n;
  if (live) {
    nLive = 0;
    for (const p of parts) for (let k = 0; k < p.m; k++) if (live.has(p.v.rowId[k])) nLive++;
  }
  const bytes = 4 * HEADER + 8 * (4 * n + nInv) + 4 * (n + 1 + 3 * nLive) + 4 * (n + nInv) + n * (1 + 2 * T);
  const buffer = new SharedArrayBuffer(Math.ceil(bytes / 8) * 8);
  new Uint32Array(buffer, 0, HEADER).set([DECODED_MAGIC, n, T, nInv, nLive, 0, 0, 0]);
  const d = decodedViews(buffer, n, T, nInv, nLive);
  let invAt = 0;
  const keep = live ? (i: number) => live.has(d.rowId[i]) : () => true;
  const byScore = live ? new Uint32Array(n) : d.byScore;
  const byIou = live ? new Uint32Array(n) : d.byIou;
  for (const p of [...parts].sort((a, b) => a.first - b.first)) {
    const { v, first, m } = p;
    d.rowId.set(v.rowId, first);
    d.isPred.set(v.isPred, first);
    d.id.set(v.id, first);
    d.label.set(v.label, first);
    d.score.set(v.score, first);
    d.iou.set(v.iou, first);
    d.codes.set(v.codes, first * T);
    d.invAt.set(v.invAt, first * T);
    d.invId.set(v.invId, invAt);
    d.invLabel.set(v.invLabel, invAt);
    for (let k = 0; k < m; k++) d.invStart[first + k] = invAt + v.invStart[k];
    byScore.set(v.byScore, first);
    byIou.set(v.byIou, first);
    invAt += p.nInv;
  }
  d.invStart[n] = invAt;
  if (live) {
    let s = 0;
    let u = 0;
    for (let k = 0; k < n; k++) {
      if (keep(byScore[k])) d.byScore[s++] = byScore[k];
      if (keep(byIou[k])) d.byIou[u++] = byIou[k];
    }
  }
  // Live objects grouped by row, in id order within a row (the row view's and the cards' index).
  let r = 0;
  for (let i = 0; i < n; i++) if (keep(i)) d.byRow[r++] = i;
  const byRow = d.byRow;
  const rowKey = new Float64Array(nLive);
  for (let k = 0; k < nLive; k++) rowKey[k] = d.rowId[byRow[k]];
  const grouped = argsort(rowKey); // stable: ids stay ascending within a row
  const ids = byRow.slice();
  for (let k = 0; k < nLive; k++) byRow[k] = ids[grouped[k]];
  return buffer;
}

/**
 * The decoded objects over a buffer `decodeRunBuffer` wrote (views, nothing copied).
 *
 * @example
 * const objs = viewDecoded(await runCompute(deps, 'decodeObjects', { base64 }));
 */
export function viewDecoded(buffer: ArrayBufferLike): DecodedObjects {
  const [magic, n, T, nInv, nLive] = new Uint32Array(buffer, 0, HEADER);
  if (magic !== DECODED_MAGIC) throw new Error('object outcomes: not a decoded run');
  const { end: _, ...v } = decodedViews(buffer, n, T, nInv, nLive);
  return { n, T, buffer, ...v };
}

/**
 * Decode a run's chunks on this thread (tests, and where a pool task does it).
 *
 * @example
 * const objs = decodeRun(chunks); // objs.byIou: object ids by IoU
 */
export function decodeRun(chunks: readonly Uint8Array[], live?: ReadonlySet<number>): DecodedObjects {
  return viewDecoded(decodeRunBuffer(chunks, live));
}

/** Object ids of each row, in id order (built once per decoded run, from its `byRow` order: views, no copies). */
export function rowIndex(d: DecodedObjects): Map<number, Uint32Array> {
  if (d.rows) return d.rows;
  const rows = new Map<number, Uint32Array>();
  const { byRow } = d;
  for (let start = 0; start < byRow.length; ) {
    const r = d.rowId[byRow[start]];
    let end = start + 1;
    while (end < byRow.length && d.rowId[byRow[end]] === r) end++;
    rows.set(r, byRow.subarray(start, end));
    start = end;
  }
  d.rows = rows;
  return rows;
}

/** The ground-truth class of the box object `i` involves at threshold `t` (its own on a box line), or null. */
export function gtLabelAt(d: DecodedObjects, i: number, t: number): number | null {
  if (!d.isPred[i]) return d.label[i];
  const k = d.invAt[i * d.T + t];
  return k === NO_BOX ? null : d.invLabel[d.invStart[i] + k];
}

/** The annotation id of the box object `i` involves at threshold `t` (its own on a box line), or null. */
export function annIdAt(d: DecodedObjects, i: number, t: number): number | null {
  if (!d.isPred[i]) return d.id[i];
  const k = d.invAt[i * d.T + t];
  return k === NO_BOX ? null : d.invId[d.invStart[i] + k];
}

/** Bytes a decoded run holds (the cache's bound). */
export function decodedBytes(d: DecodedObjects): number {
  return d.buffer.byteLength;
}
