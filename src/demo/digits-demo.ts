import { readNpy } from '../ingest/npy.ts';
import { DIGITS_FILES, DIGIT_CLASS_NAMES, type DigitsData, readDigits } from './digits.ts';
import { type LabelNoisePlan, planLabelNoise } from './label-noise.ts';
import { DIGITS_DEMO } from './settings.ts';

export interface DigitsDemoRow {
  id: string;
  /** Class index as given (possibly flipped), or null for the unlabeled pool. */
  label: number | null;
  probs: number[];
  metadata: { trueLabel: number; flipped: true } | null;
}

export interface DigitsDemo {
  data: DigitsData;
  plan: LabelNoisePlan;
  rows: DigitsDemoRow[];
}

/** The shortest decimal that reads back as the same float32, so the JSONL stays small and exact. */
function float32Text(v: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(v.toPrecision(digits));
    if (Math.fround(candidate) === v) return candidate;
  }
  return Number(v.toPrecision(9));
}

/**
 * The digits demo as rows of the JSONL table users hold: the bundled images and out-of-fold
 * probabilities, with labels flipped and held out per the seeded plan.
 *
 * @example
 * const { rows, plan } = buildDigitsDemo({ seed: DEMO_SEED });
 */
export function buildDigitsDemo({
  seed,
  flipRate = DIGITS_DEMO.flipRate,
  holdoutRate = DIGITS_DEMO.holdoutRate,
  files = DIGITS_FILES,
}: {
  seed: number;
  flipRate?: number;
  holdoutRate?: number;
  files?: { csv: string; probs: string };
}): DigitsDemo {
  const data = readDigits(files.csv);
  const { header, data: probs } = readNpy(files.probs, { ndim: 2 });
  const [rowsIn, k] = header.shape;
  if (rowsIn !== data.count || k !== DIGIT_CLASS_NAMES.length || !(probs instanceof Float32Array))
    throw new Error(
      `${files.probs}: expected float32 of shape (${data.count}, ${DIGIT_CLASS_NAMES.length}) to match ${files.csv}, found ${header.descr} (${header.shape.join(', ')})`,
    );
  const plan = planLabelNoise(data.labels, {
    seed,
    numClasses: DIGIT_CLASS_NAMES.length,
    flipRate,
    holdoutRate,
  });
  const flipped = new Set(plan.flipped);
  const rows = Array.from({ length: data.count }, (_, i) => ({
    id: String(i),
    label: plan.given[i],
    probs: Array.from(probs.subarray(i * k, (i + 1) * k), float32Text),
    metadata: flipped.has(i) ? { trueLabel: data.labels[i], flipped: true as const } : null,
  }));
  return { data, plan, rows };
}
