// UMAP projection benchmark: the pipeline computeProjection runs (usearch kNN in the vector
// worker, umap-js fit and transform in the UMAP worker), without the database.
//   npx tsx test/bench/umap.ts                    # 10k × 512 (+ umap-js's own kNN as baseline), 50k fit, 200k placed
//   npx tsx test/bench/umap.ts --place 1000000    # place a full million
//   npx tsx test/bench/umap.ts --no-baseline --dim 512   # dim of the 50k-fit and placement cases (default 128)
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { UMAP } from 'umap-js';
import { createLogger } from '../../src/deps.ts';
import { createRandom } from '../../src/random.ts';
import type { EmbeddingChunk } from '../../src/store/vectors.ts';
import { workerClient } from '../../src/vectors/rpc.ts';
import { createVectorService } from '../../src/vectors/service.ts';
import { spawnTsWorker } from '../../src/vectors/ts-worker.ts';
import { clusteredData } from './vectors.ts';

const NEIGHBORS = 15;
const EPOCHS = 201;
const since = (t: number) => (performance.now() - t) / 1000;

function* chunksOf(data: Float32Array, dim: number, size: number): Generator<EmbeddingChunk> {
  const n = data.length / dim;
  for (let s = 0; s < n; s += size) {
    const m = Math.min(size, n - s);
    yield {
      rowIds: new Float64Array(m).map((_, i) => s + i),
      vectors: data.slice(s * dim, (s + m) * dim),
      dim,
    };
  }
}

/** Fit on `fit` points (kNN from a usearch index of them), then place `place` more; seconds per stage. */
export async function runCase({
  fit,
  place,
  dim,
  seed = 3,
}: {
  fit: number;
  place: number;
  dim: number;
  seed?: number;
}) {
  console.log(`\n== fit ${fit.toLocaleString('en')} × ${dim}, place ${place.toLocaleString('en')} ==`);
  const data = clusteredData(fit + place, dim, 50, seed);
  const vectors = createVectorService({ dataDir: null, logger: createLogger({ level: 'warn' }), threads: 2 });
  const umap = workerClient(() => spawnTsWorker(new URL('../../src/projection/worker.ts', import.meta.url)));
  try {
    const fitData = data.subarray(0, fit * dim);
    const cpu0 = process.cpuUsage();
    let t = performance.now();
    await vectors.buildFrom(1, chunksOf(fitData, dim, 10_000), { dim, count: fit, quantization: 'f32' });
    const ids = new Float64Array(fit).map((_, i) => i);
    const knn = await vectors.knnFrom(1, ids, chunksOf(fitData, dim, 5000), NEIGHBORS - 1);
    const knnS = since(t);
    t = performance.now();
    await umap.call('fit', {
      vectors: fitData.slice(),
      dim,
      knnIndices: knn.indices,
      knnDistances: knn.distances,
      k: NEIGHBORS - 1,
      nNeighbors: NEIGHBORS,
      nEpochs: EPOCHS,
      seed,
    });
    const fitS = since(t);
    console.log(
      `usearch index + kNN: ${knnS.toFixed(1)} s; UMAP fit: ${fitS.toFixed(1)} s; total ${(knnS + fitS).toFixed(1)} s`,
    );
    let placeS = 0;
    if (place > 0) {
      t = performance.now();
      const batch = 4096; // as computeProjection
      for (let s = 0; s < place; s += batch) {
        const m = Math.min(batch, place - s);
        const start = (fit + s) * dim;
        await umap.call('transform', { vectors: data.slice(start, start + m * dim) });
        if (((s / batch) | 0) % 50 === 0) process.stdout.write(`\r  placed ${(s + m).toLocaleString('en')}`);
      }
      placeS = since(t);
      console.log(
        `\rplace ${place.toLocaleString('en')}: ${placeS.toFixed(1)} s (${Math.round(place / placeS).toLocaleString('en')} points/s` +
          ` → ${((1_000_000 - fit) / (place / placeS) / 60).toFixed(1)} min for the rest of 1M)`,
      );
    }
    const cpu = process.cpuUsage(cpu0);
    // On a loaded shared machine wall time overstates; CPU seconds (all threads) bound the idle-machine time.
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(`CPU: ${cpuS.toFixed(1)} s over all threads; load average ${loadavg()[0].toFixed(1)}`);
    return { fit, place, dim, knnS, fitS, totalFitS: knnS + fitS, placeS, cpuS };
  } finally {
    await umap.close();
    await vectors.close();
  }
}

/** umap-js with its own nearest-neighbour search, same data, same seed: the baseline. */
export function baselineOwnKnn({ n, dim, seed = 3 }: { n: number; dim: number; seed?: number }) {
  const data = clusteredData(n, dim, 50, seed);
  const X = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * dim, (i + 1) * dim)));
  const t = performance.now();
  new UMAP({ nNeighbors: NEIGHBORS, nEpochs: EPOCHS, random: createRandom(seed) }).fit(X);
  const s = since(t);
  console.log(
    `baseline: umap-js fit with its own kNN, ${n.toLocaleString('en')} × ${dim}: ${s.toFixed(1)} s`,
  );
  return s;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export async function main() {
  const place = Number(arg('place') ?? 200_000);
  const small = await runCase({ fit: 10_000, place: 0, dim: 512 });
  if (!process.argv.includes('--no-baseline')) {
    const base = baselineOwnKnn({ n: 10_000, dim: 512 });
    console.log(
      `→ usearch kNN pipeline is ${(base / small.totalFitS).toFixed(2)}× the speed of umap-js alone`,
    );
  }
  const dim = Number(arg('dim') ?? 128);
  const big = await runCase({ fit: 50_000, place: 0, dim });
  const placed = await runCase({ fit: 20_000, place, dim });
  console.log('\nsummary');
  console.table([small, big, placed]);
  return { small, big, placed };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
