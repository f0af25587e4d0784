import { encodeNpy } from '../../src/ingest/npy.ts';
import { createRandom } from '../../src/random.ts';

/**
 * Runs of one 3-class dataset as `.npy` files: `rows` labeled rows, every class predicted right
 * with probability `accuracy[c]` (wrong ones go to the next class). Seeded per run, so two runs
 * that differ in one class differ in that class's rows only by chance.
 */
export function runFiles(
  write: (name: string, data: Uint8Array) => string,
  name: string,
  accuracy: [number, number, number],
  { rows = 600, seed = 1 }: { rows?: number; seed?: number } = {},
) {
  const rand = createRandom(seed);
  const labels = new Int32Array(rows);
  const probs = new Float64Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    labels[i] = c;
    const pred = rand() < accuracy[c] ? c : (c + 1) % 3;
    const top = 0.6 + 0.3 * rand();
    for (let j = 0; j < 3; j++) probs[i * 3 + j] = j === pred ? top : (1 - top) / 2;
  }
  return {
    labels: write(`${name}-labels.npy`, encodeNpy(labels, [rows])),
    probs: write(`${name}-probs.npy`, encodeNpy(probs, [rows, 3])),
  };
}
