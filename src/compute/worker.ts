// A compute pool thread (see pool.ts): runs one named task per message.
import { type TaskMessage, type TaskName, computeTasks } from './tasks.ts';

export default function runTask({ name, input }: TaskMessage): unknown {
  const task = computeTasks[name as TaskName] as ((input: unknown) => unknown) | undefined;
  if (!task) throw new Error(`unknown compute task ${JSON.stringify(name)}`);
  return task(input);
}
