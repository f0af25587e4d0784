import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection of the calling thread, to give back at once the memory a finished
 * index build staged (1M × 128 in bf16: 256 MB). The usearch worker allocates little between
 * calls, so V8 could otherwise keep that memory through the kNN pass that follows. The flag only
 * exposes `gc` to contexts made after it; one made here hands it over (as jest's leak detector does).
 *
 * @example
 * builds.delete(run);
 * collectGarbage();
 */
export function collectGarbage(): void {
  gc ??= expose();
  gc();
}

let gc: (() => void) | undefined;

function expose(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
