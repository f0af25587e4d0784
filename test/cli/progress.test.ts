import { afterAll, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.ts';
import { cliProgressFor } from '../../src/cli/progress.ts';
import { ingestClassification } from '../../src/ingest/index.ts';
import { encodeNpy } from '../../src/ingest/npy.ts';
import type { Progress } from '../../src/progress.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { scratch } from '../ingest/fixtures.ts';

const files = scratch();
afterAll(files.cleanup);

function lines() {
  const err: string[] = [];
  const out: string[] = [];
  const io: CliIo = {
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
    fail: () => {},
    progress: 'lines',
  };
  return { io, err, out };
}

it('prints nothing for work that ends within the quiet time', () => {
  const { io, err, out } = lines();
  const t = 0;
  const p = cliProgressFor(io, { quietMs: 1000, now: () => t });
  p.step('reading rows', 100);
  for (let i = 10; i <= 100; i += 10) p.update(i);
  p.stop();
  expect(err).toEqual([]);
  expect(out).toEqual([]);
});

it('prints plain lines on stderr, one per tenth, when stderr is not a terminal; never on stdout', () => {
  const { io, err, out } = lines();
  let t = 0;
  const p = cliProgressFor(io, { quietMs: 1000, lineEveryMs: 60_000, now: () => t });
  t = 2000;
  p.step('reading rows', 200);
  for (let i = 5; i <= 200; i += 5) p.update(i);
  p.step('importing on the server');
  p.stop();
  expect(out).toEqual([]);
  expect(err[0]).toBe('loupe: reading rows 0% (0/200)\n');
  expect(err.filter((l) => l.startsWith('loupe: reading rows'))).toHaveLength(11);
  expect(err.at(-2)).toBe('loupe: reading rows 100% (200/200)\n');
  expect(err.at(-1)).toBe('loupe: importing on the server…\n');
});

it('shows a step still running at the end of the quiet time once, and a step begun after it once', async () => {
  const { io, err } = lines();
  const wait = () => new Promise((r) => setTimeout(r, 300));
  const p = cliProgressFor(io, { quietMs: 250, lineEveryMs: 60_000 });
  p.step('importing on the server');
  expect(err).toEqual([]);
  await wait();
  expect(err).toEqual(['loupe: importing on the server…\n']);
  p.step('analysis', 100);
  p.update(0);
  await wait();
  p.stop();
  expect(err).toEqual(['loupe: importing on the server…\n', 'loupe: analysis 0% (0/100)\n']);
});

describeEachDriver('ingest progress', (ctx) => {
  it('reports every pass over the rows of a classification import', async () => {
    const n = 3000;
    const probs = new Float32Array(n * 2).map((_, i) => (i % 2 ? 0.25 : 0.75));
    const labels = new Int32Array(n).map((_, i) => (i % 3 === 0 ? -1 : i % 2));
    const seen: string[] = [];
    const progress: Progress = {
      step: (name, total) => seen.push(`${name}/${total}`),
      update: (done) => seen.push(String(done)),
    };
    await ingestClassification(testDeps(ctx().database), {
      run: 'progress-run',
      probs: files.write('p.npy', encodeNpy(probs, [n, 2])),
      labels: files.write('l.npy', encodeNpy(labels, [n])),
      analyze: false,
      progress,
    });
    const steps = seen.filter((s) => s.includes('/'));
    expect(steps[0]).toBe('reading rows/3000');
    expect(steps.length).toBeGreaterThan(1);
    expect(steps.slice(1).every((s) => /^writing rows \(pass \d\)\/3000$/.test(s))).toBe(true);
    // Each pass counts up to every row.
    for (let i = 0; i < seen.length; i++)
      if (seen[i].includes('/') && i > 0) expect(seen[i - 1]).toBe(String(n));
    expect(seen.at(-1)).toBe(String(n));
  });
});

describeEachDriver('analysis progress', (ctx) => {
  it('reports each analysis job the ingest runs, from 0 to 100', async () => {
    const n = 60;
    const probs = new Float32Array(n * 2).map((_, i) => (i % 2 ? 0.3 : 0.7));
    const labels = new Int32Array(n).map((_, i) => i % 2);
    const vectors = new Float32Array(n * 4).map((_, i) => ((i * 7919) % 13) / 13);
    const seen: string[] = [];
    const progress: Progress = {
      step: (name) => seen.push(`step ${name}`),
      update: (done) => seen.push(String(done)),
    };
    await ingestClassification(testDeps(ctx().database), {
      run: 'analysis-progress',
      probs: files.write('ap.npy', encodeNpy(probs, [n, 2])),
      labels: files.write('al.npy', encodeNpy(labels, [n])),
      embeddings: files.write('ae.npy', encodeNpy(vectors, [n, 4])),
      progress,
    });
    const analysis = seen.slice(seen.indexOf('step vector index'));
    expect(analysis.filter((s) => s.startsWith('step'))).toEqual(['step vector index', 'step analysis']);
    expect(analysis[1]).toBe('0');
    expect(analysis.at(-1)).toBe('100');
    const steps = analysis.map((s, i) => (s.startsWith('step') ? i : -1)).filter((i) => i >= 0);
    // The index job reports its end before the analysis starts.
    expect(analysis[steps[1] - 1]).toBe('100');
  });
});
