import { IngestError, fileLabel } from './errors.ts';
import { type ClassBatch, type ClassSource, batchRows } from './classification-batch.ts';
import { LineBatcher } from './lines.ts';
import { type NpyReader, numberAt, openNpy, shapeText } from './npy.ts';
import { checkId, checkLabel, checkProbRows } from './validate.ts';

/** Labels from a .npy, or from a text/CSV file (optionally .gz) whose last column is the label. */
interface LabelReader {
  file: string;
  take(start: number, n: number, k: number): Promise<Int32Array>;
  finish(rows: number): Promise<void>;
  close(): Promise<void>;
}

function npyLabels(path: string, rows: number, probsFile: string): LabelReader {
  const r = openNpy(path, { ndim: 1 });
  if (r.header.dtype === 'b1') {
    r.close();
    throw new IngestError(
      `${r.file}: dtype ${r.header.descr} holds booleans, expected integer class indices such as <i8 (save with labels.astype('int64'))`,
    );
  }
  if (r.rows !== rows) {
    r.close();
    throw new IngestError(
      `${r.file}: shape ${shapeText(r.header.shape)} has ${r.rows} labels, expected ${rows} (the rows of ${probsFile})`,
    );
  }
  return {
    file: r.file,
    async take(start, n, k) {
      const raw = r.readRows(start, n);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++)
        out[i] = checkLabel(numberAt(raw, i), k, () => `${r.file}: row ${start + i}`);
      return out;
    },
    async finish() {},
    async close() {
      r.close();
    },
  };
}

function textLabels(path: string, probsFile: string): LabelReader {
  const file = fileLabel(path);
  const lines = new LineBatcher(path);
  return {
    file,
    async take(start, n, k) {
      const texts = await lines.take(n);
      if (texts.length < n)
        throw new IngestError(
          `${file}: has ${start + texts.length} lines, expected one per row of ${probsFile}`,
        );
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const t = texts[i];
        const cell = t.slice(t.lastIndexOf(',') + 1).trim();
        const where = () => `${file}: line ${start + i + 1}`;
        if (cell === '') out[i] = -1;
        else if (!/^-?\d+(\.0*)?$/.test(cell))
          throw new IngestError(
            `${where()}: label ${JSON.stringify(cell)}, expected an integer in [0, ${k})`,
          );
        else out[i] = checkLabel(Number(cell), k, where);
      }
      return out;
    },
    async finish(rows) {
      if (!(await lines.atEnd()))
        throw new IngestError(`${file}: has more than ${rows} lines, expected one per row of ${probsFile}`);
    },
    close: () => lines.close(),
  };
}

/**
 * Classification rows from `pred_probs.npy` (N × K) with optional labels (.npy N, or a text file
 * whose last column is the label) and optional ids (one per line).
 *
 * @example
 * const src = await openNpySource({ probs: 'pred_probs.npy', labels: 'labels.npy' });
 */
export async function openNpySource({
  probs,
  labels,
  ids,
  classNames,
}: {
  probs: string;
  labels?: string;
  ids?: string;
  classNames?: string[];
}): Promise<ClassSource> {
  const p: NpyReader = openNpy(probs, { ndim: 2 });
  let labelReader: LabelReader | null = null;
  let idLines: LineBatcher | null = null;
  try {
    const k = p.cols;
    if (p.header.dtype !== 'f4' && p.header.dtype !== 'f8')
      throw new IngestError(
        `${p.file}: dtype ${p.header.descr}, expected floating point probabilities (<f4 or <f8)`,
      );
    if (k < 1) throw new IngestError(`${p.file}: shape ${shapeText(p.header.shape)} has no classes`);
    if (p.rows < 1)
      throw new IngestError(
        `${p.file}: shape ${shapeText(p.header.shape)} has no rows, expected at least one`,
      );
    if (classNames && classNames.length !== k)
      throw new IngestError(
        `class names: ${classNames.length} names given, expected ${k} (the columns of ${p.file})`,
      );
    if (labels)
      labelReader = labels.endsWith('.npy') ? npyLabels(labels, p.rows, p.file) : textLabels(labels, p.file);
    if (ids) idLines = new LineBatcher(ids);
  } catch (err) {
    p.close();
    await labelReader?.close();
    throw err;
  }
  const idFile = ids ? fileLabel(ids) : '';
  const k = p.cols;
  const names = classNames ?? Array.from({ length: k }, (_, i) => String(i));
  return {
    k,
    classNames: names,
    idsAreIndices: !ids,
    // Text files (ids, text labels) are read as streams, once.
    rereadable: !ids && (!labels || labels.endsWith('.npy')),
    rows: p.rows,
    locate: (ord) => (ids ? `${idFile}: line ${ord + 1}` : `${p.file}: row ${ord}`),
    locateLabel: (ord) => (labelReader ? `${labelReader.file}: row ${ord}` : `${p.file}: row ${ord}`),
    async *batches(): AsyncGenerator<ClassBatch> {
      const size = batchRows(k);
      for (let start = 0; start < p.rows; start += size) {
        const n = Math.min(size, p.rows - start);
        const probsChunk = p.readRows(start, n);
        const pred = new Int32Array(n);
        const score = new Float64Array(n);
        checkProbRows(
          probsChunk as Float32Array | Float64Array,
          n,
          k,
          (i) => `${p.file}: row ${start + i}`,
          pred,
          score,
        );
        const labelChunk = labelReader ? await labelReader.take(start, n, k) : new Int32Array(n).fill(-1);
        let idChunk: string[] | null = null;
        if (idLines) {
          idChunk = await idLines.take(n);
          if (idChunk.length < n)
            throw new IngestError(
              `${idFile}: has ${start + idChunk.length} lines, expected ${p.rows} (one id per row of ${p.file})`,
            );
          for (let i = 0; i < n; i++) checkId(idChunk[i], () => `${idFile}: line ${start + i + 1}`);
        }
        const ords = new Int32Array(n);
        for (let i = 0; i < n; i++) ords[i] = start + i;
        yield {
          n,
          ids: idChunk,
          start,
          ords,
          labels: labelChunk,
          probs: probsChunk as Float64Array,
          pred,
          score,
          extras: null,
        };
      }
      await labelReader?.finish(p.rows);
      if (idLines && !(await idLines.atEnd()))
        throw new IngestError(
          `${idFile}: has more than ${p.rows} lines, expected one id per row of ${p.file}`,
        );
    },
    async close() {
      p.close();
      await labelReader?.close();
      await idLines?.close();
    },
  };
}
