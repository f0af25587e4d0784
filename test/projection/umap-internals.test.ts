import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { UMAP } from 'umap-js';
import { expect, it } from 'vitest';
import { fittedUmapInternals, heapPush, umapInternals } from '../../src/projection/umap-internals.ts';
import { createRandom } from '../../src/random.ts';

const root = new URL('../../', import.meta.url);

it('umap-js is pinned to the exact version whose internals the projection uses', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  expect(pkg.dependencies['umap-js']).toBe('1.4.0');
  const installed = createRequire(new URL('package.json', root))('umap-js/package.json').version;
  expect(installed).toBe('1.4.0');
});

it('finds every internal it relies on, before and after fit', () => {
  const umap = new UMAP({ nComponents: 2, nNeighbors: 3, nEpochs: 10, random: createRandom(1) });
  expect(() => umapInternals(umap)).not.toThrow();
  const data = Array.from({ length: 12 }, (_, i) => [Math.cos(i), Math.sin(i), i / 12]);
  umap.fit(data);
  const u = fittedUmapInternals(umap);
  expect(typeof u.search).toBe('function');
  expect(typeof heapPush).toBe('function');
});

it('fails loudly, naming what is missing, when an upgrade changes them', () => {
  const changed = new UMAP({ nComponents: 2 }) as unknown as Record<string, unknown>;
  changed.makeSearchGraph = undefined;
  changed.optimizationState = {};
  expect(() => umapInternals(changed as unknown as UMAP)).toThrow(
    /umap-js changed: .*makeSearchGraph \(function\).*optimizationState\.epochOfNextSample/,
  );
  expect(() => fittedUmapInternals(new UMAP({ nComponents: 2 }))).toThrow(
    /initFromRandom \(function\), search/,
  );
});
