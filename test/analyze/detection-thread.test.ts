import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { cocoAnalysis, detectionAnalysis } from '../../src/analyze/detection-compute.ts';
import { detectionColumns, detectionInputsOf } from '../../src/analyze/detection-columns.ts';
import { cocoAnalysisThread } from '../../src/analyze/detection-thread.ts';
import { syntheticDetections } from '../../src/metrics/detection-synthetic.ts';
import type { DetectionInputs } from '../../src/store/analysis.ts';
import type { PackedObjectOutcomes } from '../../src/store/object-pack.ts';

/** A file of a few kilobytes, to stand for a small import's files. */
const thisFile = fileURLToPath(import.meta.url);

/** A synthetic run as an import hands it over: row ids 1.., the last tenth of the images unlabeled. */
function inputsOf(images: number): { inputs: DetectionInputs; classNames: string[] } {
  const data = syntheticDetections({ seed: 7, images });
  const pool = new Set(data.imageIds.slice(Math.floor(images * 0.9)));
  const zeroBased = <T extends { label: number }>(b: T) => ({ ...b, label: b.label - 1 });
  return {
    inputs: {
      labeledRows: data.imageIds.filter((id) => !pool.has(id)),
      poolRows: [...pool],
      gts: data.gts.filter((g) => !pool.has(g.imageId)).map(zeroBased),
      dets: data.dets.filter((d) => !pool.has(d.imageId)).map(zeroBased),
      poolDets: data.dets.filter((d) => pool.has(d.imageId)).map(zeroBased),
      externalIds: new Map(data.imageIds.map((id) => [id, String(id)])),
    },
    classNames: data.labels.map((l) => `class${l}`),
  };
}

/** Packed objects with their chunks as plain bytes: a thread's come back as Uint8Arrays, this thread's are Buffers. */
const bytes = (o: PackedObjectOutcomes) => ({ ...o, chunks: o.chunks.map((c) => [...c]) });

it('the COCOeval part made in a worker thread equals the one made here, and so does the analysis', async () => {
  const { inputs, classNames } = inputsOf(60);
  const here = cocoAnalysis(inputs, classNames);
  expect(here.objects.objects).toBeGreaterThan(0);
  const thread = cocoAnalysisThread([thisFile], { minBytes: 0 });
  try {
    const there = await thread!.analyze(inputs, classNames);
    expect(there).not.toBeNull();
    expect({ ...there!, objects: bytes(there!.objects) }).toEqual({ ...here, objects: bytes(here.objects) });
    const whole = await detectionAnalysis(inputs, classNames);
    expect(whole.rowLines.length).toBe(60);
    const handed = await detectionAnalysis(inputs, classNames, { coco: Promise.resolve(there) });
    expect({ ...handed, objects: bytes(handed.objects) }).toEqual({
      ...whole,
      objects: bytes(whole.objects),
    });
  } finally {
    await thread?.close();
  }
});

it('a small import is analysed on its own thread, and so is one whose files are missing', () => {
  expect(cocoAnalysisThread([thisFile])).toBeNull();
  expect(cocoAnalysisThread([`${thisFile}.missing`], { minBytes: 0 })).toBeNull();
});

it('the inputs cross to the thread as columns and come back equal, pool rows and crowds included', () => {
  const { inputs } = inputsOf(60);
  expect(inputs.poolDets.length).toBeGreaterThan(0);
  expect(inputs.gts.some((g) => g.iscrowd)).toBe(true);
  const { columns, transfer } = detectionColumns(inputs);
  expect(transfer.reduce((n, b) => n + b.byteLength, 0)).toBe(
    8 * (60 + inputs.gts.length * 9 + (inputs.dets.length + inputs.poolDets.length) * 8 + 60),
  );
  expect(detectionInputsOf(columns)).toEqual(inputs);
});
