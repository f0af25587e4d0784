import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Deps } from '../deps.ts';
import { type TaskInput, type TaskName, type TaskOutput, computeTasks } from './tasks.ts';

/** True when this module runs compiled (dist/), where the worker's entry is the `.js` beside it. */
const compiled = import.meta.url.endsWith('.js');

/** Worker threads for CPU-heavy request work (see tasks.ts), so the event loop keeps answering. */
export interface ComputePool {
  /** Run a task in a pool thread; `transfer` hands buffers over instead of copying them. */
  run<K extends TaskName>(name: K, input: TaskInput<K>, transfer?: ArrayBuffer[]): Promise<TaskOutput<K>>;
  /** Threads busy or starting, tasks waiting: what /healthz-style probes and benches report. */
  stats(): { threads: number; queued: number; completed: number };
  close(): Promise<void>;
  /** Ends the threads now, failing the tasks they run: for results nobody will read. */
  destroy(): Promise<void>;
}

export interface ComputePoolOptions {
  /** Most threads at once (default: one less than the cores, at least 1; the vector worker has its own). */
  threads?: number;
  /**
   * Threads kept from the start (default 0: started on demand). A thread kept loads its code at
   * once, for a caller that knows its task is coming and has other work meanwhile.
   */
  minThreads?: number;
  /** An idle thread exits after this long, so a quiet server holds no extra memory. */
  idleTimeoutMs?: number;
  /** Tasks waiting beyond this are refused at once rather than queued without end. */
  maxQueue?: number;
  /**
   * Added to the threads' nice value (Linux; ignored where unsupported): on a busy machine the
   * thread answering requests gets the CPU first, and the heavy task takes what is left.
   */
  niceIncrement?: number;
}

/**
 * A piscina pool running `computeTasks` in worker threads. Piscina rather than our own pool
 * (src/vectors/rpc.ts serves one long-lived stateful worker): queueing, thread start-up and idle
 * exit, errors and crashed threads are what it does, and the tasks here keep no state.
 *
 * @example
 * const compute = createComputePool({ threads: 1 });
 * const picks = await compute.run('diverse', { data, dim: 64, n: 3000 }, [data.buffer]);
 * await compute.close();
 */
export function createComputePool({
  threads = Math.max(1, availableParallelism() - 1),
  minThreads = 0,
  idleTimeoutMs = 60_000,
  maxQueue = 256,
  niceIncrement = 10,
}: ComputePoolOptions = {}): ComputePool {
  const pool = new Piscina({
    filename: fileURLToPath(new URL('./boot.mjs', import.meta.url)),
    workerData: { entry: new URL(compiled ? './worker.js' : './worker.ts', import.meta.url).href },
    minThreads,
    maxThreads: threads,
    idleTimeout: idleTimeoutMs,
    maxQueue,
    niceIncrement,
  });
  return {
    run: (name, input, transfer = []) => pool.run({ name, input }, { transferList: transfer }),
    stats: () => ({ threads: pool.threads.length, queued: pool.queueSize, completed: pool.completed }),
    close: () => pool.close(),
    destroy: () => pool.destroy(),
  };
}

/**
 * Run a compute task in `deps.compute` when the process has one (serve), else inline: the CLI has
 * no requests to keep answering, and unit tests need no threads. `inline` keeps a task the caller
 * knows is small (a few ms) on this thread, so it never waits behind a large one in the queue.
 *
 * @example
 * const order = await runCompute(deps, 'diverse', { data, dim, n: 50 }, { transfer: [data.buffer] });
 */
export async function runCompute<K extends TaskName>(
  deps: Pick<Deps, 'compute'>,
  name: K,
  input: TaskInput<K>,
  { transfer = [], inline = false }: { transfer?: ArrayBuffer[]; inline?: boolean } = {},
): Promise<TaskOutput<K>> {
  if (deps.compute && !inline) return deps.compute.run(name, input, transfer);
  const task = computeTasks[name] as (input: TaskInput<K>) => TaskOutput<K> | Promise<TaskOutput<K>>;
  return task(input);
}
