import { type Transferable, type Worker, parentPort } from 'node:worker_threads';

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface WorkerClient {
  call<T>(op: string, payload?: Record<string, unknown>, transfer?: ArrayBufferLike[]): Promise<T>;
  /**
   * End the thread, and with it all it holds, at once (native memory is otherwise freed only when
   * the thread's heap is collected); the next call starts a new one. Calls under way fail.
   */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Request/response over a worker's message port. The worker starts on the first call, so a service
 * that is never asked anything (an import without embeddings) costs no thread; it is referenced
 * only while a call is pending, so an idle service never keeps a CLI process alive.
 *
 * @example
 * const client = workerClient(() => spawnTsWorker(url));
 * const { size } = await client.call<{ size: number }>('size', { run: 1 });
 */
export function workerClient(spawn: () => Worker): WorkerClient {
  let nextId = 1;
  let closed = false;
  let worker: Worker | null = null;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Threads ended by stop(): their exit does not close the client. */
  const stopping = new Set<Worker>();
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const start = (): Worker => {
    const w = spawn();
    w.unref();
    w.on('message', (msg: Reply) => {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (pending.size) w.ref();
      else w.unref();
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    });
    w.on('error', (err) => {
      if (stopping.has(w)) return;
      closed = true;
      failAll(err);
    });
    w.on('exit', (code) => {
      if (stopping.delete(w)) return;
      closed = true;
      failAll(new Error(`worker thread exited (code ${code})`));
    });
    return w;
  };
  return {
    call<T>(op: string, payload: Record<string, unknown> = {}, transfer: ArrayBufferLike[] = []) {
      if (closed) return Promise.reject(new Error('worker thread is closed'));
      try {
        worker ??= start();
      } catch (err) {
        // The call's promise carries a thread that could not start, as it carries any failure.
        return Promise.reject(err);
      }
      const w = worker;
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        w.ref();
        w.postMessage({ id, op, payload }, transfer as Transferable[]);
      });
    },
    async stop() {
      const w = worker;
      if (closed || !w) return;
      worker = null;
      stopping.add(w);
      failAll(new Error('worker thread stopped'));
      await w.terminate();
    },
    async close() {
      if (closed) return;
      closed = true;
      await worker?.terminate();
    },
  };
}

export type Handler = (payload: never) => { result: unknown; transfer?: ArrayBufferLike[] } | undefined;

/** The worker side: answer each request with its handler's result (or the error message). */
export function serveRequests(handlers: Record<string, Handler>): void {
  const port = parentPort;
  if (!port) throw new Error('serveRequests must run inside a worker thread');
  port.on('message', (msg: { id: number; op: string; payload: never }) => {
    try {
      const handler = handlers[msg.op];
      if (!handler) throw new Error(`unknown worker operation ${msg.op}`);
      const out = handler(msg.payload);
      port.postMessage(
        { id: msg.id, ok: true, result: out?.result },
        (out?.transfer ?? []) as Transferable[],
      );
    } catch (err) {
      port.postMessage({ id: msg.id, ok: false, error: (err as Error).message ?? String(err) });
    }
  });
}
