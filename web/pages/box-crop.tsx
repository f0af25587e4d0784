import { mediaImagePath } from '../../src/media/urls.ts';
import { pct } from './layout.tsx';

type Xywh = { x: number; y: number; w: number; h: number };

/** The region a crop shows: the object's boxes with half their size of context, inside the image. */
export function cropRegion(boxes: Xywh[], width: number | null, height: number | null): Xywh {
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.w));
  const y1 = Math.max(...boxes.map((b) => b.y + b.h));
  const pad = Math.max(8, 0.5 * Math.max(x1 - x0, y1 - y0));
  const left = Math.max(0, x0 - pad);
  const top = Math.max(0, y0 - pad);
  const right = width ? Math.min(width, x1 + pad) : x1 + pad;
  const bottom = height ? Math.min(height, y1 + pad) : y1 + pad;
  return { x: left, y: top, w: Math.max(1, right - left), h: Math.max(1, bottom - top) };
}

/** One ground-truth box and the prediction it is judged against (either may be missing). */
export interface BoxPair {
  gtBox: Xywh | null;
  predBox: Xywh | null;
  gtLabel: string | null;
  predLabel: string | null;
  score: number | null;
}

/**
 * A crop of the image around a box pair, ground truth solid and prediction dashed: the object
 * gallery's cards and the detection mislabel cards. "no image" when there is nothing to crop.
 *
 * @example
 * <BoxCrop rowId={7} imageUrl="a.jpg" width={640} height={480} pair={pair} label="object on image 42" />
 */
export function BoxCrop({
  rowId,
  imageUrl,
  width,
  height,
  pair,
  label,
}: {
  rowId: number;
  imageUrl: string | null;
  width: number | null;
  height: number | null;
  pair: BoxPair;
  label: string;
}) {
  const src = mediaImagePath({ rowId, imageUrl });
  const boxes = [pair.gtBox, pair.predBox].filter((b): b is Xywh => b !== null);
  if (!src || boxes.length === 0) return <div class="thumb noimage">no image</div>;
  const v = cropRegion(boxes, width, height);
  const stroke = Math.max(1, Math.max(v.w, v.h) / 100);
  return (
    <svg
      class="thumb crop"
      viewBox={`${v.x} ${v.y} ${v.w} ${v.h}`}
      preserveAspectRatio="xMidYMid meet"
      role="img"
      aria-label={label}
    >
      <image href={src} x="0" y="0" width={String(width ?? v.x + v.w)} height={String(height ?? v.y + v.h)} />
      {pair.gtBox ? (
        <rect
          class="box-gt"
          x={String(pair.gtBox.x)}
          y={String(pair.gtBox.y)}
          width={String(pair.gtBox.w)}
          height={String(pair.gtBox.h)}
          stroke-width={String(stroke)}
        >
          <title>label {pair.gtLabel}</title>
        </rect>
      ) : null}
      {pair.predBox ? (
        <rect
          class="box-pred"
          x={String(pair.predBox.x)}
          y={String(pair.predBox.y)}
          width={String(pair.predBox.w)}
          height={String(pair.predBox.h)}
          stroke-width={String(stroke)}
        >
          <title>
            prediction {pair.predLabel} {pct(pair.score, 0)}
          </title>
        </rect>
      ) : null}
    </svg>
  );
}
