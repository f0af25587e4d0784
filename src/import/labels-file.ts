import type { PixelBox } from '../export/handoff-document.ts';
import { jsonErrorOffset } from '../text/json-error.ts';

/** The labeling tools whose exports `loupe import labels` reads. */
export const LABEL_TOOLS = ['labelstudio', 'cvat', 'coco'] as const;
export type LabelTool = (typeof LABEL_TOOLS)[number];

/** One label read from a tool's export: a class name, and a box in pixels for detection. */
export interface ImportedLabel {
  label: string;
  box: PixelBox | null;
  /** Where it is in the file, for messages: `task 3 (id 17) result 2`, `line 40 <box>`. */
  where: string;
}

/**
 * One row as the labeler left it. `key` is how the file names the row (our id in Label Studio's
 * `data.loupe_id`, the image name in CVAT, the image id or file name in COCO); `labels` is the
 * row's complete set of labels (a detection image without boxes has none).
 */
export interface ImportedRow {
  key: string;
  /** Other names the row may go by (CVAT image name without folders and extension). */
  altKeys: string[];
  where: string;
  labels: ImportedLabel[];
  /** COCO: the annotation ids, parallel to `labels` (kept when a box is new). */
  annIds?: (string | null)[];
}

export interface ImportedLabels {
  tool: LabelTool;
  rows: ImportedRow[];
  /** Rows in the file that the labeler skipped or cancelled (not covered, not changed). */
  skipped: number;
}

/** A file that is not what the tool writes: where, what, and how to fix it. Nothing was imported. */
export class LabelFileError extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${where}: ${problem}; ${fix}`);
    this.name = 'LabelFileError';
  }
}

/** The 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  return { line, column: offset - last };
}

/**
 * Parse JSON, turning a syntax error into a LabelFileError naming the line and column.
 *
 * @example
 * parseJsonFile('[{"a": 1,}]', 'tasks.json', 'export it again'); // throws "tasks.json line 1, column 10: …"
 */
export function parseJsonFile(text: string, file: string, fix: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const where =
      offset === null
        ? file
        : (({ line, column }) => `${file} line ${line}, column ${column}`)(lineColumn(text, offset));
    const found =
      offset === null || offset >= text.length
        ? 'the text ends too early'
        : `unexpected ${JSON.stringify(text[offset])}`;
    throw new LabelFileError(
      where,
      `not valid JSON (${found}; ${(err as Error).message.split(',')[0]})`,
      fix,
    );
  }
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
