/** One class's change between the previous run and the new one, on the rows both share. */
export interface ClassRegression {
  /** Class index in the dataset. */
  label: number;
  name: string;
  /** 'f1' (classification) or 'ap' (detection, COCOeval's AP@[.5:.95]). */
  metric: 'f1' | 'ap';
  /** The previous run's value and the new run's, on the shared rows. */
  before: number;
  now: number;
  /** now − before. */
  delta: number;
  /** The 95% percentile interval of the change under the paired bootstrap. */
  low: number;
  high: number;
  /** Ground-truth rows (classification) or non-crowd boxes (detection) of the class on the shared rows. */
  support: number;
  /** The interval lies below 0 and the drop exceeds the configured minimum. */
  regressed: boolean;
}

export interface BootstrapSettings {
  resamples: number;
  seed: number;
  /** Interval level (0.95). */
  level: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapSettings = { resamples: 1000, seed: 20240611, level: 0.95 };

/**
 * A class regresses when the whole interval of its change is below 0 and the point drop exceeds
 * `minDrop` (LOUPE_ALERT_MIN_DROP): significant and large enough to matter.
 */
export function isRegression(c: { delta: number; high: number }, minDrop: number): boolean {
  return c.high < 0 && -c.delta > minDrop;
}
