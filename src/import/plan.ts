import type { PixelBox } from '../export/handoff-document.ts';
import { closestNames } from '../text/closest.ts';
import type { ImportedLabels, ImportedRow } from './labels-file.ts';

/** A row's labels now, as the planner compares them (class names, boxes in pixels). */
export interface CurrentRow {
  rowId: number;
  externalId: string;
  labels: { annKey: string; label: string; box: PixelBox | null }[];
}

/** One change to ask of the label-version writer (its `LabelChange`, by external id and class name). */
export type PlannedChange =
  | { op: 'relabel'; externalId: string; label: string }
  | { op: 'box-class'; externalId: string; annKey: string; label: string }
  | { op: 'box-delete'; externalId: string; annKey: string }
  | { op: 'box-add'; externalId: string; label: string; box: PixelBox };

export interface ImportPlan {
  changes: PlannedChange[];
  /** Rows the file covers (changed or confirmed as they are): their rework and batch rows are done. */
  covered: number[];
  /** Rows whose labels change, with before → after in words, in file order. */
  preview: { id: string; before: string; after: string }[];
  counts: {
    rowsInFile: number;
    covered: number;
    skipped: number;
    changedRows: number;
    relabeled: number;
    newlyLabeled: number;
    boxClass: number;
    boxDeleted: number;
    boxAdded: number;
  };
}

/** The file names rows or classes the dataset does not have: nothing is imported. */
export class LabelImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelImportError';
  }
}

/** Boxes this close (pixels) are the same box: a tool's percent round trip moves none by more. */
const SAME_BOX = 1e-3;
const sameBox = (a: PixelBox, b: PixelBox) =>
  Math.abs(a.x - b.x) <= SAME_BOX &&
  Math.abs(a.y - b.y) <= SAME_BOX &&
  Math.abs(a.w - b.w) <= SAME_BOX &&
  Math.abs(a.h - b.h) <= SAME_BOX;

const describe = (labels: { label: string; box: PixelBox | null }[], kind: string) =>
  kind === 'classification'
    ? (labels[0]?.label ?? 'unlabeled')
    : labels.length === 0
      ? 'no boxes'
      : labels.map((l) => l.label).join(', ');

const listed = (items: string[]) =>
  items.slice(0, 10).join('; ') + (items.length > 10 ? `; … (${items.length} in all)` : '');

/**
 * What importing a labeling tool's file would change, checked in full before anything is written:
 * every row the file names must be a row of the dataset (found by `find`), every class one of its
 * classes. Classification: a row's one class replaces its label. Detection: the file holds an
 * image's complete set of boxes; a box at the same place keeps its id (and changes class if the
 * class differs), a box no longer there is deleted, a new one added (a moved box is both).
 *
 * @example
 * const plan = planLabelImport(parsed, { name: 'digits', kind: 'classification', classNames }, find);
 */
export function planLabelImport(
  imported: ImportedLabels,
  dataset: { name: string; kind: 'classification' | 'detection'; classNames: string[] },
  find: (row: ImportedRow) => CurrentRow | 'ambiguous' | null,
): ImportPlan {
  const classes = new Set(dataset.classNames);
  const unknownRows: string[] = [];
  const ambiguous: string[] = [];
  const unknownClasses = new Map<string, string>();
  const problems: string[] = [];
  const matched: { row: ImportedRow; current: CurrentRow }[] = [];
  const seen = new Map<number, string>();
  for (const row of imported.rows) {
    const current = find(row);
    if (current === null) unknownRows.push(`${row.key} (${row.where})`);
    else if (current === 'ambiguous') ambiguous.push(`${row.key} (${row.where})`);
    else {
      const before = seen.get(current.rowId);
      if (before)
        problems.push(`${row.where} and ${before} are the same row ${current.externalId}: keep one`);
      seen.set(current.rowId, row.where);
      matched.push({ row, current });
    }
    for (const l of row.labels)
      if (!classes.has(l.label) && !unknownClasses.has(l.label)) unknownClasses.set(l.label, l.where);
    if (dataset.kind === 'classification') {
      const boxes = row.labels.filter((l) => l.box);
      if (boxes.length)
        problems.push(`${boxes[0].where}: a box, but "${dataset.name}" is a classification dataset`);
      if (row.labels.length > 1)
        problems.push(
          `${row.where}: ${row.labels.length} classes (${row.labels.map((l) => l.label).join(', ')}); a classification row takes one`,
        );
    } else {
      const tag = row.labels.find((l) => !l.box);
      if (tag)
        problems.push(
          `${tag.where}: a class without a box, but "${dataset.name}" is a detection dataset: draw boxes`,
        );
    }
  }
  const errors: string[] = [];
  if (unknownRows.length)
    errors.push(
      `rows not in dataset "${dataset.name}": ${listed(unknownRows)}. Import the file into the dataset its batch was exported from`,
    );
  if (ambiguous.length)
    errors.push(
      `names matching several rows of "${dataset.name}": ${listed(ambiguous)}. Name images by their Loupe id`,
    );
  if (unknownClasses.size)
    errors.push(
      `classes not in dataset "${dataset.name}": ${listed(
        [...unknownClasses].map(([name, where]) => {
          const [near] = closestNames(name, dataset.classNames, 1);
          return `"${name}" (${where})${near ? `, did you mean "${near}"?` : ''}`;
        }),
      )}. Use the dataset's classes in the labeling tool (${dataset.classNames.slice(0, 20).join(', ')}${dataset.classNames.length > 20 ? ', …' : ''})`,
    );
  errors.push(...problems.slice(0, 10));
  if (errors.length) throw new LabelImportError(`Nothing was imported. ${errors.join('\n')}`);

  const changes: PlannedChange[] = [];
  const preview: ImportPlan['preview'] = [];
  const counts = {
    rowsInFile: imported.rows.length + imported.skipped,
    covered: 0,
    skipped: imported.skipped,
    changedRows: 0,
    relabeled: 0,
    newlyLabeled: 0,
    boxClass: 0,
    boxDeleted: 0,
    boxAdded: 0,
  };
  const covered: number[] = [];
  for (const { row, current } of matched) {
    const externalId = current.externalId;
    const before = changes.length;
    if (dataset.kind === 'classification') {
      if (row.labels.length === 0) {
        counts.skipped++;
        continue;
      }
      const now = current.labels.find((l) => l.annKey === 'label');
      const label = row.labels[0].label;
      if (now?.label !== label) {
        changes.push({ op: 'relabel', externalId, label });
        if (now) counts.relabeled++;
        else counts.newlyLabeled++;
      }
    } else {
      const left = current.labels.filter((l) => l.box);
      const added: { label: string; box: PixelBox }[] = [];
      for (const l of row.labels) {
        const box = l.box as PixelBox;
        const same = left.filter((c) => sameBox(c.box as PixelBox, box));
        const pick = same.find((c) => c.label === l.label) ?? same[0];
        if (!pick) {
          added.push({ label: l.label, box });
          continue;
        }
        left.splice(left.indexOf(pick), 1);
        if (pick.label !== l.label) {
          changes.push({ op: 'box-class', externalId, annKey: pick.annKey, label: l.label });
          counts.boxClass++;
        }
      }
      for (const gone of left) {
        changes.push({ op: 'box-delete', externalId, annKey: gone.annKey });
        counts.boxDeleted++;
      }
      for (const a of added) {
        changes.push({ op: 'box-add', externalId, label: a.label, box: a.box });
        counts.boxAdded++;
      }
    }
    covered.push(current.rowId);
    if (changes.length > before) {
      counts.changedRows++;
      preview.push({
        id: externalId,
        before: describe(current.labels, dataset.kind),
        after: describe(row.labels, dataset.kind),
      });
    }
  }
  counts.covered = covered.length;
  return { changes, covered, preview, counts };
}
