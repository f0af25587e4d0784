import type { ProjectionPoint } from '../src/store/projections.ts';

/** What the projector's browser side can keep interactive; bigger projections are thinned. */
export const MAX_PROJECTOR_POINTS = 100_000;

/** The projection as the projector script reads it: parallel arrays, classes as indices. */
export interface ProjectionColumns {
  run: string;
  classNames: string[];
  /** Points sent. */
  n: number;
  /** Points stored; more than `n` when the projection was thinned. */
  total: number;
  rowId: number[];
  id: string[];
  x: number[];
  y: number[];
  /** Index into classNames, -1 for none. */
  label: number[];
  predicted: number[];
  /** 1 right, 0 wrong, -1 unknown (unlabeled). */
  correct: number[];
  decision?: string[];
}

/**
 * Columnar, rounded, and thinned to at most `maxPoints` by a fixed stride over row order, so
 * 100k points are one compact document and the same run always shows the same points.
 *
 * @example
 * const cols = projectionColumns('r1', ['cat', 'dog'], points);
 */
export function projectionColumns(
  run: string,
  classNames: string[],
  points: ProjectionPoint[],
  { maxPoints = MAX_PROJECTOR_POINTS }: { maxPoints?: number } = {},
): ProjectionColumns {
  const stride = Math.max(1, Math.ceil(points.length / maxPoints));
  const kept = stride === 1 ? points : points.filter((_, i) => i % stride === 0);
  const index = new Map(classNames.map((name, i) => [name, i]));
  const classIndex = (name: string | null) => (name === null ? -1 : (index.get(name) ?? -1));
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  return {
    run,
    classNames,
    n: kept.length,
    total: points.length,
    rowId: kept.map((p) => p.rowId),
    id: kept.map((p) => p.id),
    x: kept.map((p) => round(p.x)),
    y: kept.map((p) => round(p.y)),
    label: kept.map((p) => classIndex(p.label)),
    predicted: kept.map((p) => classIndex(p.predicted)),
    correct: kept.map((p) => (p.correct === null ? -1 : p.correct ? 1 : 0)),
  };
}

/**
 * A small cache of serialised projections: a projection changes when it is made again or its run
 * is analysed again, so the key carries both; entries also expire after `ttlMs`.
 */
export function createProjectionCache({
  maxRuns = 4,
  ttlMs = 5 * 60_000,
}: {
  maxRuns?: number;
  ttlMs?: number;
} = {}) {
  const entries = new Map<string, { at: number; value: Promise<ProjectionColumns> }>();
  return {
    get(key: string, now: number, load: () => Promise<ProjectionColumns>): Promise<ProjectionColumns> {
      const hit = entries.get(key);
      if (hit && now - hit.at < ttlMs) return hit.value;
      const value = load();
      // A failed load is not kept: the next request tries again.
      value.catch(() => entries.delete(key));
      entries.delete(key);
      entries.set(key, { at: now, value });
      while (entries.size > maxRuns) entries.delete(entries.keys().next().value as string);
      return value;
    },
  };
}
