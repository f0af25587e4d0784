import type { ObjectItem } from '../../src/store/objects.ts';
import type { RowDetail } from '../../src/store/rows.ts';
import { BoxLegend, type Card, CardGrid, Thumb } from './cards.tsx';
import { num, pct, runPath } from './layout.tsx';
import { LabelHistory, RelabelControl, relabelOffer } from './relabel.tsx';
import { TopK } from './topk.tsx';

export function RowPage({
  detail,
  run,
  main,
  similar,
  similarNote,
  batches,
  objects = null,
}: {
  detail: RowDetail;
  /** The run the page looks at (boxes, similar rows), when there is one. */
  run: { id: number; name: string; kind: string } | null;
  main: Card;
  similar: Card[];
  similarNote: string | null;
  batches: string[];
  /** Detection: every box of the row at IoU 0.5 with its match, and the object the link came from. */
  objects?: { items: ObjectItem[]; current: number | null; classNames: string[] } | null;
}) {
  const { row } = detail;
  return (
    <>
      <h1>
        Row {row.id} <span class="muted">in {row.dataset}</span>
      </h1>
      <div class="row-page">
        <figure class="row-media">
          <Thumb card={main} large />
          {row.kind === 'detection' ? <BoxLegend /> : null}
        </figure>
        <section class="row-facts" data-run={run?.name ?? ''} data-run-id={run ? String(run.id) : ''}>
          <section class="gallery" data-run={run?.name ?? ''} data-run-id={run ? String(run.id) : ''}>
            <div class="actionbar single" data-rows={String(row.rowId)}>
              <button type="button" data-action="approve">
                Approve
              </button>
              <button type="button" data-action="rework">
                Send to rework
              </button>
              <output class="status" />
            </div>
          </section>
          <p>
            {row.labeled ? 'labeled' : 'unlabeled'} · tags:{' '}
            {detail.tags.length ? detail.tags.map((t) => <span class="tag">{t}</span>) : 'none'}
          </p>
          {objects ? <BoxList {...objects} /> : null}
          <RowCorrections detail={detail} />
          <h2>Labels</h2>
          {detail.annotations.length === 0 ? (
            <p class="muted">No ground truth.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>label</th>
                  <th>box (x, y, w, h)</th>
                </tr>
              </thead>
              <tbody>
                {detail.annotations.map((a) => (
                  <tr>
                    <td class="label">{a.labelName}</td>
                    <td>{a.x === null ? '–' : [a.x, a.y, a.w, a.h].map((v) => num(v, 1)).join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <TopK detail={detail} runId={run?.id ?? null} />
          <h2>Predictions</h2>
          {detail.predictions.length === 0 ? (
            <p class="muted">No predictions.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>run</th>
                  <th>prediction</th>
                  <th class="num">score</th>
                  <th>box (x, y, w, h)</th>
                </tr>
              </thead>
              <tbody>
                {detail.predictions.map((p) => (
                  <tr>
                    <td>
                      <a href={runPath(p.run)}>{p.run}</a>
                    </td>
                    <td class="pred">{p.labelName}</td>
                    <td class="num">{pct(p.score)}</td>
                    <td>{p.x === null ? '–' : [p.x, p.y, p.w, p.h].map((v) => num(v, 1)).join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Flags</h2>
          {detail.flags.length === 0 ? (
            <p class="muted">No suspected label errors.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>run</th>
                  <th>kind</th>
                  <th>given → suggested</th>
                  <th class="num">score</th>
                  <th>evidence</th>
                </tr>
              </thead>
              <tbody>
                {detail.flags.map((f) => (
                  <tr>
                    <td>{f.run}</td>
                    <td>{f.kind}</td>
                    <td>
                      {f.givenName ?? '–'} → {f.suggestedName ?? '–'}
                    </td>
                    <td class="num">{num(f.score)}</td>
                    <td>{f.evidence}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Decisions</h2>
          {detail.history.length === 0 ? (
            <p class="muted">No decisions yet.</p>
          ) : (
            <ol class="history">
              {detail.history.map((h) => (
                <li>
                  <strong>{h.decision}</strong> by {h.actorName ?? h.actor} via {h.source} on{' '}
                  {h.at.toISOString().slice(0, 16).replace('T', ' ')}
                  {h.note ? <> — {h.note}</> : null}
                </li>
              ))}
            </ol>
          )}
          <LabelHistory rowId={row.rowId} lines={detail.corrections} classes={detail.classNames} />
        </section>
      </div>
      <h2>Similar rows</h2>
      {similarNote ? <p class="muted">{similarNote}</p> : null}
      {similar.length ? <CardGrid cards={similar} run={run?.name} runId={run?.id} batches={batches} /> : null}
    </>
  );
}

/** Every box of the image at IoU 0.5: each matched pair once, each false positive, each miss. */
function BoxList({
  items,
  current,
  classNames,
}: {
  items: ObjectItem[];
  current: number | null;
  classNames: string[];
}) {
  const name = (i: number | null) => (i === null ? '–' : (classNames[i] ?? String(i)));
  const box = (b: ObjectItem['gtBox']) => (b ? [b.x, b.y, b.w, b.h].map((v) => num(v, 1)).join(', ') : '–');
  return (
    <>
      <h2>Boxes at IoU 0.5</h2>
      {items.length === 0 ? (
        <p class="muted">No boxes evaluated in this run.</p>
      ) : (
        <table class="boxes">
          <thead>
            <tr>
              <th>outcome</th>
              <th>label</th>
              <th>prediction</th>
              <th class="num">score</th>
              <th class="num">IoU</th>
              <th>annotation</th>
              <th>box (x, y, w, h)</th>
            </tr>
          </thead>
          <tbody>
            {items.map((o) => (
              <tr
                class={o.id === current ? 'current' : ''}
                data-object={String(o.id)}
                aria-current={o.id === current ? 'true' : undefined}
              >
                <td>
                  {o.kind} <span class={`badge type-${o.type}`}>{o.type}</span>
                </td>
                <td class="label">{name(o.gtLabel)}</td>
                <td class="pred">{name(o.predLabel)}</td>
                <td class="num">{pct(o.score)}</td>
                <td class="num">{o.iou.toFixed(2)}</td>
                <td>{o.annotation ?? '–'}</td>
                <td>{box(o.predBox ?? o.gtBox)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Relabel controls of a row: its label (classification), or each flagged box and missed object. */
function RowCorrections({ detail }: { detail: RowDetail }) {
  const seen = new Set<string>();
  const offers =
    detail.row.kind === 'classification'
      ? [
          relabelOffer(detail.classNames, {
            kind: 'label',
            suggested: detail.flags.find((f) => f.kind === 'label')?.suggestedName ?? null,
            annId: null,
            predId: null,
          }),
        ]
      : detail.flags
          .map((f) => relabelOffer(detail.classNames, { ...f, suggested: f.suggestedName }))
          .filter((o) => {
            const key = o ? JSON.stringify(o) : '';
            if (!o || seen.has(key)) return false;
            seen.add(key);
            return true;
          });
  if (!offers.length) return null;
  return (
    <div class="row-relabel">
      {offers.map((o) => (o ? <RelabelControl rowId={detail.row.rowId} offer={o} /> : null))}
    </div>
  );
}
