/**
 * `npm run bench [topic…]`: every benchmark in turn, each printing its figures next to a
 * baseline measured in the same run. Not part of `npm test`. Each topic runs in its own process,
 * so its peak memory and heap are its own, not what the topics before it left behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TOPICS = [
  'cli',
  'coco',
  'coco-files',
  'objects',
  'metrics',
  'ingest',
  'answers',
  'findings',
  'vectors',
  'umap',
  'project',
  'bot',
  'board',
  'media',
  'heavy',
  'jobs',
  'knn',
  'alerts',
  'review',
];

function main(): number {
  const wanted = process.argv.slice(2);
  const topics = wanted.length ? wanted : TOPICS;
  const failed: string[] = [];
  for (const topic of topics) {
    const file = fileURLToPath(new URL(`./${topic}.ts`, import.meta.url));
    if (!existsSync(file)) {
      console.log(`\n## ${topic}: no benchmark file`);
      failed.push(topic);
      continue;
    }
    console.log(`\n## ${topic}`);
    const started = performance.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (run.status !== 0) {
      console.log(`(${topic}: failed after ${seconds} s, exit ${run.status ?? run.signal})`);
      failed.push(topic);
    } else console.log(`(${topic}: ${seconds} s)`);
  }
  if (failed.length) console.log(`\nfailed: ${failed.join(', ')}`);
  return failed.length ? 1 : 0;
}

process.exitCode = main();
