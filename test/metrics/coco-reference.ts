/**
 * A slow, literal transcription of pycocotools' cocoeval.py (COCOeval for iouType 'bbox':
 * _prepare, computeIoU, evaluateImg, accumulate, summarize) and of bbIou from maskApi.c, kept
 * structurally identical to the Python (dicts per image, T×D matrices, concatenation then a
 * stable argsort) so it can serve as an independent check of the fast implementation in
 * src/metrics/coco-eval.ts. Only numpy's pairwise mean is shared with it (tested on its own).
 */
import { linspace, meanOfValid } from '../../src/metrics/coco-params.ts';
import type { DetBox, GtBox } from '../../src/metrics/detection-types.ts';

interface Ann {
  id: number;
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  area: number;
  iscrowd: number;
  score: number;
  ignore?: number;
  _ignore?: number;
}

export interface EvalImg {
  dtIds: number[];
  gtIds: number[];
  dtMatches: number[][];
  gtMatches: number[][];
  dtScores: number[];
  gtIgnore: number[];
  dtIgnore: number[][];
}

function argsortStable(keys: number[]): number[] {
  return keys.map((_, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
}

function bbIou(dt: number[][], gt: number[][], iscrowd: number[]): number[][] {
  const m = dt.length;
  const n = gt.length;
  const o: number[][] = Array.from({ length: m }, () => new Array(n).fill(0));
  for (let g = 0; g < n; g++) {
    const G = gt[g];
    const ga = G[2] * G[3];
    const crowd = iscrowd[g];
    for (let d = 0; d < m; d++) {
      const D = dt[d];
      const da = D[2] * D[3];
      o[d][g] = 0;
      const w = Math.min(D[2] + D[0], G[2] + G[0]) - Math.max(D[0], G[0]);
      if (w <= 0) continue;
      const h = Math.min(D[3] + D[1], G[3] + G[1]) - Math.max(D[1], G[1]);
      if (h <= 0) continue;
      const i = w * h;
      const u = crowd ? da : da + ga - i;
      o[d][g] = i / u;
    }
  }
  return o;
}

export interface ReferenceResult {
  stats: number[];
  /** `evalImgs` of area 'all' at the largest maxDets, with the image and category they belong to. */
  evalImgs: (EvalImg & { imageId: number; catId: number })[];
  precision: number[][][][][];
  recall: number[][][][];
}

/** COCOeval(cocoGt, cocoDt, 'bbox').evaluate(); accumulate(); summarize() → stats, precision, recall. */
export function referenceCocoEval(
  imageIds: number[],
  labels: number[],
  gtBoxes: readonly GtBox[],
  detBoxes: readonly DetBox[],
): ReferenceResult {
  const iouThrs = linspace(0.5, 0.95, 10);
  const recThrs = linspace(0, 1, 101);
  const maxDets = [1, 10, 100];
  const areaRng = [
    [0 ** 2, 1e5 ** 2],
    [0 ** 2, 32 ** 2],
    [32 ** 2, 96 ** 2],
    [96 ** 2, 1e5 ** 2],
  ];
  const areaRngLbl = ['all', 'small', 'medium', 'large'];
  const imgIds = [...new Set(imageIds)].sort((a, b) => a - b);
  const catIds = [...new Set(labels)].sort((a, b) => a - b);

  // loadRes: area = w*h, ids 1..N in file order, iscrowd 0.
  const gtsAll: Ann[] = gtBoxes.map((g) => ({
    id: g.id,
    image_id: g.imageId,
    category_id: g.label,
    bbox: [g.x, g.y, g.w, g.h],
    area: g.area,
    iscrowd: g.iscrowd ? 1 : 0,
    score: 0,
  }));
  const dtsAll: Ann[] = detBoxes.map((d, i) => ({
    id: i + 1,
    image_id: d.imageId,
    category_id: d.label,
    bbox: [d.x, d.y, d.w, d.h],
    area: d.w * d.h,
    iscrowd: 0,
    score: d.score,
  }));

  // _prepare (getAnnIds keeps annotation order within an image; images in imgIds order)
  const inCats = new Set(catIds);
  const byImage = (anns: Ann[]) => {
    const imgToAnns = new Map<number, Ann[]>();
    for (const a of anns) imgToAnns.set(a.image_id, [...(imgToAnns.get(a.image_id) ?? []), a]);
    return imgIds.flatMap((img) => (imgToAnns.get(img) ?? []).filter((a) => inCats.has(a.category_id)));
  };
  const gts = byImage(gtsAll);
  const dts = byImage(dtsAll);
  for (const gt of gts) gt.ignore = gt.iscrowd ? 1 : 0;
  const _gts = new Map<string, Ann[]>();
  const _dts = new Map<string, Ann[]>();
  const push = (m: Map<string, Ann[]>, a: Ann) => {
    const key = `${a.image_id},${a.category_id}`;
    const list = m.get(key) ?? [];
    list.push(a);
    m.set(key, list);
  };
  for (const gt of gts) push(_gts, gt);
  for (const dt of dts) push(_dts, dt);

  const computeIoU = (imgId: number, catId: number): number[][] => {
    const gt = _gts.get(`${imgId},${catId}`) ?? [];
    let dt = _dts.get(`${imgId},${catId}`) ?? [];
    if (gt.length === 0 && dt.length === 0) return [];
    const inds = argsortStable(dt.map((d) => -d.score));
    dt = inds.map((i) => dt[i]);
    if (dt.length > maxDets[maxDets.length - 1]) dt = dt.slice(0, maxDets[maxDets.length - 1]);
    if (dt.length === 0 || gt.length === 0) return [];
    return bbIou(
      dt.map((d) => d.bbox),
      gt.map((g) => g.bbox),
      gt.map((o) => o.iscrowd),
    );
  };
  const ious = new Map<string, number[][]>();
  for (const imgId of imgIds)
    for (const catId of catIds) ious.set(`${imgId},${catId}`, computeIoU(imgId, catId));

  const evaluateImg = (imgId: number, catId: number, aRng: number[], maxDet: number): EvalImg | null => {
    let gt = _gts.get(`${imgId},${catId}`) ?? [];
    let dt = _dts.get(`${imgId},${catId}`) ?? [];
    if (gt.length === 0 && dt.length === 0) return null;
    for (const g of gt) g._ignore = g.ignore || g.area < aRng[0] || g.area > aRng[1] ? 1 : 0;
    const gtind = argsortStable(gt.map((g) => g._ignore as number));
    gt = gtind.map((i) => gt[i]);
    const dtind = argsortStable(dt.map((d) => -d.score));
    dt = dtind.slice(0, maxDet).map((i) => dt[i]);
    const iscrowd = gt.map((o) => o.iscrowd);
    const raw = ious.get(`${imgId},${catId}`) as number[][];
    const iou = raw.length > 0 ? raw.map((row) => gtind.map((g) => row[g])) : raw;
    const T = iouThrs.length;
    const G = gt.length;
    const D = dt.length;
    const gtm = Array.from({ length: T }, () => new Array(G).fill(0));
    const dtm = Array.from({ length: T }, () => new Array(D).fill(0));
    const gtIg = gt.map((g) => g._ignore as number);
    const dtIg = Array.from({ length: T }, () => new Array(D).fill(0));
    if (iou.length !== 0) {
      iouThrs.forEach((t, tind) => {
        dt.forEach((d, dind) => {
          let best = Math.min(t, 1 - 1e-10);
          let m = -1;
          for (let gind = 0; gind < G; gind++) {
            if (gtm[tind][gind] > 0 && !iscrowd[gind]) continue;
            if (m > -1 && gtIg[m] === 0 && gtIg[gind] === 1) break;
            if (iou[dind][gind] < best) continue;
            best = iou[dind][gind];
            m = gind;
          }
          if (m === -1) return;
          dtIg[tind][dind] = gtIg[m];
          dtm[tind][dind] = gt[m].id;
          gtm[tind][m] = d.id;
        });
      });
    }
    const a = dt.map((d) => d.area < aRng[0] || d.area > aRng[1]);
    for (let t = 0; t < T; t++)
      for (let d = 0; d < D; d++) dtIg[t][d] = dtIg[t][d] || (dtm[t][d] === 0 && a[d]) ? 1 : 0;
    return {
      dtIds: dt.map((d) => d.id),
      gtIds: gt.map((g) => g.id),
      dtMatches: dtm,
      gtMatches: gtm,
      dtScores: dt.map((d) => d.score),
      gtIgnore: gtIg,
      dtIgnore: dtIg,
    };
  };

  const maxDet = maxDets[maxDets.length - 1];
  const evalImgs: (EvalImg | null)[] = [];
  for (const catId of catIds)
    for (const aRng of areaRng)
      for (const imgId of imgIds) evalImgs.push(evaluateImg(imgId, catId, aRng, maxDet));

  // accumulate
  const T = iouThrs.length;
  const R = recThrs.length;
  const K = catIds.length;
  const A = areaRng.length;
  const M = maxDets.length;
  const precision = Array.from({ length: T }, () =>
    Array.from({ length: R }, () =>
      Array.from({ length: K }, () => Array.from({ length: A }, () => new Array(M).fill(-1))),
    ),
  );
  const recall = Array.from({ length: T }, () =>
    Array.from({ length: K }, () => Array.from({ length: A }, () => new Array(M).fill(-1))),
  );
  const I0 = imgIds.length;
  const A0 = areaRng.length;
  for (let k = 0; k < K; k++) {
    const Nk = k * A0 * I0;
    for (let a = 0; a < A; a++) {
      const Na = a * I0;
      for (let m = 0; m < M; m++) {
        const md = maxDets[m];
        const E = imgIds.map((_, i) => evalImgs[Nk + Na + i]).filter((e): e is EvalImg => e !== null);
        if (E.length === 0) continue;
        const dtScores = E.flatMap((e) => e.dtScores.slice(0, md));
        const inds = argsortStable(dtScores.map((s) => -s));
        const dtm = iouThrs.map((_, t) => {
          const row = E.flatMap((e) => e.dtMatches[t].slice(0, md));
          return inds.map((i) => row[i]);
        });
        const dtIg = iouThrs.map((_, t) => {
          const row = E.flatMap((e) => e.dtIgnore[t].slice(0, md));
          return inds.map((i) => row[i]);
        });
        const gtIg = E.flatMap((e) => e.gtIgnore);
        const npig = gtIg.filter((g) => g === 0).length;
        if (npig === 0) continue;
        for (let t = 0; t < T; t++) {
          const tps = dtm[t].map((v, i) => (v !== 0 && !dtIg[t][i] ? 1 : 0));
          const fps = dtm[t].map((v, i) => (v === 0 && !dtIg[t][i] ? 1 : 0));
          const tp: number[] = [];
          const fp: number[] = [];
          let ct = 0;
          let cf = 0;
          for (let i = 0; i < tps.length; i++) {
            ct += tps[i];
            cf += fps[i];
            tp.push(ct);
            fp.push(cf);
          }
          const nd = tp.length;
          const rc = tp.map((v) => v / npig);
          const pr = tp.map((v, i) => v / (fp[i] + v + 2.220446049250313e-16));
          const q = new Array(R).fill(0);
          recall[t][k][a][m] = nd ? rc[nd - 1] : 0;
          for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
          const searchsorted = (v: number) => {
            let i = 0;
            while (i < nd && rc[i] < v) i++;
            return i;
          };
          const pinds = recThrs.map(searchsorted);
          for (let ri = 0; ri < R; ri++) {
            if (pinds[ri] >= nd) break; // IndexError caught by the bare except
            q[ri] = pr[pinds[ri]];
          }
          for (let ri = 0; ri < R; ri++) precision[t][ri][k][a][m] = q[ri];
        }
      }
    }
  }

  // summarize
  const summ = (ap: boolean, iouThr: number | null, areaLbl: string, md: number): number => {
    const aind = areaRngLbl.indexOf(areaLbl);
    const mind = maxDets.indexOf(md);
    const ts =
      iouThr === null ? iouThrs.map((_, t) => t) : iouThrs.flatMap((v, t) => (v === iouThr ? [t] : []));
    const s: number[] = [];
    if (ap) {
      for (const t of ts)
        for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) s.push(precision[t][r][k][aind][mind]);
    } else {
      for (const t of ts) for (let k = 0; k < K; k++) s.push(recall[t][k][aind][mind]);
    }
    return meanOfValid(s);
  };
  const stats = [
    summ(true, null, 'all', 100),
    summ(true, 0.5, 'all', maxDets[2]),
    summ(true, 0.75, 'all', maxDets[2]),
    summ(true, null, 'small', maxDets[2]),
    summ(true, null, 'medium', maxDets[2]),
    summ(true, null, 'large', maxDets[2]),
    summ(false, null, 'all', maxDets[0]),
    summ(false, null, 'all', maxDets[1]),
    summ(false, null, 'all', maxDets[2]),
    summ(false, null, 'small', maxDets[2]),
    summ(false, null, 'medium', maxDets[2]),
    summ(false, null, 'large', maxDets[2]),
  ];
  const evalImgsAll = catIds.flatMap((catId, k) =>
    imgIds.flatMap((imageId, i) => {
      const e = evalImgs[k * areaRng.length * imgIds.length + i];
      return e ? [{ ...e, imageId, catId }] : [];
    }),
  );
  return { stats, precision, recall, evalImgs: evalImgsAll };
}
