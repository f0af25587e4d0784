import { expect, it } from 'vitest';
import { hasSharedData } from './shared-data.ts';

it('fails in CI when reference data is missing, and says what it skips locally', () => {
  expect(() => hasSharedData('no/such/file.npy', 'a reference test', { env: { CI: 'true' } })).toThrow(
    /reference data missing in CI: .*no\/such\/file\.npy \(needed by a reference test\)/,
  );
  const said: string[] = [];
  expect(hasSharedData('no/such/file.npy', 'a reference test', { env: {}, warn: (l) => said.push(l) })).toBe(
    false,
  );
  expect(said).toEqual([
    expect.stringMatching(/^skipped a reference test: .*no\/such\/file\.npy is missing$/),
  ]);
});
