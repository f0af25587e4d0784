import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deps } from '../../src/deps.ts';
import { ingestClassification, ingestEmbeddings } from '../../src/ingest/index.ts';
import { encodeNpy } from '../../src/ingest/npy.ts';
import { createRandom } from '../../src/random.ts';

/**
 * A classification run whose rows are all unlabeled (a pool to choose a labeling batch from), with
 * seeded probabilities and `dim`-d embeddings in one cluster per class, imported through the real
 * `.npy` ingest and analysed.
 *
 * @example
 * await seedUnlabeledPool(deps, { name: 'pool', rows: 20_000, dim: 64 });
 */
export async function seedUnlabeledPool(
  deps: Deps,
  {
    name,
    rows,
    dim,
    classes = 10,
    seed = 7,
  }: { name: string; rows: number; dim: number; classes?: number; seed?: number },
): Promise<void> {
  const random = createRandom(seed);
  const centres = Array.from({ length: classes }, () =>
    Float32Array.from({ length: dim }, () => random() - 0.5),
  );
  const labels = new Int32Array(rows).fill(-1);
  const probs = new Float32Array(rows * classes);
  const vectors = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const c = random.int(classes);
    let total = 0;
    for (let k = 0; k < classes; k++) {
      const p = (k === c ? 1 + 4 * random() : 0) + random();
      probs[r * classes + k] = p;
      total += p;
    }
    for (let k = 0; k < classes; k++) probs[r * classes + k] /= total;
    for (let d = 0; d < dim; d++) vectors[r * dim + d] = centres[c][d] + 0.3 * (random() - 0.5);
  }
  const dir = mkdtempSync(join(tmpdir(), 'loupe-pool-'));
  try {
    const file = (n: string, bytes: Buffer) => {
      writeFileSync(join(dir, n), bytes);
      return join(dir, n);
    };
    // Analysed before the embeddings arrive: the uncertainty scores are what the pool needs, and
    // the neighbourhood pass over an all-unlabeled run would only cost time.
    await ingestClassification(deps, {
      run: name,
      labels: file('labels.npy', encodeNpy(labels, [rows])),
      probs: file('probs.npy', encodeNpy(probs, [rows, classes])),
    });
    await ingestEmbeddings(deps, {
      run: name,
      path: file('embeddings.npy', encodeNpy(vectors, [rows, dim])),
      analyze: false,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
