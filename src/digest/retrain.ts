import type { RetrainEffect } from '../analyze/retrain-effect.ts';

const ap = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

/**
 * One run's side of a retrain effect in words: accuracy as "50.0% (1/2)", detection as
 * "AP 0.505 · AP50 0.505" (COCOeval's AP@[.5:.95] and AP at IoU 0.5; n/a without ground truth).
 *
 * @example
 * retrainSide(effect, 'after'); // "AP 0.626 · AP50 1.000"
 */
export function retrainSide(e: RetrainEffect, side: 'before' | 'after'): string {
  if (e.measure === 'AP') {
    const s = e[side];
    return `AP ${ap(s.AP)} · AP50 ${ap(s.AP50)}`;
  }
  const s = e[side];
  return s.total === 0 ? 'n/a' : `${((100 * s.hits) / s.total).toFixed(1)}% (${s.hits}/${s.total})`;
}

/** What the detection figures were measured on: "the 3 changed images, 2 boxes". */
export function retrainBasis(e: RetrainEffect): string | null {
  if (e.measure !== 'AP') return null;
  const { images, boxes } = e.after;
  return `the ${images} changed image${images === 1 ? '' : 's'}, ${boxes} box${boxes === 1 ? '' : 'es'}`;
}

/**
 * The retrain effect in one line, for the digest (text and Slack): `name` formats a run name for
 * the medium (escaped for Slack).
 *
 * @example
 * retrainLine(effect, 'resnet-8'); // "Retrain effect on the 2 rows relabeled since resnet-7 (labels v1 → v3): accuracy 0.0% (0/2) → resnet-8 100.0% (2/2)"
 */
export function retrainLine(e: RetrainEffect, run: string, name: (s: string) => string = (s) => s): string {
  const basis = retrainBasis(e);
  const measure = e.measure === 'accuracy' ? 'accuracy ' : '';
  return `Retrain effect on the ${e.rows} row${e.rows === 1 ? '' : 's'} relabeled since ${name(e.previous.name)} (labels v${e.fromVersion} → v${e.toVersion}): ${measure}${retrainSide(e, 'before')} → ${name(run)} ${retrainSide(e, 'after')}${basis ? ` (COCOeval on ${basis})` : ''}`;
}
