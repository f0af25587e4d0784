/**
 * Per-object outcomes of a detection run and TIDE's error types (Bolya et al., ECCV 2020), from
 * the matches COCOeval made (see `evaluateCoco(…, { keepMatches: true })`), so the tp/fp/fn of
 * every box are exactly COCOeval's and the types only explain its false positives and misses.
 *
 * One character per IoU threshold says what a box is at that threshold (foreground threshold
 * t_f = that IoU, background threshold t_b = 0.1):
 * - detections: `o` tp, `i` ignored (inside a crowd region, past maxDets), or an fp typed, in
 *   TIDE's precedence (`tidecv/quantify.py`, TIDERun._eval_image): no ground truth on the image →
 *   `k` bkg; right class with t_b ≤ IoU < t_f → `l` loc; another class with IoU ≥ t_f → `c` cls;
 *   right class, IoU ≥ t_f with a box already matched → `d` dupe; IoU < t_b with every box → `k`
 *   bkg; anything else (wrong class, t_b ≤ IoU < t_f) → `b` both;
 * - ground truths: `o` tp, or a miss: `c`/`l` when a cls/loc detection points at it (TIDE's
 *   "usable"; the highest-scoring one names it), else `m` missed. As in the paper and TIDE, a
 *   `both` detection does not explain a miss.
 */
import { boxIou } from './box.ts';
import { defaultCocoParams } from './coco-params.ts';
import type { CocoMatches } from './coco-eval.ts';
import type { DetBox, GtBox } from './detection-types.ts';

/**
 * The index of `iou` among COCOeval's thresholds .50:.05:.95 (compared to 1e-9, so 0.9 finds
 * linspace's 0.8999999999999999), or −1.
 *
 * @example
 * iouThresholdIndex(0.75); // 5
 */
export function iouThresholdIndex(iou: number): number {
  return defaultCocoParams().iouThrs.findIndex((v) => Math.abs(v - iou) < 1e-9);
}

export const ERROR_TYPES = ['cls', 'loc', 'both', 'dupe', 'bkg', 'missed'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** The one-character outcome codes stored per threshold. */
export const OUTCOME_CODE = {
  tp: 'o',
  ignored: 'i',
  cls: 'c',
  loc: 'l',
  both: 'b',
  dupe: 'd',
  bkg: 'k',
  missed: 'm',
} as const;

const TYPE_OF_CODE: Record<string, ErrorType | 'ok' | 'ignored'> = {
  o: 'ok',
  i: 'ignored',
  c: 'cls',
  l: 'loc',
  b: 'both',
  d: 'dupe',
  k: 'bkg',
  m: 'missed',
};

/** The type an outcome code stands for (`ok` for a tp). */
export function typeOfCode(code: string): ErrorType | 'ok' | 'ignored' {
  const t = TYPE_OF_CODE[code];
  if (t === undefined) throw new RangeError(`unknown outcome code ${JSON.stringify(code)}`);
  return t;
}

export interface ObjectOutcomes {
  /** Number of thresholds (characters per code string). */
  T: number;
  /** Per detection (input order): T code characters. */
  detCodes: string[];
  /** Per detection and threshold (`j * T + t`): the input index of the ground truth involved, or −1. */
  detGt: Int32Array;
  /** Per detection: the best IoU with any non-ignored ground truth of its image (0 when none). */
  detBestIou: Float64Array;
  /** Per ground truth: T code characters, or '' for an ignored one (crowd region). */
  gtCodes: string[];
  /** Per ground truth: the best IoU any detection of its image has with it (0 when none). */
  gtBestIou: Float64Array;
}

/** Each outcome code's digit in the base-8 key of a code string (see `codeStrings`). */
const CODE_DIGIT: Record<string, number> = Object.fromEntries(
  Object.values(OUTCOME_CODE).map((c, i) => [c, i]),
);

/**
 * The code strings of a run, one per base-8 key of their characters: a run has few distinct ones
 * (a box's outcome changes a few times across thresholds), so each is joined once and shared.
 */
function codeStrings(): (key: number, codes: string[]) => string {
  const made = new Map<number, string>();
  return (key, codes) => {
    let s = made.get(key);
    if (s === undefined) {
      s = codes.join('');
      made.set(key, s);
    }
    return s;
  };
}

function groupByImage(items: readonly { imageId: number }[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let i = 0; i < items.length; i++) {
    const list = out.get(items[i].imageId);
    if (list) list.push(i);
    else out.set(items[i].imageId, [i]);
  }
  return out;
}

/**
 * Type every detection and ground truth at every threshold from COCOeval's matches.
 *
 * @example
 * const ev = evaluateCoco(input, {}, { keepMatches: true });
 * const o = classifyObjects(input.gts, input.dets, ev.matches!, ev.params.iouThrs);
 * o.detCodes[0]; // 'oooooollbb' — tp up to IoU .75, then a loc error, then both
 */
export function classifyObjects(
  gts: readonly GtBox[],
  dets: readonly DetBox[],
  matches: CocoMatches,
  iouThrs: readonly number[],
  { bgThreshold = 0.1 }: { bgThreshold?: number } = {},
): ObjectOutcomes {
  const T = iouThrs.length;
  const detCodes = new Array<string>(dets.length).fill('');
  const detGt = new Int32Array(dets.length * T).fill(-1);
  const detBestIou = new Float64Array(dets.length);
  const gtCodes = new Array<string>(gts.length).fill('');
  const gtBestIou = new Float64Array(gts.length);
  const gtsByImage = groupByImage(gts);
  const detsByImage = groupByImage(dets);
  const codes: string[] = new Array(T);
  const codeString = codeStrings();
  let ious = new Float64Array(16);

  for (const [imageId, detIdx] of detsByImage) {
    const gtIdx = (gtsByImage.get(imageId) ?? []).filter((g) => matches.gtIgnored[g] === 0);
    // TIDE visits an image's detections highest score first (stable), so the first of equal
    // scores names the box a miss is explained by.
    const ordered = [...detIdx].sort((a, b) => dets[b].score - dets[a].score);
    if (gtIdx.length > ious.length) ious = new Float64Array(gtIdx.length * 2);
    for (const j of ordered) {
      const det = dets[j];
      let same = -1;
      let sameIou = 0;
      let other = -1;
      let otherIou = 0;
      let any = -1;
      let anyIou = 0;
      // Plain loops, no pairs and no allocation: this runs for every detection of a run (100k at 5k images).
      for (let n = 0; n < gtIdx.length; n++) {
        const g = gtIdx[n];
        const v = boxIou(det, gts[g]);
        ious[n] = v;
        if (v > gtBestIou[g]) gtBestIou[g] = v;
        // numpy's argmax: the first of equal maxima.
        if (gts[g].label === det.label) {
          if (same < 0 || v > sameIou) {
            same = g;
            sameIou = v;
          }
        } else if (other < 0 || v > otherIou) {
          other = g;
          otherIou = v;
        }
        if (any < 0 || v > anyIou) {
          any = g;
          anyIou = v;
        }
      }
      detBestIou[j] = anyIou;
      let key = 0;
      for (let t = 0; t < T; t++) {
        const bit = 1 << t;
        const tf = iouThrs[t];
        let code: string;
        let involved = -1;
        if (matches.detTp[j] & bit) {
          code = OUTCOME_CODE.tp;
          involved = matches.detGt[j * T + t];
        } else if (matches.detIgnored[j] & bit) {
          code = OUTCOME_CODE.ignored;
        } else if (gtIdx.length === 0) {
          code = OUTCOME_CODE.bkg;
        } else if (same >= 0 && sameIou >= bgThreshold && sameIou < tf) {
          code = OUTCOME_CODE.loc;
          involved = same;
        } else if (other >= 0 && otherIou >= tf) {
          code = OUTCOME_CODE.cls;
          involved = other;
        } else {
          let used = -1;
          let usedIou = 0;
          for (let n = 0; n < gtIdx.length; n++) {
            const g = gtIdx[n];
            if (gts[g].label !== det.label || !(matches.gtTp[g] & bit)) continue;
            if (used < 0 || ious[n] > usedIou) {
              used = g;
              usedIou = ious[n];
            }
          }
          if (used >= 0 && usedIou >= tf) {
            code = OUTCOME_CODE.dupe;
            involved = used;
          } else if (anyIou < bgThreshold) {
            code = OUTCOME_CODE.bkg;
          } else {
            code = OUTCOME_CODE.both;
            involved = any;
          }
        }
        codes[t] = code;
        key = key * 8 + CODE_DIGIT[code];
        detGt[j * T + t] = involved;
      }
      detCodes[j] = codeString(key, codes);
    }
  }

  // Misses: the highest-scoring cls/loc detection pointing at an unmatched box explains it.
  const explainedBy = new Int32Array(gts.length * T).fill(-1);
  for (let j = 0; j < dets.length; j++) {
    const c = detCodes[j];
    if (c === '') continue;
    for (let t = 0; t < T; t++) {
      if (c[t] !== OUTCOME_CODE.cls && c[t] !== OUTCOME_CODE.loc) continue;
      const g = detGt[j * T + t];
      if (matches.gtTp[g] & (1 << t)) continue;
      const prev = explainedBy[g * T + t];
      if (prev < 0 || dets[j].score > dets[prev].score || (dets[j].score === dets[prev].score && j < prev))
        explainedBy[g * T + t] = j;
    }
  }
  for (let g = 0; g < gts.length; g++) {
    if (matches.gtIgnored[g] === 1) continue;
    let key = 0;
    for (let t = 0; t < T; t++) {
      if (matches.gtTp[g] & (1 << t)) codes[t] = OUTCOME_CODE.tp;
      else {
        const j = explainedBy[g * T + t];
        codes[t] = j < 0 ? OUTCOME_CODE.missed : detCodes[j][t];
      }
      key = key * 8 + CODE_DIGIT[codes[t]];
    }
    gtCodes[g] = codeString(key, codes);
  }
  return { T, detCodes, detGt, detBestIou, gtCodes, gtBestIou };
}

/** tp/fp/fn at one threshold. */
export interface OutcomeCounts {
  tp: number;
  fp: number;
  fn: number;
}

/**
 * Count tp (matched detections), fp (typed detections) and fn (unmatched ground truths) at
 * threshold index `t`, over all objects or grouped by `key` (e.g. the image).
 *
 * @example
 * outcomeCounts(outcomes, 0).get(null); // { tp: 512, fp: 85, fn: 181 }
 */
export function outcomeCounts(
  o: ObjectOutcomes,
  t: number,
  detKey: (j: number) => number | null = () => null,
  gtKey: (g: number) => number | null = () => null,
): Map<number | null, OutcomeCounts> {
  const out = new Map<number | null, OutcomeCounts>();
  const at = (k: number | null) => {
    let c = out.get(k);
    if (c === undefined) {
      c = { tp: 0, fp: 0, fn: 0 };
      out.set(k, c);
    }
    return c;
  };
  o.detCodes.forEach((c, j) => {
    if (c === '' || c[t] === OUTCOME_CODE.ignored) return;
    if (c[t] === OUTCOME_CODE.tp) at(detKey(j)).tp++;
    else at(detKey(j)).fp++;
  });
  o.gtCodes.forEach((c, g) => {
    if (c !== '' && c[t] !== OUTCOME_CODE.tp) at(gtKey(g)).fn++;
  });
  return out;
}
