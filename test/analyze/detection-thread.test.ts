import { expect, it } from 'vitest';
import { computeDetectionAnalysis } from '../../src/analyze/detection-compute.ts';
import { detectionAnalysisInThread } from '../../src/analyze/detection-thread.ts';
import { syntheticDetections } from '../../src/metrics/detection-synthetic.ts';
import type { DetectionInputs } from '../../src/store/analysis.ts';

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

/** Chunks as plain bytes: a thread's come back as Uint8Arrays, this thread's are Buffers. */
const comparable = (a: ReturnType<typeof computeDetectionAnalysis>) => ({
  ...a,
  objects: { ...a.objects, chunks: a.objects.chunks.map((c) => [...c]) },
});

it('the analysis made in a worker thread equals the one made here', async () => {
  const { inputs, classNames } = inputsOf(60);
  const here = computeDetectionAnalysis(inputs, classNames);
  expect(here.rowLines.length).toBe(60);
  expect(here.objects.objects).toBeGreaterThan(0);
  const thread = detectionAnalysisInThread(inputs, classNames, { minBoxes: 0 });
  try {
    const there = await thread!.result;
    expect(there).not.toBeNull();
    expect(comparable(there!)).toEqual(comparable(here));
  } finally {
    await thread?.close();
  }
});

it('a small import is analysed on its own thread', () => {
  const { inputs, classNames } = inputsOf(20);
  expect(detectionAnalysisInThread(inputs, classNames)).toBeNull();
});
