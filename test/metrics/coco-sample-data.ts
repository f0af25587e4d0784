import { readFileSync } from 'node:fs';
import type { DetBox, GtBox } from '../../src/metrics/detection-types.ts';

const DATA = new URL('../../../shared/data/coco-val2014-100/', import.meta.url);

/** The shared COCO val2014 sample as evaluation input: annotation ids kept, detections numbered from 1 as loadRes does. */
export function loadSample() {
  const inst = JSON.parse(readFileSync(new URL('instances.json', DATA), 'utf8'));
  const res = JSON.parse(readFileSync(new URL('results.json', DATA), 'utf8'));
  type Ann = {
    id: number;
    image_id: number;
    category_id: number;
    bbox: number[];
    area: number;
    iscrowd: number;
  };
  type Res = { image_id: number; category_id: number; bbox: number[]; score: number };
  const gts: GtBox[] = inst.annotations.map((a: Ann) => ({
    id: a.id,
    imageId: a.image_id,
    label: a.category_id,
    x: a.bbox[0],
    y: a.bbox[1],
    w: a.bbox[2],
    h: a.bbox[3],
    area: a.area,
    iscrowd: a.iscrowd === 1,
  }));
  const dets: DetBox[] = res.map((r: Res, i: number) => ({
    id: i + 1,
    imageId: r.image_id,
    label: r.category_id,
    x: r.bbox[0],
    y: r.bbox[1],
    w: r.bbox[2],
    h: r.bbox[3],
    score: r.score,
  }));
  return {
    imageIds: inst.images.map((i: { id: number }) => i.id) as number[],
    labels: inst.categories.map((c: { id: number }) => c.id) as number[],
    gts,
    dets,
  };
}
