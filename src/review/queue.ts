import type { Deps } from '../deps.ts';
import { loadFlagFeatures } from '../store/verdicts.ts';
import { type FlagPrecision, type LearnedRanking, flagPrecision, learnedRanking } from './learned-ranking.ts';

export interface ReviewLoop {
  precision: { all: FlagPrecision; methods: FlagPrecision[]; classes: FlagPrecision[] };
  /** Null until the run has MIN_VERDICTS verdicts. */
  learned: LearnedRanking | null;
}

/** Method names as reviewers read them. */
export const METHOD_NAMES: Record<string, string> = {
  confident_learning: 'label flags',
  neighbours: 'neighbour flags',
};

/**
 * What the reviewers' decisions taught about a run's flags: precision per method and class, and
 * once there are enough verdicts, the rest of the queue re-ranked by a model fitted on them.
 *
 * @example
 * const loop = await reviewLoop(deps, run);
 * loop.precision.methods; // [{ key: 'confident_learning', confirmed: 41, decided: 50 }, …]
 */
export async function reviewLoop(deps: Deps, run: { id: number; classNames: string[] }): Promise<ReviewLoop> {
  const flags = await loadFlagFeatures(deps.db, run.id);
  return {
    precision: flagPrecision(flags, run.classNames),
    learned: learnedRanking(flags, { classes: run.classNames.length, seed: run.id }),
  };
}

/** "label flags: 41 of 50 confirmed · neighbour flags: 12 of 20 confirmed", or null before any verdict. */
export function precisionLine(p: ReviewLoop['precision']): string | null {
  if (p.all.decided === 0) return null;
  return p.methods
    .map((m) => `${METHOD_NAMES[m.key] ?? `${m.key} flags`}: ${m.confirmed} of ${m.decided} confirmed`)
    .join(' · ');
}

/** "re-ranked by 34 verdicts: cross-validated precision 0.82 (original order 0.61)". */
export function learnedLine(l: LearnedRanking): string {
  return `re-ranked by what reviewers decided (${l.verdicts} verdicts): cross-validated precision ${l.cv.model.toFixed(2)}, original order ${l.cv.original.toFixed(2)}`;
}
