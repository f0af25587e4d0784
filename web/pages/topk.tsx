import type { RowDetail } from '../../src/store/rows.ts';
import { pct } from './layout.tsx';

/** Classes listed before the rest are summed into one line. */
const SHOWN = 10;

/**
 * A classification row's full probability distribution, highest first: the top classes as bars
 * (the given label and the prediction marked), and what the remaining classes hold together.
 */
export function TopK({ detail, runId }: { detail: RowDetail; runId: number | null }) {
  const given = detail.annotations.find((a) => a.annKey === 'label')?.label ?? null;
  const preds = detail.predictions.filter((p) => p.probs?.length && (runId === null || p.runId === runId));
  if (!preds.length) return null;
  return (
    <>
      <h2>Probabilities</h2>
      {preds.map((p) => {
        const probs = p.probs ?? [];
        const order = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
        const top = order.slice(0, SHOWN);
        const rest = order.slice(SHOWN).reduce((s, i) => s + probs[i], 0);
        return (
          <figure class="topk" aria-label={`probabilities of run ${p.run}`}>
            <figcaption>
              {p.run} · {probs.length} classes
            </figcaption>
            <ol>
              {top.map((i) => (
                <li class={i === given ? 'given' : i === p.label ? 'predicted' : undefined}>
                  <span class="name">
                    {detail.classNames[i] ?? String(i)}
                    {i === given ? <em> label</em> : null}
                    {i === p.label ? <em> prediction</em> : null}
                  </span>
                  <meter min="0" max="1" value={String(probs[i])} />
                  <span class="num">{pct(probs[i])}</span>
                </li>
              ))}
              {order.length > SHOWN ? (
                <li class="rest">
                  <span class="name">{order.length - SHOWN} other classes</span>
                  <meter min="0" max="1" value={String(rest)} />
                  <span class="num">{pct(rest)}</span>
                </li>
              ) : null}
            </ol>
          </figure>
        );
      })}
    </>
  );
}
