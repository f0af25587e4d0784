/**
 * CLI start (issue 14, target 2): `loupe --help` and `loupe runs --json` on the embedded database
 * (the demo loaded into a temporary data folder), each run N times as a user runs them: a new
 * process through the package's bin. Prints median and p90 wall time and the peak RSS of each
 * process, next to the baseline of the same run: `node -e 0`, the floor any Node command pays.
 * The compiled CLI (dist/) is built first when it is not current, as `npm install` does.
 * Targets: `--help` median ≤ 0.3 s; `runs --json` median ≤ 1 s and peak RSS ≤ 250 MB.
 *
 *   npx tsx test/bench/cli.ts [runs=9]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestSource } from '../../bin/sources.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/loupe.mjs');
const probe = join(root, 'test/bench/rss-probe.mjs');

interface Sample {
  ms: number;
  cpuMs: number;
  rssMb: number;
}

/** One process: wall time from spawn to exit, and its peak RSS as the probe reports it at exit. */
function once(args: string[], env: NodeJS.ProcessEnv): Sample {
  const out = join(env.LOUPE_DATA ?? tmpdir(), `rss-${process.pid}.txt`);
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', probe, ...args], {
    env: { ...env, LOUPE_RSS_PROBE: out },
    encoding: 'utf8',
  });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const [rssKb, cpuMs] = readFileSync(out, 'utf8').split(' ').map(Number);
  rmSync(out, { force: true });
  return { ms, cpuMs, rssMb: rssKb / 1024 };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

function measure(label: string, args: string[], env: NodeJS.ProcessEnv, n: number) {
  once(args, env); // the first start reads the files into the page cache
  const samples = Array.from({ length: n }, () => once(args, env));
  const ms = samples.map((s) => s.ms);
  return {
    label,
    median: quantile(ms, 0.5),
    p90: quantile(ms, 0.9),
    cpu: quantile(
      samples.map((s) => s.cpuMs),
      0.5,
    ),
    rss: Math.max(...samples.map((s) => s.rssMb)),
  };
}

function main() {
  const n = Number(process.argv[2] ?? 9);
  const stamp = join(root, 'dist/.built');
  if (!existsSync(stamp) || Number(readFileSync(stamp, 'utf8')) < newestSource(root)) {
    console.log('dist/ is not current: building it (npm run build), as npm install does');
    const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  const data = mkdtempSync(join(tmpdir(), 'loupe-bench-cli-'));
  // The embedded database: whatever DATABASE_URL the shell has is not this bench's.
  const { DATABASE_URL: _, ...rest } = process.env;
  const env: NodeJS.ProcessEnv = { ...rest, LOUPE_DATA: data };
  try {
    const t = performance.now();
    once([bin, 'demo'], env);
    console.log(
      `demo loaded into an embedded data folder in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const rows = [
      measure('baseline: node -e 0', ['-e', '0'], env, n),
      measure('loupe --help', [bin, '--help'], env, n),
      measure('loupe runs --json', [bin, 'runs', '--json'], env, n),
    ];
    const base = rows[0].median;
    const targets: Record<string, (r: (typeof rows)[number]) => boolean> = {
      'loupe --help': (r) => r.median <= 300,
      'loupe runs --json': (r) => r.median <= 1000 && r.rss <= 250,
    };
    console.log(
      `\nCLI start, ${n} processes each (load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')})`,
    );
    console.log(
      'command                 median ms   p90 ms   × baseline   CPU ms (median)   peak RSS MB   target',
    );
    for (const r of rows) {
      const target = targets[r.label];
      console.log(
        `${r.label.padEnd(22)} ${r.median.toFixed(0).padStart(10)} ${r.p90.toFixed(0).padStart(8)} ${(r.median / base).toFixed(1).padStart(11)}× ${r.cpu.toFixed(0).padStart(16)} ${r.rss.toFixed(0).padStart(12)}   ${target ? (target(r) ? 'met' : 'MISSED') : ''}`,
      );
    }
    console.log(
      'targets: --help median ≤ 300 ms; runs --json median ≤ 1000 ms and peak RSS ≤ 250 MB. Under load the\n' +
        'wall times stretch with the baseline; the CPU time (user + system, all threads) does not.',
    );
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

main();
