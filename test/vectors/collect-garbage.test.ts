import { expect, it } from 'vitest';
import { collectGarbage } from '../../src/vectors/collect-garbage.ts';

it('frees what nothing holds any more, at once', async () => {
  let staged: Uint16Array | null = new Uint16Array(1 << 20);
  const ref = new WeakRef(staged);
  staged = null;
  // A WeakRef keeps its target alive until the end of a task that made or read it.
  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
  await nextTask();
  expect(ref.deref()).toBeDefined();
  await nextTask();
  collectGarbage();
  expect(ref.deref()).toBeUndefined();
});
