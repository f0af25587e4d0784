/**
 * COCO evaluation speed: `evaluateCoco` on 5,000 synthetic images (~9 ground truths, ~20
 * detections each; target ≤ 4 s), against the literal cocoeval.py transcription as baseline,
 * both measured on the same 500 images, whose 12 summary numbers must be identical.
 *
 *   npx tsx test/bench/coco.ts
 */
import { fileURLToPath } from 'node:url';
import { evaluateCoco } from '../../src/metrics/coco-eval.ts';
import { syntheticDetections } from '../../src/metrics/detection-synthetic.ts';
import { referenceCocoEval } from '../metrics/coco-reference.ts';

const TARGET_SECONDS = 4;

function seconds<T>(fn: () => T): { value: T; s: number } {
  const started = performance.now();
  const value = fn();
  return { value, s: (performance.now() - started) / 1000 };
}

export async function main(): Promise<void> {
  const small = syntheticDetections({ seed: 2024, images: 500 });
  const big = syntheticDetections({ seed: 2024, images: 5000 });
  console.log(
    `data: 5000 images, ${big.gts.length} ground truths, ${big.dets.length} detections, ${big.labels.length} classes`,
  );

  evaluateCoco(small); // warm-up, so the timings below are of optimised code
  const fast500 = seconds(() => evaluateCoco(small));
  const ref500 = seconds(() => referenceCocoEval(small.imageIds, small.labels, small.gts, small.dets));
  const fastStats = Object.values(fast500.value.summary);
  const same = fastStats.every((v, i) => v === ref500.value.stats[i]);
  if (!same)
    throw new Error(`evaluateCoco and the reference disagree: ${fastStats} vs ${ref500.value.stats}`);
  console.log(
    `500 images   reference (baseline) ${ref500.s.toFixed(3)} s   evaluateCoco ${fast500.s.toFixed(3)} s`,
  );
  console.log(
    `             speed-up ×${(ref500.s / fast500.s).toFixed(1)}, 12 summary numbers identical: ${same}`,
  );

  const runs = [1, 2, 3].map(() => seconds(() => evaluateCoco(big)).s);
  const best = Math.min(...runs);
  console.log(
    `5000 images  evaluateCoco best of 3 ${best.toFixed(3)} s (runs ${runs.map((s) => s.toFixed(3)).join(', ')}); ` +
      `reference extrapolated ×10 ≈ ${(ref500.s * 10).toFixed(1)} s`,
  );
  console.log(`target ≤ ${TARGET_SECONDS} s: ${best <= TARGET_SECONDS ? 'met' : 'MISSED'}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
