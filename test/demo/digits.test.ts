import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDigitsDemo } from '../../src/demo/digits-demo.ts';
import { DIGITS_FILES, digitPixels, readDigits } from '../../src/demo/digits.ts';
import { readNpy } from '../../src/ingest/npy.ts';

describe('bundled digits', () => {
  it('reads 1797 images of 64 grey levels and their labels', () => {
    const data = readDigits();
    expect(data.count).toBe(1797);
    // First line of digits.csv.gz.
    expect(Array.from(digitPixels(data, 0)).slice(0, 16)).toEqual([
      0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0,
    ]);
    expect(Array.from(data.labels.slice(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...data.pixels)).toBe(16);
  });

  it('names the file, line and field of a bad row', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-digits-'));
    const good = Array.from({ length: 64 }, () => '0').join(',');
    const path = join(dir, 'bad.csv');
    writeFileSync(path, `${good},1\n${good.replace(/^0/, '17')},2\n`);
    expect(() => readDigits(path)).toThrow(`${path}:2: pixel 0 must be an integer 0–16, found '17'`);
    writeFileSync(path, `${good},1\n0,1\n`);
    expect(() => readDigits(path)).toThrow(`${path}:2: expected 65 comma-separated values, found 2`);
    writeFileSync(path, `${good},x\n`);
    expect(() => readDigits(path)).toThrow(`${path}:1: label must be an integer 0–9, found 'x'`);
  });

  it('bundles float32 probabilities and embeddings in the row order of the CSV', () => {
    const probs = readNpy(DIGITS_FILES.probs, { ndim: 2 });
    expect([probs.header.descr, ...probs.header.shape]).toEqual(['<f4', 1797, 10]);
    const { labels } = readDigits();
    let correct = 0;
    for (let i = 0; i < 1797; i++) {
      const row = Array.from(probs.data.subarray(i * 10, i * 10 + 10) as Float32Array);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
    }
    // The published out-of-fold accuracy of the logistic regression (data/README.md): 0.971.
    expect(correct).toBe(1745);
    const emb = readNpy(DIGITS_FILES.embeddings, { ndim: 2 });
    expect([emb.header.descr, ...emb.header.shape]).toEqual(['<f4', 1797, 16]);
  });

  it('builds the JSONL rows: pool unlabeled, flips recorded in metadata, probs exact as float32', () => {
    const { rows, plan, data } = buildDigitsDemo({ seed: 20240611 });
    expect(rows).toHaveLength(1797);
    expect(rows.filter((r) => r.label === null)).toHaveLength(449);
    const flagged = rows.filter((r) => r.metadata?.flipped);
    expect(flagged.map((r) => Number(r.id))).toEqual(plan.flipped);
    for (const r of flagged) expect(r.metadata?.trueLabel).toBe(data.labels[Number(r.id)]);
    const probs = readNpy(DIGITS_FILES.probs).data as Float32Array;
    rows.forEach((r, i) => {
      expect(r.probs.map(Math.fround)).toEqual(Array.from(probs.subarray(i * 10, i * 10 + 10)));
    });
  });
});
