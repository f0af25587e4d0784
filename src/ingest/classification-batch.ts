import type { Progress } from '../progress.ts';

/** Extra per-row fields a table may carry. */
export interface RowExtras {
  imageUrl?: string | null;
  /** The `image` column: a path relative to --images, an absolute path, or an http(s) URL. */
  image?: string | null;
  /** The `text` column, for text datasets. */
  text?: string | null;
  width?: number | null;
  height?: number | null;
  metadata?: Record<string, unknown> | null;
}

/** A run of consecutive classification rows, columnar, already validated. */
export interface ClassBatch {
  n: number;
  /** External ids; null means the decimal row index (`start + i`). */
  ids: string[] | null;
  start: number;
  /** Where each row sits in its file (row index or line number): the staging `ord`. */
  ords: Int32Array;
  /** Class index, -1 for unlabeled. */
  labels: Int32Array;
  /** n × k probabilities, row-major. */
  probs: ArrayLike<number>;
  pred: Int32Array;
  score: Float64Array;
  extras: (RowExtras | null)[] | null;
}

/** Where classification rows come from (a pair of .npy files or one table). */
export interface ClassSource {
  k: number;
  classNames: string[];
  /** True when ids are the row indices, so they cannot repeat. */
  idsAreIndices: boolean;
  /**
   * True when `batches()` may be called again and reads the same rows (files with random access),
   * so an import can make one pass per table instead of staging.
   */
  rereadable: boolean;
  /** Rows in the source when known up front (.npy). */
  rows: number | null;
  /** Names the place of a staged row (its `ord`) for messages: "pred_probs.npy: row 17". */
  locate(ord: number): string;
  /** Names the place of a label, for ground-truth conflicts. */
  locateLabel(ord: number): string;
  batches(): AsyncGenerator<ClassBatch>;
  close(): Promise<void>;
}

/** Rows per batch: about 256k probabilities, so memory stays flat whatever N is. */
export function batchRows(k: number): number {
  return Math.max(1024, Math.floor(262144 / Math.max(k, 1)));
}

/**
 * Report each pass over the source's rows (imports read a source once or several times).
 *
 * @example
 * const source = trackPasses(await openNpySource(opts), progress);
 */
export function trackPasses(source: ClassSource, progress: Progress): ClassSource {
  const read = source.batches.bind(source);
  let pass = 0;
  source.batches = async function* () {
    pass += 1;
    progress.step(pass === 1 ? 'reading rows' : `writing rows (pass ${pass})`, source.rows);
    for await (const b of read()) {
      yield b;
      progress.update(b.start + b.n);
    }
  };
  return source;
}
