import type { LabelVersionSource, TaskKind } from '../../db/schema.ts';

export type { LabelVersionSource };

/** A class by index, or by name (as listed in the dataset's classes). */
export type ClassRef = number | string;

/** A row by its stored id, or by the id the user knows (COCO image id, CSV id, .npy row index). */
export type RowRef = { rowId: number; externalId?: undefined } | { externalId: string; rowId?: undefined };

/** A box in pixels, COCO style: top-left corner, width and height. */
export interface BoxXywh {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * One requested change. Classification: `relabel` sets the row's label (an unlabeled row becomes
 * labeled). Detection: `box-class` changes a box's class, `box-delete` removes a spurious box,
 * `box-add` adds a box (an accepted missed prediction, a box drawn in a labeling tool); its
 * `annKey` defaults to the next unused annotation id of the dataset.
 */
export type LabelChange =
  | (RowRef & { op: 'relabel'; label: ClassRef })
  | (RowRef & { op: 'box-class'; annKey: string; label: ClassRef })
  | (RowRef & { op: 'box-delete'; annKey: string })
  | (RowRef & {
      op: 'box-add';
      label: ClassRef;
      box: BoxXywh;
      annKey?: string;
      /** Defaults to w × h. */
      area?: number;
      iscrowd?: boolean;
    });

/** A stored box with what COCO keeps with it. */
export interface StoredBox extends BoxXywh {
  area: number;
  iscrowd: boolean;
}

/** One label's state: its class index, or null when the row/box has no such label. */
export interface LabelState {
  rowId: number;
  externalId: string;
  annKey: string;
  label: number;
  /** The box (detection); null for a classification label. */
  box: StoredBox | null;
}

/** A label that a version changed (or that differs between two versions). */
export interface LabelDelta {
  rowId: number;
  externalId: string;
  annKey: string;
  /** Class index before, null when the label did not exist (added box, newly labeled row). */
  oldLabel: number | null;
  /** Class index after, null when the label was removed (deleted box). */
  newLabel: number | null;
  box: StoredBox | null;
}

export interface LabelVersionSummary {
  /** Rows with at least one changed label. */
  rows: number;
  /** Classification labels changed to another class. */
  relabeled: number;
  /** Classification rows labeled for the first time. */
  labeled: number;
  /** Classification labels removed (only by a revert of a first labeling). */
  unlabeled: number;
  boxClass: number;
  boxDeleted: number;
  boxAdded: number;
  /** Requested changes that were already the current labels (nothing to record). */
  unchanged: number;
}

export interface LabelVersionInput {
  /** Dataset name or id. */
  dataset: string | number;
  source: Exclude<LabelVersionSource, 'ingest'>;
  /** Slack user id, `local`, or the tool/token name of an import. */
  actor: string;
  note?: string | null;
  /** Where the changes came from (an import's file name and format), kept with the version. */
  origin?: Record<string, unknown> | null;
  changes: LabelChange[];
}

export interface LabelVersionResult {
  /** False when every change was already the current label: no version was made. */
  created: boolean;
  /** The new version, or the current one when nothing changed. */
  version: number;
  /** The label_versions id of the new version (null when nothing changed). */
  versionId: number | null;
  summary: LabelVersionSummary;
  /** What was recorded, in the order of the requests that changed something. */
  changes: LabelDelta[];
}

/** A change that cannot apply: unknown row, class or box, or a change of the wrong kind. Nothing is stored. */
export class LabelChangeError extends Error {
  constructor(
    /** Index of the offending change in `changes` (0-based). */
    readonly index: number,
    /** The reason without the position, for callers that name the position their own way (file line). */
    readonly reason: string,
  ) {
    super(`change ${index + 1}: ${reason}`);
    this.name = 'LabelChangeError';
  }
}

export class DatasetNotFoundError extends Error {
  constructor(readonly dataset: string | number) {
    super(`no dataset ${typeof dataset === 'number' ? `with id ${dataset}` : `named "${dataset}"`}`);
    this.name = 'DatasetNotFoundError';
  }
}

/** A version that does not exist, or cannot be reverted because later versions changed the same labels. */
export class LabelVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelVersionError';
  }
}

export interface DatasetLabels {
  id: number;
  name: string;
  kind: TaskKind;
  classNames: string[];
  sourceClassIds: number[] | null;
}

export interface LabelVersionInfo {
  id: number;
  version: number;
  source: LabelVersionSource;
  actor: string | null;
  note: string | null;
  origin: Record<string, unknown> | null;
  summary: Partial<LabelVersionSummary>;
  at: Date;
}

/** An annotation's box columns as read: all null for a label without a box (a classification row's). */
export interface BoxColumns {
  x: number | null;
  y: number | null;
  w: number | null;
  h: number | null;
  area: number | null;
  iscrowd: boolean;
}

/** A stored box, or null for a label without one. */
export const boxOf = (r: BoxColumns): StoredBox | null =>
  r.x === null || r.y === null || r.w === null || r.h === null
    ? null
    : { x: r.x, y: r.y, w: r.w, h: r.h, area: r.area ?? r.w * r.h, iscrowd: r.iscrowd };
