import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { type ClassBatch, type ClassSource, type RowExtras, batchRows } from './classification-batch.ts';
import { requireInputFile } from './input-file.ts';
import { IngestError, fileLabel, show } from './errors.ts';
import { readLines } from './lines.ts';
import { checkId, checkProbRows, parseLabel } from './validate.ts';

interface RawRow {
  line: number;
  id: string;
  label: unknown;
  probs: ArrayLike<unknown>;
  extras: RowExtras | null;
}

/** Collects rows into columnar batches and validates them. */
class BatchBuilder {
  private size: number;
  private rows: RawRow[] = [];
  constructor(
    private readonly file: string,
    private readonly k: number,
    private readonly classNames: string[] | null,
  ) {
    this.size = batchRows(k);
  }
  push(r: RawRow): ClassBatch | null {
    this.rows.push(r);
    return this.rows.length >= this.size ? this.flush() : null;
  }
  flush(): ClassBatch | null {
    const rows = this.rows;
    if (!rows.length) return null;
    this.rows = [];
    const { k, file } = this;
    const n = rows.length;
    const probs = new Float64Array(n * k);
    const labels = new Int32Array(n);
    const ords = new Int32Array(n);
    const ids: string[] = [];
    let anyExtras = false;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const where = () => `${file}: line ${r.line}`;
      ords[i] = r.line;
      ids.push(checkId(r.id, () => `${where()}, field id`));
      labels[i] = parseLabel(r.label, this.classNames, k, () => `${where()}, field label`);
      if (r.probs.length !== k)
        throw new IngestError(`${where()}: ${r.probs.length} probabilities, expected ${k}`);
      for (let j = 0; j < k; j++) {
        const v = r.probs[j];
        const x =
          typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
        if (Number.isNaN(x) && !(typeof v === 'string' && v.trim().toLowerCase() === 'nan'))
          throw new IngestError(`${where()}, field p_${j}: ${show(v)}, expected a number in [0, 1]`);
        probs[i * k + j] = x;
      }
      if (r.extras) anyExtras = true;
    }
    const pred = new Int32Array(n);
    const score = new Float64Array(n);
    checkProbRows(probs, n, k, (i) => `${file}: line ${rows[i].line}`, pred, score);
    return {
      n,
      ids,
      start: 0,
      ords,
      labels,
      probs,
      pred,
      score,
      extras: anyExtras ? rows.map((r) => r.extras) : null,
    };
  }
}

function intField(v: unknown, where: () => string, field: string): number | null {
  if (v === null || v === undefined || v === '') return null;
  const x = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(x) || x < 0)
    throw new IngestError(`${where()}, field ${field}: ${show(v)}, expected a non-negative integer`);
  return x;
}

function textStream(path: string) {
  requireInputFile(path);
  const raw = createReadStream(path);
  return path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
}

async function openCsv(path: string, classNames: string[] | null): Promise<ClassSource> {
  const file = fileLabel(path);
  // Read the header first (a second parser then streams the body).
  const headerParser = textStream(path).pipe(parse({ to_line: 1 }));
  let header: string[] | undefined;
  for await (const rec of headerParser) header ??= rec as string[];
  if (!header) throw new IngestError(`${file}: empty file, expected a header line id,label,p_0,…`);
  const col = (name: string) => header!.indexOf(name);
  const idCol = col('id');
  const labelCol = col('label');
  if (idCol < 0 || labelCol < 0)
    throw new IngestError(
      `${file}: line 1: header ${show(header.join(','))}, expected columns id,label,p_0..p_{k-1}`,
    );
  const probCols: number[] = [];
  while (col(`p_${probCols.length}`) >= 0) probCols.push(col(`p_${probCols.length}`));
  const k = probCols.length;
  if (k === 0) throw new IngestError(`${file}: line 1: no probability columns, expected p_0..p_{k-1}`);
  const stray = header.find((h) => /^p_\d+$/.test(h) && Number(h.slice(2)) >= k);
  if (stray)
    throw new IngestError(`${file}: line 1: column ${stray} without p_${k}, expected p_0..p_{k-1} in a row`);
  if (classNames && classNames.length !== k)
    throw new IngestError(
      `class names: ${classNames.length} names given, expected ${k} (the p_ columns of ${file})`,
    );
  const urlCol = col('image_url');
  const imageCol = col('image');
  const textCol = col('text');
  const widthCol = col('width');
  const heightCol = col('height');
  const known = new Set([idCol, labelCol, urlCol, imageCol, textCol, widthCol, heightCol, ...probCols]);
  const metaCols = header.map((_, i) => i).filter((i) => !known.has(i));
  return {
    k,
    classNames: classNames ?? Array.from({ length: k }, (_, i) => String(i)),
    idsAreIndices: false,
    rereadable: false,
    rows: null,
    locate: (ord) => `${file}: line ${ord}`,
    locateLabel: (ord) => `${file}: line ${ord}`,
    async *batches() {
      const builder = new BatchBuilder(file, k, classNames);
      const parser = textStream(path).pipe(parse({ from_line: 2, info: true, skip_empty_lines: true }));
      try {
        for await (const { record, info } of parser as AsyncIterable<{
          record: string[];
          info: { lines: number };
        }>) {
          const line = info.lines;
          const where = () => `${file}: line ${line}`;
          if (record.length !== header!.length)
            throw new IngestError(
              `${where()}: ${record.length} fields, expected ${header!.length} as in the header`,
            );
          const hasExtras =
            urlCol >= 0 ||
            imageCol >= 0 ||
            textCol >= 0 ||
            widthCol >= 0 ||
            heightCol >= 0 ||
            metaCols.length > 0;
          const extras: RowExtras | null = hasExtras
            ? {
                imageUrl: urlCol >= 0 && record[urlCol] !== '' ? record[urlCol] : null,
                image: imageCol >= 0 && record[imageCol] !== '' ? record[imageCol] : null,
                text: textCol >= 0 ? record[textCol] : null,
                width: widthCol >= 0 ? intField(record[widthCol], where, 'width') : null,
                height: heightCol >= 0 ? intField(record[heightCol], where, 'height') : null,
                metadata: metaCols.length
                  ? Object.fromEntries(metaCols.map((i) => [header![i], record[i]]))
                  : null,
              }
            : null;
          const batch = builder.push({
            line,
            id: record[idCol],
            label: record[labelCol],
            probs: probCols.map((c) => record[c]),
            extras,
          });
          if (batch) yield batch;
        }
      } catch (err) {
        if (err instanceof IngestError) throw err;
        throw new IngestError(`${file}: ${(err as Error).message}`);
      }
      const last = builder.flush();
      if (last) yield last;
    },
    async close() {},
  };
}

async function openJsonl(path: string, classNames: string[] | null): Promise<ClassSource> {
  const file = fileLabel(path);
  const parseLine = (text: string, line: number): Record<string, unknown> => {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      throw new IngestError(`${file}: line ${line}: not valid JSON (${(err as Error).message})`);
    }
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw new IngestError(`${file}: line ${line}: ${show(v)}, expected an object {"id", "label", "probs"}`);
    return v as Record<string, unknown>;
  };
  // The first row fixes the number of classes.
  let k = 0;
  for await (const { line, text } of readLines(path)) {
    if (!text.trim()) continue;
    const probs = parseLine(text, line).probs;
    if (!Array.isArray(probs) || probs.length === 0)
      throw new IngestError(
        `${file}: line ${line}, field probs: ${show(probs)}, expected an array of probabilities`,
      );
    k = probs.length;
    break;
  }
  if (k === 0) throw new IngestError(`${file}: no rows, expected one JSON object per line`);
  if (classNames && classNames.length !== k)
    throw new IngestError(
      `class names: ${classNames.length} names given, expected ${k} (the probs of ${file})`,
    );
  return {
    k,
    classNames: classNames ?? Array.from({ length: k }, (_, i) => String(i)),
    idsAreIndices: false,
    rereadable: false,
    rows: null,
    locate: (ord) => `${file}: line ${ord}`,
    locateLabel: (ord) => `${file}: line ${ord}`,
    async *batches() {
      const builder = new BatchBuilder(file, k, classNames);
      for await (const { line, text } of readLines(path)) {
        if (!text.trim()) continue;
        const o = parseLine(text, line);
        const where = () => `${file}: line ${line}`;
        const id = typeof o.id === 'number' && Number.isFinite(o.id) ? String(o.id) : o.id;
        if (typeof id !== 'string')
          throw new IngestError(`${where()}, field id: ${show(o.id)}, expected a string`);
        if (!Array.isArray(o.probs))
          throw new IngestError(
            `${where()}, field probs: ${show(o.probs)}, expected an array of ${k} numbers`,
          );
        for (const field of ['image_url', 'image', 'text'] as const)
          if (o[field] !== undefined && o[field] !== null && typeof o[field] !== 'string')
            throw new IngestError(`${where()}, field ${field}: ${show(o[field])}, expected a string`);
        if (
          o.metadata !== undefined &&
          o.metadata !== null &&
          (typeof o.metadata !== 'object' || Array.isArray(o.metadata))
        )
          throw new IngestError(`${where()}, field metadata: ${show(o.metadata)}, expected an object`);
        if (typeof o.label === 'boolean' || (typeof o.label === 'object' && o.label !== null))
          throw new IngestError(
            `${where()}, field label: ${show(o.label)}, expected an integer, a class name or null`,
          );
        const hasExtras =
          o.image_url != null ||
          o.image != null ||
          o.text != null ||
          o.width != null ||
          o.height != null ||
          o.metadata != null;
        const batch = builder.push({
          line,
          id,
          label: o.label,
          probs: o.probs,
          extras: hasExtras
            ? {
                imageUrl: (o.image_url as string | undefined) ?? null,
                image: (o.image as string | undefined) ?? null,
                text: (o.text as string | undefined) ?? null,
                width: intField(o.width, where, 'width'),
                height: intField(o.height, where, 'height'),
                metadata: (o.metadata as Record<string, unknown> | undefined) ?? null,
              }
            : null,
        });
        if (batch) yield batch;
      }
      const last = builder.flush();
      if (last) yield last;
    },
    async close() {},
  };
}

/**
 * Classification rows from one table: CSV (`id,label,p_0..p_{k-1}[,image,text,image_url,width,height]`,
 * other columns kept as metadata) or JSONL (`{"id","label","probs",…}`), optionally gzipped.
 *
 * @example
 * const src = await openTableSource({ table: 'preds.csv' });
 */
export async function openTableSource({
  table,
  classNames,
}: {
  table: string;
  classNames?: string[];
}): Promise<ClassSource> {
  const base = table.replace(/\.gz$/, '').toLowerCase();
  if (base.endsWith('.csv')) return openCsv(table, classNames ?? null);
  if (base.endsWith('.jsonl') || base.endsWith('.ndjson')) return openJsonl(table, classNames ?? null);
  throw new IngestError(`${fileLabel(table)}: unknown table format, expected a .csv or .jsonl file`);
}
