import { Index, MetricKind, ScalarKind } from 'usearch';
import type { HnswParams } from './index-worker.ts';
import type { Quantization } from './service.ts';

/** What the worker makes a usearch index of: the vectors' width and scalar, and the graph's breadths. */
export interface IndexParams extends HnswParams {
  dim: number;
  quantization: Quantization;
}

const SCALAR: Record<Quantization, ScalarKind> = {
  f32: ScalarKind.F32,
  f16: ScalarKind.F16,
  bf16: ScalarKind.BF16,
};

/**
 * An empty cosine index, one key per vector (keys are data row ids).
 *
 * @example
 * const index = newIndex({ dim: 128, quantization: 'bf16', connectivity: 16, expansionAdd: 64, orderedExpansionAdd: 80, expansionSearch: 64 });
 */
export function newIndex(p: IndexParams): Index {
  return new Index({
    dimensions: p.dim,
    metric: MetricKind.Cos,
    quantization: SCALAR[p.quantization],
    connectivity: p.connectivity,
    expansion_add: p.expansionAdd,
    expansion_search: p.expansionSearch,
    multi: false,
  });
}

/** The open index of a run (or a build's slot), or an error naming the run. */
export function openIndex(indexes: Map<number, Index>, run: number): Index {
  const index = indexes.get(run);
  if (!index) throw new Error(`no index open for run ${run}`);
  return index;
}
