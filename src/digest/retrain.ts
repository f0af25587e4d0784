import type { RetrainEffect } from '../store/label-effects.ts';

const rate = (s: { hits: number; total: number } | null) =>
  s === null
    ? '–'
    : s.total === 0
      ? 'n/a'
      : `${((100 * s.hits) / s.total).toFixed(1)}% (${s.hits}/${s.total})`;

/**
 * The retrain effect in one line, for the digest (text and Slack): `name` formats a run name for
 * the medium (escaped for Slack).
 *
 * @example
 * retrainLine(effect, 'resnet-8'); // "Retrain effect on the 2 rows relabeled since resnet-7 (labels v1 → v3): accuracy 0.0% (0/2) → 100.0% (2/2)"
 */
export function retrainLine(e: RetrainEffect, run: string, name: (s: string) => string = (s) => s): string {
  const note = e.stale.length
    ? ` (${e.stale.map(name).join(' and ')} evaluated on older labels: re-evaluate to compare)`
    : '';
  return `Retrain effect on the ${e.rows} row${e.rows === 1 ? '' : 's'} relabeled since ${name(e.previous.name)} (labels v${e.fromVersion} → v${e.toVersion}): ${e.measure} ${rate(e.before)} → ${name(run)} ${rate(e.after)}${note}`;
}
