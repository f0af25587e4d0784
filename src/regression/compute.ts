import { evaluateCoco, type CocoInput } from '../metrics/coco-eval.ts';
import { bootstrapF1Change, cellsFrom } from './classification.ts';
import { apData, bootstrapApChange } from './detection.ts';
import type { BootstrapSettings, ClassRegression } from './types.ts';

/** What the pool thread gets for a classification check: the cell counts, nothing per row. */
export interface F1CheckInput extends BootstrapSettings {
  k: number;
  classNames: string[];
  lines: { label: number; before: number; now: number; count: number }[];
  minDrop: number;
}

/** What the pool thread gets for a detection check: both runs' boxes on the shared images. */
export interface ApCheckInput extends BootstrapSettings {
  classNames: string[];
  before: CocoInput;
  now: CocoInput;
  minDrop: number;
}

/** The classification check as one pure step (a compute task). */
export function f1Check({ k, classNames, lines, ...settings }: F1CheckInput): ClassRegression[] {
  return bootstrapF1Change(cellsFrom(k, lines), classNames, settings);
}

/** The detection check as one pure step: COCOeval of each run, then the image bootstrap. */
export function apCheck({ classNames, before, now, ...settings }: ApCheckInput): ClassRegression[] {
  const a = apData(before, evaluateCoco(before, {}, { keepMatches: true }));
  const b = apData(now, evaluateCoco(now, {}, { keepMatches: true }));
  return bootstrapApChange(a, b, classNames, settings);
}
