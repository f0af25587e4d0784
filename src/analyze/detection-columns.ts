import type { DetBox, GtBox } from '../metrics/detection-types.ts';
import type { DetectionInputs } from '../store/analysis.ts';

const GT_FIELDS = 9;
const DET_FIELDS = 8;

/**
 * A detection run's inputs as flat float64 columns, to hand to a worker thread by moving their
 * buffers. Cloning the boxes as objects cost 0.45 s on each side on the 5k-image set (140k boxes);
 * these cross in no time. Float64 keeps every id and coordinate as it was.
 */
export interface DetectionColumns {
  /** Labeled row ids, then pool row ids. */
  rows: Float64Array;
  labeledRows: number;
  /** Per box: id, imageId, label, x, y, w, h, area, iscrowd (0/1). */
  gts: Float64Array;
  /** Per box: id, imageId, label, score, x, y, w, h; the labeled images' boxes, then the pool's. */
  dets: Float64Array;
  labeledDets: number;
  externalRows: Float64Array;
  externalIds: string[];
}

/**
 * The inputs as columns, and the buffers to move with them.
 *
 * @example
 * const { columns, transfer } = detectionColumns(inputs);
 * await pool.run('cocoAnalysis', { columns, classNames }, transfer);
 */
export function detectionColumns(inputs: DetectionInputs): {
  columns: DetectionColumns;
  transfer: ArrayBuffer[];
} {
  const { labeledRows, poolRows, gts, dets, poolDets, externalIds } = inputs;
  const rows = Float64Array.from([...labeledRows, ...poolRows]);
  const g = new Float64Array(gts.length * GT_FIELDS);
  for (let i = 0, o = 0; i < gts.length; i++, o += GT_FIELDS) {
    const b = gts[i];
    g[o] = b.id;
    g[o + 1] = b.imageId;
    g[o + 2] = b.label;
    g[o + 3] = b.x;
    g[o + 4] = b.y;
    g[o + 5] = b.w;
    g[o + 6] = b.h;
    g[o + 7] = b.area;
    g[o + 8] = b.iscrowd ? 1 : 0;
  }
  const d = new Float64Array((dets.length + poolDets.length) * DET_FIELDS);
  let o = 0;
  for (const list of [dets, poolDets])
    for (const b of list) {
      d[o] = b.id;
      d[o + 1] = b.imageId;
      d[o + 2] = b.label;
      d[o + 3] = b.score;
      d[o + 4] = b.x;
      d[o + 5] = b.y;
      d[o + 6] = b.w;
      d[o + 7] = b.h;
      o += DET_FIELDS;
    }
  const externalRows = Float64Array.from(externalIds.keys());
  const columns: DetectionColumns = {
    rows,
    labeledRows: labeledRows.length,
    gts: g,
    dets: d,
    labeledDets: dets.length,
    externalRows,
    externalIds: [...externalIds.values()],
  };
  return { columns, transfer: [rows.buffer, g.buffer, d.buffer, externalRows.buffer] as ArrayBuffer[] };
}

/**
 * The inputs back from their columns (detectionColumns), equal to the ones packed.
 *
 * @example
 * const inputs = detectionInputsOf(columns);
 */
export function detectionInputsOf(c: DetectionColumns): DetectionInputs {
  const rows = Array.from(c.rows);
  const gts: GtBox[] = new Array(c.gts.length / GT_FIELDS);
  for (let i = 0, o = 0; i < gts.length; i++, o += GT_FIELDS) {
    const g = c.gts;
    gts[i] = {
      id: g[o],
      imageId: g[o + 1],
      label: g[o + 2],
      x: g[o + 3],
      y: g[o + 4],
      w: g[o + 5],
      h: g[o + 6],
      area: g[o + 7],
      iscrowd: g[o + 8] === 1,
    };
  }
  const all: DetBox[] = new Array(c.dets.length / DET_FIELDS);
  for (let i = 0, o = 0; i < all.length; i++, o += DET_FIELDS) {
    const d = c.dets;
    all[i] = {
      id: d[o],
      imageId: d[o + 1],
      label: d[o + 2],
      score: d[o + 3],
      x: d[o + 4],
      y: d[o + 5],
      w: d[o + 6],
      h: d[o + 7],
    };
  }
  return {
    labeledRows: rows.slice(0, c.labeledRows),
    poolRows: rows.slice(c.labeledRows),
    gts,
    dets: all.slice(0, c.labeledDets),
    poolDets: all.slice(c.labeledDets),
    externalIds: new Map(c.externalIds.map((id, i) => [c.externalRows[i], id])),
  };
}
