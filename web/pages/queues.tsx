import type { Child } from 'hono/jsx';
import type { BoardRun } from '../views.ts';
import { BoxLegend, type Card, CardGrid } from './cards.tsx';
import { Pager } from './gallery.tsx';

/** A ranked gallery (suspected mislabels, uncertain rows, similar rows): same cards, same actions. */
export function QueuePage({
  title,
  intro,
  controls,
  run,
  cards,
  total,
  next,
  batches,
}: {
  title: string;
  intro: string;
  controls?: Child;
  run: BoardRun;
  cards: Card[];
  total?: number;
  next?: string | null;
  batches: string[];
}) {
  return (
    <>
      <h1>{title}</h1>
      <p class="muted">{intro}</p>
      {controls ?? null}
      {total !== undefined ? (
        <p class="summary">
          {total} row{total === 1 ? '' : 's'}
        </p>
      ) : null}
      {run.kind === 'detection' ? <BoxLegend /> : null}
      <CardGrid cards={cards} run={run.name} runId={run.id} batches={batches} />
      <Pager href={next ?? null} />
    </>
  );
}

/**
 * Why a row is flagged, in words: "model 97% sure this is a 7; labeled 1". Detection flags
 * (swap, overlooked, bad location) name the box's problem instead.
 */
export function mislabelReason({
  kind,
  given,
  suggested,
  confidence,
}: {
  kind: string;
  given: string | null;
  suggested: string | null;
  confidence: number | null;
}): string {
  const sure = confidence === null ? 'model suggests' : `model ${Math.round(confidence * 100)}% sure this is`;
  if (kind === 'overlooked') return `${sure} a ${suggested ?? '?'} here; no box is labeled`;
  if (kind === 'bad_location')
    return `box labeled ${given ?? '?'} looks misplaced: the model puts it elsewhere`;
  if (kind === 'swap') return `${sure} a ${suggested ?? '?'}; box labeled ${given ?? '?'}`;
  return `${sure} a ${suggested ?? '?'}; labeled ${given ?? '?'}`;
}

/**
 * The reason for a suspected mislabel in words, from the stored flag: the model's top class and
 * its probability are read from the evidence ("model 0.97 sure: 7"), then the rest of the
 * evidence (the suggestion and why, the neighbours) follows.
 */
export function flagReason(flag: {
  kind: string;
  given: string | null;
  suggested: string | null;
  evidence: string;
}): string {
  if (flag.kind !== 'label') return flag.evidence || mislabelReason({ ...flag, confidence: null });
  const parts = flag.evidence.split('; ');
  // "model 0.46 sure: 1" is the model's top class, which need not be the suggested one.
  const sure = /^model (\d*\.?\d+) sure: (.*)$/.exec(parts[0] ?? '');
  const head = sure
    ? mislabelReason({ ...flag, suggested: sure[2], confidence: Number(sure[1]) })
    : mislabelReason({ ...flag, confidence: null });
  const rest = parts.filter((p) => !/^model .* sure\b/.test(p) && !/^labeled /.test(p));
  return [head, ...rest].join('; ');
}
