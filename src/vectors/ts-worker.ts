import { Worker } from 'node:worker_threads';

/** True when this module runs compiled (dist/), where the workers' entries are `.js` beside it. */
const compiled = import.meta.url.endsWith('.js');

/**
 * Start a worker thread running a TypeScript module, whatever loader the parent runs under; from the
 * compiled build, the entry's compiled `.js` twin.
 *
 * @example
 * const worker = spawnTsWorker(new URL('./worker.ts', import.meta.url), { threads: 2 });
 */
export function spawnTsWorker(entry: URL, data: Record<string, unknown> = {}): Worker {
  const href = compiled ? entry.href.replace(/\.tsx?$/, '.js') : entry.href;
  return new Worker(new URL('./ts-worker-boot.mjs', import.meta.url), {
    workerData: { ...data, entry: href },
  });
}
