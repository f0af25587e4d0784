// A compute pool thread (see pool.ts): runs one named task per message.
import { Piscina } from 'piscina';
import { type TaskMessage, type TaskName, computeTasks } from './tasks.ts';

/**
 * A result that is a whole typed array over its own (unshared) buffer is handed over instead of
 * copied: the buffer moves to the caller's thread. Shared buffers are shared anyway.
 */
function movable(result: unknown): unknown {
  if (
    ArrayBuffer.isView(result) &&
    result.buffer instanceof ArrayBuffer &&
    result.byteOffset === 0 &&
    result.byteLength === result.buffer.byteLength
  )
    return Piscina.move(result);
  return result;
}

export default async function runTask({ name, input }: TaskMessage): Promise<unknown> {
  const task = computeTasks[name as TaskName] as ((input: unknown) => unknown) | undefined;
  if (!task) throw new Error(`unknown compute task ${JSON.stringify(name)}`);
  return movable(await task(input));
}
