/**
 * What a label change is checked against before it is recorded (a class of the dataset, a box, an
 * annotation id), each refusal a LabelChangeError naming the change, and the keys and summary a
 * version is made of.
 */
import {
  type BoxXywh,
  type ClassRef,
  type DatasetLabels,
  type LabelChange,
  LabelChangeError,
  type LabelVersionSummary,
  type RowRef,
} from './label-version-types.ts';

/** A class of the dataset, by index or name, as its index. */
export function classIndex(d: DatasetLabels, ref: ClassRef, index: number): number {
  if (typeof ref === 'number') {
    if (Number.isInteger(ref) && ref >= 0 && ref < d.classNames.length) return ref;
    throw new LabelChangeError(
      index,
      `class ${ref} is not a class of dataset "${d.name}", expected an index in [0, ${d.classNames.length})`,
    );
  }
  const i = d.classNames.indexOf(ref);
  if (i >= 0) return i;
  const shown = d.classNames.slice(0, 12).join(', ') + (d.classNames.length > 12 ? ', …' : '');
  throw new LabelChangeError(
    index,
    `class "${ref.slice(0, 60)}" is not a class of dataset "${d.name}", expected one of: ${shown}`,
  );
}

export function checkBox(box: BoxXywh, index: number): void {
  const ok =
    box &&
    [box.x, box.y, box.w, box.h].every((v) => typeof v === 'number' && Number.isFinite(v)) &&
    box.w >= 0 &&
    box.h >= 0;
  if (!ok)
    throw new LabelChangeError(
      index,
      `box ${JSON.stringify(box)} is not a box, expected { x, y, w, h } with finite numbers and w, h ≥ 0`,
    );
}

/** A change's row as a message names it. */
export const rowText = (c: RowRef) => (c.rowId !== undefined ? `row id ${c.rowId}` : `row "${c.externalId}"`);

export function emptySummary(): LabelVersionSummary {
  return {
    rows: 0,
    relabeled: 0,
    labeled: 0,
    unlabeled: 0,
    boxClass: 0,
    boxDeleted: 0,
    boxAdded: 0,
    unchanged: 0,
  };
}

export function keyOf(c: LabelChange): string {
  if (c.op === 'relabel') return 'label';
  if (c.op === 'box-add') return c.annKey ?? '';
  return String(c.annKey);
}

export function checkAnnKey(key: unknown, index: number): string {
  const s = String(key);
  if (!/^\d{1,15}$/.test(s))
    throw new LabelChangeError(index, `annotation id ${JSON.stringify(key)} is not a whole number`);
  return s;
}
