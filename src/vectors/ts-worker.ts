import { Worker } from 'node:worker_threads';

/**
 * Start a worker thread running a TypeScript module, whatever loader the parent runs under.
 *
 * @example
 * const worker = spawnTsWorker(new URL('./worker.ts', import.meta.url), { threads: 2 });
 */
export function spawnTsWorker(entry: URL, data: Record<string, unknown> = {}): Worker {
  return new Worker(new URL('./ts-worker-boot.mjs', import.meta.url), {
    workerData: { ...data, entry: entry.href },
  });
}
