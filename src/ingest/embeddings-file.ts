import { IngestError, fileLabel, show } from './errors.ts';
import { LineBatcher, readLines } from './lines.ts';
import { openNpy, shapeText } from './npy.ts';
import { checkId } from './validate.ts';

/** A run of embedding vectors as float32 little-endian bytes, dim × 4 per row. */
export interface VectorBatch {
  n: number;
  /** null: the decimal row index `start + i`. */
  ids: string[] | null;
  start: number;
  ords: Int32Array;
  /** n × dim float32, little-endian. */
  vectors: Float32Array;
}

/**
 * The i-th vector of a batch as its float32 bytes, without copying. Float32Array memory is
 * little-endian on every platform Node supports, which is the embeddings column's format.
 */
export function vectorBytes(b: VectorBatch, dim: number): (i: number) => Uint8Array {
  const rowBytes = dim * 4;
  const bytes = new Uint8Array(b.vectors.buffer, b.vectors.byteOffset, b.n * rowBytes);
  return (i) => bytes.subarray(i * rowBytes, (i + 1) * rowBytes);
}

export interface VectorSource {
  file: string;
  dim: number;
  rows: number | null;
  idsAreIndices: boolean;
  locate(ord: number): string;
  batches(): AsyncGenerator<VectorBatch>;
  close(): Promise<void>;
}

function checkFinite(v: Float32Array, dim: number, where: (i: number) => string): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]))
      throw new IngestError(
        `${where(Math.floor(i / dim))}: component ${i % dim} is ${v[i]}, expected a finite number`,
      );
  }
}

function openNpyVectors(
  path: string,
  ids: string | undefined,
  idList: string[] | undefined,
  expectRows: number | undefined,
): VectorSource {
  const r = openNpy(path, { ndim: 2 });
  const dim = r.cols;
  if (expectRows !== undefined && r.rows !== expectRows) {
    r.close();
    throw new IngestError(
      `${r.file}: shape ${shapeText(r.header.shape)} has ${r.rows} rows, expected ${expectRows} (one per row of the predictions, in the same order)`,
    );
  }
  if (dim < 1) {
    r.close();
    throw new IngestError(`${r.file}: shape ${shapeText(r.header.shape)}, expected N × D with D ≥ 1`);
  }
  const idFile = ids ? fileLabel(ids) : '';
  const idLines = ids ? new LineBatcher(ids) : null;
  const size = Math.max(256, Math.floor((1 << 22) / (dim * 4)));
  return {
    file: r.file,
    dim,
    rows: r.rows,
    idsAreIndices: !ids && !idList,
    locate: (ord) => (ids ? `${idFile}: line ${ord + 1}` : `${r.file}: row ${ord}`),
    async *batches() {
      for (let start = 0; start < r.rows; start += size) {
        const n = Math.min(size, r.rows - start);
        const raw = r.readRows(start, n);
        const vectors =
          raw instanceof Float32Array ? raw : Float32Array.from(raw as ArrayLike<number>, Number);
        checkFinite(vectors, dim, (i) => `${r.file}: row ${start + i}`);
        let idChunk: string[] | null = idList ? idList.slice(start, start + n) : null;
        if (idLines) {
          idChunk = await idLines.take(n);
          if (idChunk.length < n)
            throw new IngestError(
              `${idFile}: has ${start + idChunk.length} lines, expected ${r.rows} (one id per row of ${r.file})`,
            );
          for (let i = 0; i < n; i++) checkId(idChunk[i], () => `${idFile}: line ${start + i + 1}`);
        }
        const ords = new Int32Array(n);
        for (let i = 0; i < n; i++) ords[i] = start + i;
        yield { n, ids: idChunk, start, ords, vectors };
      }
      if (idLines && !(await idLines.atEnd()))
        throw new IngestError(
          `${idFile}: has more than ${r.rows} lines, expected one id per row of ${r.file}`,
        );
    },
    async close() {
      r.close();
      await idLines?.close();
    },
  };
}

async function openJsonlVectors(path: string): Promise<VectorSource> {
  const file = fileLabel(path);
  const parse = (text: string, line: number) => {
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (err) {
      throw new IngestError(`${file}: line ${line}: not valid JSON (${(err as Error).message})`);
    }
    if (!o || typeof o !== 'object' || Array.isArray(o))
      throw new IngestError(`${file}: line ${line}: ${show(o)}, expected {"id": …, "embedding": [numbers]}`);
    const rec = o as Record<string, unknown>;
    const vec = rec.embedding ?? rec.vector;
    if (!Array.isArray(vec) || vec.length === 0)
      throw new IngestError(
        `${file}: line ${line}, field embedding: ${show(vec)}, expected a non-empty array of numbers`,
      );
    const id = typeof rec.id === 'number' && Number.isFinite(rec.id) ? String(rec.id) : rec.id;
    if (typeof id !== 'string')
      throw new IngestError(`${file}: line ${line}, field id: ${show(rec.id)}, expected a string`);
    return { id, vec: vec as unknown[] };
  };
  let dim = 0;
  for await (const { line, text } of readLines(path)) {
    if (!text.trim()) continue;
    dim = parse(text, line).vec.length;
    break;
  }
  if (!dim) throw new IngestError(`${file}: no rows, expected one JSON object per line`);
  return {
    file,
    dim,
    rows: null,
    idsAreIndices: false,
    locate: (ord) => `${file}: line ${ord}`,
    async *batches() {
      const size = Math.max(256, Math.floor((1 << 20) / dim));
      let ids: string[] = [];
      let ords: number[] = [];
      let vectors = new Float32Array(size * dim);
      const flush = (): VectorBatch => {
        const b = {
          n: ids.length,
          ids,
          start: 0,
          ords: Int32Array.from(ords),
          vectors: vectors.subarray(0, ids.length * dim),
        };
        ids = [];
        ords = [];
        vectors = new Float32Array(size * dim);
        return b;
      };
      for await (const { line, text } of readLines(path)) {
        if (!text.trim()) continue;
        const { id, vec } = parse(text, line);
        const where = `${file}: line ${line}`;
        checkId(id, () => `${where}, field id`);
        if (vec.length !== dim)
          throw new IngestError(`${where}, field embedding: ${vec.length} numbers, expected ${dim}`);
        const o = ids.length * dim;
        for (let j = 0; j < dim; j++) {
          const x = vec[j];
          if (typeof x !== 'number' || !Number.isFinite(x))
            throw new IngestError(`${where}, field embedding[${j}]: ${show(x)}, expected a finite number`);
          vectors[o + j] = x;
        }
        ids.push(id);
        ords.push(line);
        if (ids.length === size) yield flush();
      }
      if (ids.length) yield flush();
    },
    async close() {},
  };
}

/**
 * Embeddings from `.npy` (N × D, any numeric dtype, stored as float32) or JSONL
 * (`{"id", "embedding": [...]}`); `.npy` row i has id `idList[i]`, line i of `ids`, or i itself.
 *
 * @example
 * const src = await openVectorSource('emb.npy', { expectRows: 1000 });
 */
export async function openVectorSource(
  path: string,
  { ids, idList, expectRows }: { ids?: string; idList?: string[]; expectRows?: number } = {},
): Promise<VectorSource> {
  const base = path.replace(/\.gz$/, '').toLowerCase();
  if (base.endsWith('.npy')) return openNpyVectors(path, ids, idList, idList?.length ?? expectRows);
  if (base.endsWith('.jsonl') || base.endsWith('.ndjson')) return openJsonlVectors(path);
  throw new IngestError(`${fileLabel(path)}: unknown embeddings format, expected .npy or .jsonl`);
}
