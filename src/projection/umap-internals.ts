import type { UMAP } from 'umap-js';
import { heapPush as umapHeapPush } from 'umap-js/dist/heap.js';

// The one place that knows umap-js 1.4.0's insides (package.json pins that exact version). The
// projection replaces a few of its steps with faster equivalents by assigning to instance fields
// and uses its heap helper from an internal file; an upgrade that renames or drops any of them
// must fail here, loudly, instead of silently running the slow path or producing other numbers.

type Heap = number[][][];

/** What umap-js assigns in its constructor. */
export interface UmapInternals {
  nNeighbors: number;
  nEpochs: number;
  random: () => number;
  distanceFn: (a: ArrayLike<number>, b: ArrayLike<number>) => number;
  optimizationState: {
    headEmbedding: number[][];
    tailEmbedding: number[][];
    head: number[];
    tail: number[];
    epochsPerSample: number[];
    epochOfNextSample: number[];
    epochOfNextNegativeSample: number[];
    epochsPerNegativeSample: number[];
    moveOther: boolean;
    initialAlpha: number;
    alpha: number;
    gamma: number;
    a: number;
    b: number;
    dim: number;
    nEpochs: number;
    nVertices: number;
    currentEpoch: number;
  };
  optimizeLayout: () => number[][];
  makeSearchGraph: (...args: unknown[]) => unknown;
  smoothKNNDistance: (
    distances: number[][],
    k: number,
    localConnectivity?: number,
    nIter?: number,
    bandwidth?: number,
  ) => { sigmas: number[]; rhos: number[] };
  localConnectivity: number;
  nComponents: number;
  /** Set by setPrecomputedKNN. */
  knnIndices?: number[][];
  knnDistances?: number[][];
  /** Assigned in fit: the fuzzy graph, then the layout. */
  graph?: unknown;
  embedding?: number[][];
  fuzzySimplicialSet: (X: unknown[], nNeighbors: number, setOpMixRatio?: number) => unknown;
  computeMembershipStrengths: (
    knnIndices: number[][],
    knnDistances: number[][],
    sigmas: number[],
    rhos: number[],
  ) => { rows: number[]; cols: number[]; vals: number[] };
  initializeSimplicialSetEmbedding: () => { head: number[]; tail: number[]; epochsPerSample: number[] };
  makeEpochsPerSample: (weights: number[], nEpochs: number) => number[];
  getNEpochs: () => number;
}

/** What umap-js also assigns in fit, used by transform. */
export interface FittedUmapInternals extends UmapInternals {
  initFromRandom: (...args: unknown[]) => void;
  search: (data: number[][], graph: unknown, init: Heap, queries: number[][]) => Heap;
}

const FIELDS: [keyof UmapInternals, string][] = [
  ['nNeighbors', 'number'],
  ['nEpochs', 'number'],
  ['random', 'function'],
  ['distanceFn', 'function'],
  ['optimizationState', 'object'],
  ['optimizeLayout', 'function'],
  ['makeSearchGraph', 'function'],
  ['smoothKNNDistance', 'function'],
  ['localConnectivity', 'number'],
  ['nComponents', 'number'],
  ['fuzzySimplicialSet', 'function'],
  ['computeMembershipStrengths', 'function'],
  ['initializeSimplicialSetEmbedding', 'function'],
  ['makeEpochsPerSample', 'function'],
  ['getNEpochs', 'function'],
];
const STATE_FIELDS = ['epochOfNextSample', 'epochOfNextNegativeSample', 'currentEpoch', 'nEpochs'];
const FITTED_FIELDS: [keyof FittedUmapInternals, string][] = [
  ['initFromRandom', 'function'],
  ['search', 'function'],
];

function check(umap: object, fields: [string, string][]): void {
  const u = umap as Record<string, unknown>;
  const wrong = fields.filter(([f, type]) => typeof u[f] !== type).map(([f, type]) => `${f} (${type})`);
  if (u.optimizationState && typeof u.optimizationState === 'object') {
    const st = u.optimizationState as Record<string, unknown>;
    wrong.push(...STATE_FIELDS.filter((f) => !(f in st)).map((f) => `optimizationState.${f}`));
  }
  if (wrong.length)
    throw new Error(
      `umap-js changed: the projection relies on umap-js 1.4.0 internals that are missing: ${wrong.join(', ')}; pin umap-js to 1.4.0 or update src/projection/umap-internals.ts`,
    );
}

/**
 * A new umap-js instance's internal fields, checked.
 *
 * @example
 * umapInternals(new UMAP()).makeSearchGraph = () => null;
 */
export function umapInternals(umap: UMAP): UmapInternals {
  check(umap, FIELDS);
  return umap as unknown as UmapInternals;
}

/** A fitted umap-js instance's internal fields (transform's steps), checked. */
export function fittedUmapInternals(umap: UMAP): FittedUmapInternals {
  check(umap, [...FIELDS, ...FITTED_FIELDS]);
  return umap as unknown as FittedUmapInternals;
}

/** umap-js's heap push (dist/heap.js, not part of its public API). */
export const heapPush: (heap: Heap, row: number, weight: number, index: number, flag: number) => number =
  umapHeapPush;
if (typeof heapPush !== 'function')
  throw new Error('umap-js changed: dist/heap.js no longer exports heapPush');
