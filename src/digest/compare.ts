export type RunKind = 'classification' | 'detection';

export interface MetricChange {
  name: string;
  now: number;
  before: number | null;
  delta: number | null;
  /** True when a larger value is better (false for calibration error). */
  higherIsBetter: boolean;
}

export interface ClassChange {
  name: string;
  metric: string;
  now: number;
  before: number | null;
  delta: number | null;
}

type Doc = Record<string, unknown> | null | undefined;

const get = (doc: Doc, path: string): number | null => {
  let v: unknown = doc;
  for (const k of path.split('.'))
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

const HEADLINES: Record<RunKind, { name: string; path: string; higherIsBetter: boolean }[]> = {
  classification: [
    { name: 'accuracy', path: 'accuracy', higherIsBetter: true },
    { name: 'macro F1', path: 'macro.f1', higherIsBetter: true },
    { name: 'weighted F1', path: 'weighted.f1', higherIsBetter: true },
    { name: 'ECE', path: 'ece', higherIsBetter: false },
  ],
  detection: [
    { name: 'AP', path: 'coco.AP', higherIsBetter: true },
    { name: 'AP50', path: 'coco.AP50', higherIsBetter: true },
    { name: 'AP75', path: 'coco.AP75', higherIsBetter: true },
  ],
};

/**
 * TIDE's dAP breakdown of a detection run (`errors`: AP50 lost to each error type), each type with
 * its change; costliest first. Lower is better. Empty for classification or a run analysed before
 * the breakdown existed.
 */
function errorChanges(now: Doc, before: Doc): MetricChange[] {
  const types = Object.keys((now?.errors as Record<string, unknown> | undefined) ?? {});
  const out: MetricChange[] = [];
  for (const type of types) {
    const a = get(now, `errors.${type}`);
    if (a === null) continue;
    const b = get(before, `errors.${type}`);
    out.push({ name: type, now: a, before: b, delta: b === null ? null : a - b, higherIsBetter: false });
  }
  return out.sort((x, y) => y.now - x.now || x.name.localeCompare(y.name));
}

/** The per-class figure the digest compares: F1 for classification, AP for detection. */
export const CLASS_METRIC: Record<RunKind, string> = { classification: 'f1', detection: 'ap' };

/**
 * Compare two metrics documents: headline metrics with deltas, every class with its change,
 * the classes that got worse, worst drop first, and (detection) the dAP breakdown's change. Pure.
 *
 * @example
 * compareRuns('classification', { accuracy: 0.9 }, { accuracy: 0.95 }).metrics[0].delta; // ≈ -0.05
 */
export function compareRuns(kind: RunKind, now: Doc, before: Doc) {
  const metrics: MetricChange[] = [];
  for (const h of HEADLINES[kind]) {
    const a = get(now, h.path);
    if (a === null) continue;
    const b = get(before, h.path);
    metrics.push({
      name: h.name,
      now: a,
      before: b,
      delta: b === null ? null : a - b,
      higherIsBetter: h.higherIsBetter,
    });
  }
  const metric = CLASS_METRIC[kind];
  const classesOf = (doc: Doc) =>
    new Map(
      ((doc?.classes as { name: string; [k: string]: unknown }[] | undefined) ?? [])
        .filter((c) => typeof c[metric] === 'number' && Number.isFinite(c[metric]))
        .map((c) => [c.name, c[metric] as number]),
    );
  const nowClasses = classesOf(now);
  const beforeClasses = classesOf(before);
  const classes: ClassChange[] = [...nowClasses].map(([name, v]) => {
    const b = beforeClasses.get(name) ?? null;
    return { name, metric, now: v, before: b, delta: b === null ? null : v - b };
  });
  const worse = classes
    .filter((c) => c.delta !== null && c.delta < 0)
    .sort((x, y) => (x.delta as number) - (y.delta as number) || x.name.localeCompare(y.name));
  const errors = kind === 'detection' ? errorChanges(now, before) : [];
  return { metrics, classes, worse, errors };
}
