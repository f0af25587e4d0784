import { type BatchMatches, type Index, MetricKind, exactSearch } from 'usearch';
import { createRandom } from '../random.ts';
import { addRows } from './add-threads.ts';
import { collectGarbage } from './collect-garbage.ts';
import { insertionOrderSteps } from './insertion-order.ts';
import type { Handler } from './rpc.ts';
import { type Staging, createStaging } from './staging.ts';
import { type IndexParams, newIndex, openIndex } from './usearch-index.ts';

/** Nearest centroid of each vector, by usearch's exact search (cosine). */
const nearestOf =
  (dim: number, threads: number) =>
  (centroids: Float32Array, vectors: Float32Array): Int32Array => {
    const hits = exactSearch(centroids, vectors, dim, 1, MetricKind.Cos, threads) as unknown as
      | BatchMatches
      | { keys: BigUint64Array };
    return Int32Array.from(hits.keys, (k) => Number(k));
  };

/**
 * The worker's index builds, a call at a time so that searches interleave: `create` a staging,
 * `stage` rows into it, `order` them a step a call (the last step makes the index), `insert` a
 * batch a call, `promote` the finished index to the live slot. `drop` forgets a build under way.
 *
 * @example
 * const builds = buildHandlers({ indexes, threads: 2 });
 * serveRequests({ ...builds.handlers, drop: (p) => { indexes.delete(p.run); builds.drop(p.run); } });
 */
export function buildHandlers({ indexes, threads }: { indexes: Map<number, Index>; threads: number }) {
  /** Builds under way: their rows staged, then (once ordered) inserted from `next` on. */
  const builds = new Map<
    number,
    {
      params: IndexParams;
      staging: Staging;
      /** The order being chosen, a step a call. */
      ordering?: ReturnType<typeof insertionOrderSteps>;
      order?: Uint32Array;
      next: number;
    }
  >();

  function buildOf(run: number) {
    const build = builds.get(run);
    if (!build) throw new Error(`no build under way for run ${run}`);
    return build;
  }

  const indexOf = (run: number) => openIndex(indexes, run);

  const handlers: Record<string, Handler> = {
    /** Begin a build: a staging for its rows (the index is made once they are ordered). */
    create: (p: IndexParams & { run: number }) => {
      indexes.delete(p.run);
      builds.set(p.run, {
        params: p,
        staging: createStaging(p.dim, { bf16: p.quantization === 'bf16' }),
        next: 0,
      });
      return undefined;
    },
    stage: (p: { run: number; keys: Float64Array; vectors: Float32Array }) => {
      buildOf(p.run).staging.push(p.keys, p.vectors);
      return undefined;
    },
    /**
     * Every row is staged: choose their insertion order (seeded, so the same rows make the same
     * index), a step a call (see insertionOrderSteps); the last step makes the index.
     */
    order: (p: { run: number }) => {
      const build = buildOf(p.run);
      build.ordering ??= insertionOrderSteps(build.staging, {
        random: createRandom(1),
        nearest: nearestOf(build.staging.dim, threads),
      });
      const step = build.ordering.next();
      if (!step.done) return { result: { done: false, placed: step.value } };
      const { order, reordered } = step.value;
      build.order = order;
      build.ordering = undefined;
      const { params } = build;
      indexes.set(
        p.run,
        newIndex(reordered ? { ...params, expansionAdd: params.orderedExpansionAdd } : params),
      );
      return { result: { done: true, count: order.length } };
    },
    /** Insert the next `rows` staged rows in their order (a call at a time, so searches interleave). */
    insert: (p: { run: number; rows: number }) => {
      const build = buildOf(p.run);
      if (!build.order) throw new Error(`build of run ${p.run} not ordered`);
      const ids = build.order.subarray(build.next, build.next + p.rows);
      if (ids.length > 0)
        addRows(indexOf(p.run), build.staging.keysOf(ids), build.staging.gather(ids), threads);
      build.next += ids.length;
      const left = build.order.length - build.next;
      if (left === 0) {
        builds.delete(p.run);
        // Once this call returned: its frame still holds the staging.
        setImmediate(collectGarbage);
      }
      return { result: { size: indexOf(p.run).size(), left } };
    },
    /** Make a finished staging index the live one (searches never see a half-built index). */
    promote: (p: { from: number; to: number }) => {
      indexes.set(p.to, indexOf(p.from));
      indexes.delete(p.from);
      return undefined;
    },
  };

  return {
    handlers,
    /** Forget a run's build under way, and give its staged rows back. */
    drop(run: number): void {
      if (builds.delete(run)) setImmediate(collectGarbage);
    },
  };
}
