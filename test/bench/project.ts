/**
 * `loupe project` memory (issue 14, target 4): a classification run with N × D embeddings imported
 * into a fresh embedded data folder through the CLI, then `loupe project --run bench` run as a
 * user runs it (a new process through the package's bin), its peak RSS and CPU read at exit by
 * the RSS probe. Baseline in the same run: `loupe runs --json` on the same folder, the floor of
 * opening the database. Recorded before this bench existed: 2.04 GB (issue text) and 1.51 GB at
 * 25k × 384. Targets: ≤ 600 MB at 25k × 384, ≤ 1 GB at 1M × 128.
 *
 * Measured here (2 cores, shared): 25k × 384, 1717 MB → 547 MB (CPU 121 → 123 s); the fit's
 * fuzzy graph in umap-js's Map matrices was 1.1 GB of it. 200k × 128: 572 MB peak (CPU 444 s), creeping up
 * during the placement; 1M × 128: 974 MB peak (20k fitted, the rest placed; 1210 s wall, CPU 1733 s).
 *
 *   npx tsx test/bench/project.ts                       # 25k × 384
 *   npx tsx test/bench/project.ts --rows 200000 --dim 128
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestSource } from '../../bin/sources.mjs';
import { createRandom } from '../../src/random.ts';
import { writeNpyChunks } from '../helpers/npy.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/loupe.mjs');
const probe = join(root, 'test/bench/rss-probe.mjs');
const K = 10;

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

/** Labels, probabilities and embeddings clustered by class (UMAP has structure to find). */
function makeInputs(dir: string, rows: number, dim: number) {
  const rand = createRandom(7);
  const truth = new Int32Array(rows).map(() => Math.floor(rand() * K));
  const files = { labels: join(dir, 'labels.npy'), probs: join(dir, 'probs.npy'), emb: join(dir, 'emb.npy') };
  let at = 0;
  writeNpyChunks(
    files.labels,
    new Int32Array(0),
    [rows],
    (n) => {
      at += n;
      return truth.slice(at - n, at);
    },
    16384,
  );
  at = 0;
  writeNpyChunks(
    files.probs,
    new Float32Array(0),
    [rows, K],
    (n) => {
      const out = new Float32Array(n * K);
      for (let i = 0; i < n; i++, at++) {
        let sum = 0;
        for (let j = 0; j < K; j++) sum += out[i * K + j] = (j === truth[at] ? 4 + 4 * rand() : rand()) ** 2;
        for (let j = 0; j < K; j++) out[i * K + j] /= sum;
      }
      return out;
    },
    16384,
  );
  at = 0;
  const centres = new Float32Array(K * dim).map(() => rand() * 2 - 1);
  writeNpyChunks(
    files.emb,
    new Float32Array(0),
    [rows, dim],
    (n) => {
      const out = new Float32Array(n * dim);
      for (let i = 0; i < n; i++, at++)
        for (let j = 0; j < dim; j++) out[i * dim + j] = centres[truth[at] * dim + j] + 0.6 * (rand() - 0.5);
      return out;
    },
    16384,
  );
  return files;
}

/** One CLI process: wall seconds, CPU seconds (user + system, all threads) and peak RSS (MB). */
function loupe(args: string[], env: NodeJS.ProcessEnv) {
  const out = join(env.LOUPE_DATA ?? tmpdir(), `rss-${process.pid}.txt`);
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', probe, bin, ...args], {
    env: { ...env, LOUPE_RSS_PROBE: out },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`loupe ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  const [rssKb, cpuMs] = readFileSync(out, 'utf8').split(' ').map(Number);
  rmSync(out, { force: true });
  return { wall, cpu: cpuMs / 1000, rssMb: rssKb / 1024, stdout: r.stdout };
}

function main() {
  const rows = arg('rows', 25_000);
  const dim = arg('dim', 384);
  const target = rows * dim <= 25_000 * 384 ? 600 : 1024;
  const stamp = join(root, 'dist/.built');
  if (!existsSync(stamp) || Number(readFileSync(stamp, 'utf8')) < newestSource(root)) {
    console.log('dist/ is not current: building it (npm run build), as npm install does');
    const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-project-'));
  // The embedded database: whatever DATABASE_URL the shell has is not this bench's.
  const { DATABASE_URL: _, ...rest } = process.env;
  const env: NodeJS.ProcessEnv = { ...rest, LOUPE_DATA: join(dir, 'data'), LOUPE_LOG_LEVEL: 'warn' };
  try {
    const files = makeInputs(dir, rows, dim);
    const imported = loupe(
      ['ingest', 'classification', '--run', 'bench', '--labels', files.labels, '--probs', files.probs].concat(
        ['--embeddings', files.emb, '--no-analyze'],
      ),
      env,
    );
    console.log(
      `imported ${rows.toLocaleString('en')} rows × ${dim} into an embedded data folder: ${imported.wall.toFixed(1)} s, peak RSS ${imported.rssMb.toFixed(0)} MB`,
    );
    const base = loupe(['runs', '--json'], env);
    const p = loupe(['project', '--run', 'bench', '--json'], env);
    const result = JSON.parse(p.stdout) as { projection?: { rows: number; fitted: number } };
    if (result.projection?.rows !== rows) throw new Error(`project: ${p.stdout}`);
    console.log(
      `\nloupe project, ${rows.toLocaleString('en')} × ${dim} (${result.projection.fitted.toLocaleString('en')} fitted, the rest placed); load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    console.log('command                     wall s    CPU s   peak RSS MB   target');
    const line = (label: string, r: ReturnType<typeof loupe>, t: string) =>
      console.log(
        `${label.padEnd(26)} ${r.wall.toFixed(1).padStart(6)} ${r.cpu.toFixed(1).padStart(8)} ${r.rssMb.toFixed(0).padStart(13)}   ${t}`,
      );
    line('baseline: loupe runs', base, '');
    line('loupe project', p, `≤ ${target} MB: ${p.rssMb <= target ? 'met' : 'MISSED'}`);
    console.log(
      `raw embeddings: ${((rows * dim * 4) / 2 ** 20).toFixed(0)} MB; recorded before: 2040 MB (issue), 1510 MB at 25k × 384`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
