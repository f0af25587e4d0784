// Vector index benchmark: build time, event-loop lag and another run's search wait while building,
// single-query latency through the worker, recall@10 and speed against usearch's exact search, kNN
// self-queries per second.
// Synthetic clustered data from a seeded generator.
//   npx tsx test/bench/vectors.ts                 # 1M × 128 bf16 (a large run's index), then 100k × 512 f32
//   npx tsx test/bench/vectors.ts --n 100000 --dim 128 --quantization f16
import { pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MetricKind, exactSearch } from 'usearch';
import { createLogger } from '../../src/deps.ts';
import { createRandom } from '../../src/random.ts';
import type { EmbeddingChunk } from '../../src/store/vectors.ts';
import { type Quantization, createVectorService } from '../../src/vectors/service.ts';

export interface VectorBenchCase {
  n: number;
  dim: number;
  quantization: Quantization;
  clusters?: number;
  queries?: number;
  knnQueries?: number;
  seed?: number;
}

/** n points around `clusters` random centres (Gaussian noise, Box–Muller), flat. */
export function clusteredData(n: number, dim: number, clusters: number, seed: number): Float32Array {
  const random = createRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = new Float32Array(clusters * dim).map(() => random() * 2 - 1);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(random() * clusters) * dim;
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c + j] + 0.15 * gauss();
  }
  return out;
}

function* chunksOf(data: Float32Array, dim: number, size: number, firstKey = 1): Generator<EmbeddingChunk> {
  const n = data.length / dim;
  for (let s = 0; s < n; s += size) {
    const m = Math.min(size, n - s);
    const rowIds = new Float64Array(m);
    for (let i = 0; i < m; i++) rowIds[i] = firstKey + s + i;
    // A copy: the chunk's buffer is transferred to the worker.
    yield { rowIds, vectors: data.slice(s * dim, (s + m) * dim), dim };
  }
}

/** The service's find-similar breadth (createVectorService's `searchBreadth` default). */
const DEFAULT_BREADTH = 512;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (x: number, d = 2) => x.toFixed(d);

export async function runCase({
  n,
  dim,
  quantization,
  clusters = 1000,
  queries = 1000,
  knnQueries = 50_000,
  seed = 1,
}: VectorBenchCase) {
  const label = `${n.toLocaleString('en')} × ${dim} ${quantization}`;
  console.log(`\n== ${label} (connectivity 16, 2 threads) ==`);
  let t = performance.now();
  // Queries are fresh points from the same clusters, not in the index.
  const all = clusteredData(n + queries, dim, clusters, seed);
  const data = all.subarray(0, n * dim);
  const q = all.slice(n * dim);
  console.log(`data generated in ${fmt((performance.now() - t) / 1000, 1)} s`);

  const service = createVectorService({ dataDir: null, logger: createLogger({ level: 'warn' }), threads: 2 });
  try {
    // Event-loop lag on this (main) thread while the worker builds.
    const idle = monitorEventLoopDelay({ resolution: 10 });
    idle.enable();
    await new Promise((r) => setTimeout(r, 1000));
    idle.disable();
    await service.buildFrom(2, chunksOf(data.subarray(0, 1000 * dim), dim, 1000), {
      dim,
      count: 1000,
      quantization: 'f32',
    });
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    t = performance.now();
    const cpu0 = process.cpuUsage();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    // Another run's find-similar while this index builds: every call to the worker blocks it, so a
    // search waits for the build's call under way (an order step, an insert batch).
    const waits: number[] = [];
    let building = true;
    const searching = (async () => {
      while (building) {
        const s = performance.now();
        await service.search(2, q.slice(0, dim), 10);
        waits.push(performance.now() - s);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await service.buildFrom(1, chunksOf(data, dim, 10_000), { dim, count: n, quantization });
    building = false;
    await searching;
    const buildS = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // CPU seconds of this process (worker threads included): on a shared, loaded machine, cpu/2 is
    // what the build would take on 2 idle cores.
    const buildCpuS = (cpu.user + cpu.system) / 1e6;
    clearInterval(ticker);
    lag.disable();
    console.log(
      `build: ${fmt(buildS, 1)} s wall (${Math.round(n / buildS).toLocaleString('en')} adds/s), ${fmt(buildCpuS, 1)} CPU-s ` +
        `(≈ ${fmt(buildCpuS / 2, 1)} s on 2 idle cores); load average ${loadavg()[0].toFixed(1)}`,
    );
    console.log(
      `event-loop lag during build: p50 ${fmt(lag.percentile(50) / 1e6)} ms, p99 ${fmt(lag.percentile(99) / 1e6)} ms, max ${fmt(lag.max / 1e6)} ms ` +
        `(idle baseline p99 ${fmt(idle.percentile(99) / 1e6)} ms; ${ticks} 10-ms timer ticks fired)`,
    );

    waits.sort((a, b) => a - b);
    const waitAt = (p: number) => waits[Math.min(waits.length - 1, Math.floor(p * waits.length))];
    console.log(
      `another run's search during the build: p50 ${fmt(waitAt(0.5))} ms, p99 ${fmt(waitAt(0.99))} ms, max ${fmt(waits[waits.length - 1])} ms (${waits.length} searches)`,
    );

    // Single-query latency, as find-similar issues it: one message round trip per query.
    const lat: number[] = [];
    for (let i = 0; i < queries; i++) {
      const s = performance.now();
      await service.search(1, q.slice(i * dim, (i + 1) * dim), 50);
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    console.log(
      `single query k=50 via worker (breadth ${DEFAULT_BREADTH}): p50 ${fmt(pct(lat, 50))} ms, p99 ${fmt(pct(lat, 99))} ms`,
    );

    // Batch: HNSW vs exact, same queries, same 2 threads; recall at several search breadths, the
    // product's default (find-similar) last.
    t = performance.now();
    const exact = exactSearch(data, q, dim, 10, MetricKind.Cos, 2) as unknown as {
      keys: BigUint64Array;
      counts: BigUint64Array;
    };
    const exactS = (performance.now() - t) / 1000;
    const truth = Array.from({ length: queries }, (_, i) => {
      const set = new Set<number>();
      for (let j = 0; j < 10; j++) set.add(Number(exact.keys[i * 10 + j]) + 1); // exact keys are positions
      return set;
    });
    let recall = 0;
    let annS = 0;
    for (const breadth of [64, 128, 256, undefined]) {
      t = performance.now();
      const approx = await service.search(1, q.slice(), 10, breadth === undefined ? {} : { breadth });
      annS = (performance.now() - t) / 1000;
      let hit = 0;
      for (let i = 0; i < queries; i++)
        for (let j = 0; j < 10; j++) if (truth[i].has(approx.keys[i * approx.k + j])) hit++;
      recall = hit / (queries * 10);
      console.log(
        `recall@10 vs exact (${queries} queries), breadth ${breadth ?? `${DEFAULT_BREADTH} (find-similar default)`}: ${fmt(recall, 4)}; ` +
          `batch time HNSW ${fmt((annS * 1000) / queries, 3)} ms/query, exact ${fmt((exactS * 1000) / queries, 3)} ms/query → ${fmt(exactS / annS, 1)}× faster`,
      );
    }

    // kNN self-queries (k = 10, self excluded, the index's own narrower breadth), over the first knnQueries rows.
    const m = Math.min(knnQueries, n);
    const ids = new Float64Array(m).map((_, i) => i + 1);
    t = performance.now();
    await service.knnFrom(1, ids, chunksOf(data.subarray(0, m * dim), dim, 5000), 10);
    const knnS = (performance.now() - t) / 1000;
    const rate = m / knnS;
    console.log(
      `kNN self-queries (k=10): ${Math.round(rate).toLocaleString('en')}/s over ${m.toLocaleString('en')} rows ` +
        `→ ${fmt(n / rate / 60, 1)} min for all ${n.toLocaleString('en')}`,
    );
    return {
      label,
      buildS,
      buildCpuS,
      lagP99Ms: lag.percentile(99) / 1e6,
      searchWaitMaxMs: waits[waits.length - 1],
      p50Ms: pct(lat, 50),
      p99Ms: pct(lat, 99),
      recall,
      speedup: exactS / annS,
      knnPerS: rate,
    };
  } finally {
    await service.close();
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export async function main() {
  const n = arg('n');
  const cases: VectorBenchCase[] = n
    ? [
        {
          n: Number(n),
          dim: Number(arg('dim') ?? 128),
          quantization: (arg('quantization') ?? 'bf16') as Quantization,
        },
      ]
    : [
        { n: 1_000_000, dim: 128, quantization: 'bf16' },
        { n: 100_000, dim: 512, quantization: 'f32' },
      ];
  const results = [];
  for (const c of cases) results.push(await runCase(c));
  console.log('\nsummary');
  console.table(results);
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
