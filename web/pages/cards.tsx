import { mediaThumbPath } from '../../src/media/urls.ts';
import { type BoxPair, BoxCrop } from './box-crop.tsx';
import { pct } from './layout.tsx';
import { type RelabelOffer, RelabelControl } from './relabel.tsx';

export interface Box {
  kind: 'gt' | 'pred';
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
  score?: number | null;
}

/** One row as a gallery shows it. */
export interface Card {
  rowId: number;
  id: string;
  /** The stored image reference (see src/media/refs.ts); pages ask the media module for its URL. */
  imageUrl: string | null;
  /** The row's text (text datasets), shown where an image would be. */
  text?: string | null;
  width: number | null;
  height: number | null;
  label: string | null;
  predicted: string | null;
  confidence: number | null;
  iou: number | null;
  /** Label quality (classification findings; lower = more likely mislabeled). */
  labelQuality?: number | null;
  /** Why the row is here, in words ("model 97% sure this is a 7; labeled 1"). */
  reason?: string;
  score?: { name: string; value: number } | null;
  decision?: { decision: string; actor: string; actorName: string | null } | null;
  tags?: string[];
  boxes?: Box[];
  /** Detection flags: the flagged box and the prediction contradicting it, drawn as a crop. */
  focus?: BoxPair;
  /** Detection: the image's tp/fp/fn at the IoU threshold. */
  objects?: { tp: number; fp: number; fn: number };
  /** Detection: what the worst object is (label, pred, conf and IoU above are its own). */
  worst?: { kind: 'tp' | 'fp' | 'fn'; type: string };
  /** Suspected mislabels: the correction the card offers (relabel, change/delete a box, add a missed one). */
  relabel?: RelabelOffer;
}

/** Characters of a row's text a card shows. */
const CARD_TEXT_CHARS = 280;

/**
 * The image, with its boxes drawn by an SVG laid over it (both scale to fit the same square, so
 * the boxes stay on their objects); the row's text when it has no image; nothing when it has
 * neither, so rows without media make compact cards instead of empty squares.
 */
export function Thumb({ card, large = false }: { card: Card; large?: boolean }) {
  const src = mediaThumbPath({ rowId: card.rowId, imageUrl: card.imageUrl }, large ? 512 : 256);
  const cls = large ? 'thumb large' : 'thumb';
  if (!src) {
    if (!card.text) return null;
    const text =
      large || card.text.length <= CARD_TEXT_CHARS ? card.text : `${card.text.slice(0, CARD_TEXT_CHARS)}…`;
    return <blockquote class={large ? 'row-text large' : 'row-text'}>{text}</blockquote>;
  }
  if (card.focus && !large && (card.focus.gtBox || card.focus.predBox))
    return (
      <BoxCrop
        rowId={card.rowId}
        imageUrl={card.imageUrl}
        width={card.width}
        height={card.height}
        pair={card.focus}
        label={`flagged box on row ${card.id}`}
      />
    );
  const boxes = card.boxes ?? [];
  const img = <img class={cls} src={src} alt={`row ${card.id}`} loading="lazy" />;
  if (boxes.length === 0 || !card.width || !card.height) return img;
  const stroke = Math.max(1, Math.round(Math.max(card.width, card.height) / (large ? 300 : 120)));
  return (
    <div class={`${cls} boxed`}>
      {img}
      <svg
        class="boxes"
        viewBox={`0 0 ${card.width} ${card.height}`}
        role="img"
        aria-label={`row ${card.id} with ${boxes.length} boxes`}
      >
        {boxes.map((b) => (
          <rect
            class={b.kind === 'gt' ? 'box-gt' : 'box-pred'}
            x={String(b.x)}
            y={String(b.y)}
            width={String(b.w)}
            height={String(b.h)}
            stroke-width={String(stroke)}
          >
            <title>
              {b.kind === 'gt' ? `label ${b.label}` : `prediction ${b.label} ${pct(b.score ?? null, 0)}`}
            </title>
          </rect>
        ))}
      </svg>
    </div>
  );
}

export function BoxLegend() {
  return (
    <p class="legend">
      <span class="swatch gt" /> ground truth (solid) <span class="swatch pred" /> prediction (dashed)
    </p>
  );
}

const DECIDED: Record<string, string> = {
  approve: 'approved',
  rework: 'sent to rework',
  dismiss: 'dismissed',
  relabel: 'relabeled',
  revert: 'relabel undone',
};

export function CardView({ card, run }: { card: Card; run?: string }) {
  const href = run ? `/rows/${card.rowId}?run=${encodeURIComponent(run)}` : `/rows/${card.rowId}`;
  return (
    <article
      class={mediaThumbPath(card) || card.text ? 'card' : 'card nomedia'}
      data-row={String(card.rowId)}
      data-id={card.id}
    >
      <label class="pick">
        <input type="checkbox" class="pick" value={String(card.rowId)} aria-label={`select row ${card.id}`} />
        <span>#{card.id}</span>
      </label>
      <a href={href} class="thumb-link">
        <Thumb card={card} />
      </a>
      <dl>
        <dt>label</dt>
        <dd class="label">{card.label ?? '–'}</dd>
        <dt>pred</dt>
        <dd class="pred">{card.predicted ?? '–'}</dd>
        <dt>conf</dt>
        <dd class="conf">{pct(card.confidence)}</dd>
        {card.iou !== null ? (
          <>
            <dt>IoU</dt>
            <dd class="iou">{card.iou.toFixed(2)}</dd>
          </>
        ) : null}
        {card.labelQuality != null ? (
          <>
            <dt>quality</dt>
            <dd class="quality" title="label quality: lower means more likely mislabeled">
              {card.labelQuality.toFixed(2)}
            </dd>
          </>
        ) : null}
        {card.score ? (
          <>
            <dt>{card.score.name}</dt>
            <dd class="score">{card.score.value.toFixed(3)}</dd>
          </>
        ) : null}
      </dl>
      {card.objects ? (
        <p class="objects">
          <span class="n-tp">{card.objects.tp} tp</span> · <span class="n-fp">{card.objects.fp} fp</span> ·{' '}
          <span class="n-fn">{card.objects.fn} fn</span>
          {card.worst ? (
            <>
              {' '}
              · worst{' '}
              <span class={`badge type-${card.worst.type}`}>
                {card.worst.kind === 'tp' ? 'ok' : card.worst.type}
              </span>
            </>
          ) : null}
        </p>
      ) : null}
      {card.reason ? <p class="reason">{card.reason}</p> : null}
      {card.relabel ? <RelabelControl rowId={card.rowId} offer={card.relabel} /> : null}
      {card.decision ? (
        <p class={`decision ${card.decision.decision}`}>
          {DECIDED[card.decision.decision] ?? card.decision.decision} by{' '}
          {card.decision.actorName ?? card.decision.actor}
        </p>
      ) : null}
      {card.tags?.length ? (
        <p class="tags">
          {card.tags.map((t) => (
            <span class="tag">{t}</span>
          ))}
        </p>
      ) : null}
    </article>
  );
}

/**
 * The selectable grid with its action bar; the client script wires checkboxes (shift-click
 * ranges, select all on page) to the buttons, which POST to the JSON API.
 */
/**
 * The selection toolbar of a gallery: approve, rework, add to a batch, find similar. The board's
 * script finds its buttons by `data-action`, whatever the cards are (rows or objects).
 *
 * @example
 * <ActionBar batches={['week-12']} similar label="actions on selected rows" />
 */
export function ActionBar({
  batches,
  similar,
  label,
}: {
  batches: string[];
  similar: boolean;
  label: string;
}) {
  return (
    <div class="actionbar" role="toolbar" aria-label={label}>
      <label>
        <input type="checkbox" class="select-all" /> select all on page
      </label>
      <span class="count">0 selected</span>
      <button type="button" data-action="approve" disabled>
        Approve
      </button>
      <button type="button" data-action="rework" disabled>
        Send to rework
      </button>
      <input
        type="text"
        class="batch-name"
        list="batch-names"
        placeholder="batch name"
        maxlength={200}
        aria-label="batch name"
      />
      <datalist id="batch-names">
        {batches.map((b) => (
          <option value={b} />
        ))}
      </datalist>
      <button type="button" data-action="batch" disabled>
        Add to batch…
      </button>
      {similar ? (
        <button type="button" data-action="similar" disabled>
          Find similar
        </button>
      ) : null}
      <output class="status" />
    </div>
  );
}

export function CardGrid({
  cards,
  run,
  runId,
  batches = [],
  actions = true,
}: {
  cards: Card[];
  run?: string;
  runId?: number;
  batches?: string[];
  actions?: boolean;
}) {
  return (
    <section class="gallery" data-run={run ?? ''} data-run-id={runId ? String(runId) : ''}>
      {actions ? (
        <ActionBar batches={batches} similar={Boolean(run)} label="actions on selected rows" />
      ) : null}
      {cards.length === 0 ? <p class="empty">No rows match this view.</p> : null}
      <div class="grid">
        {cards.map((card) => (
          <CardView card={card} run={run} />
        ))}
      </div>
    </section>
  );
}
