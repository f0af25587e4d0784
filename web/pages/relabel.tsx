import type { CorrectionLine } from '../../src/store/corrections.ts';

/**
 * What a card offers to correct: a classification row's label (`row`), a flagged box (`box`:
 * change its class or delete it), or a missed object the model found (`missed`: accept the
 * prediction as a new box). `suggested` is the class the findings propose.
 */
export type RelabelOffer =
  | { kind: 'row'; suggested: string | null; classes: string[] }
  | { kind: 'box'; annId: number; suggested: string | null; classes: string[] }
  | { kind: 'missed'; predId: number; suggested: string | null };

/**
 * The correction offer of a suspected mislabel, from its flag: a classification flag relabels the
 * row; a box flag changes or deletes the flagged box; an overlooked object adds the predicted box.
 *
 * @example
 * relabelOffer(run.classNames, { kind: 'label', suggested: '7', annId: null, predId: null });
 */
export function relabelOffer(
  classes: string[],
  flag: { kind: string; suggested: string | null; annId: number | null; predId: number | null },
): RelabelOffer | undefined {
  if (flag.kind === 'label') return { kind: 'row', suggested: flag.suggested, classes };
  if (flag.annId !== null) return { kind: 'box', annId: flag.annId, suggested: flag.suggested, classes };
  if (flag.predId !== null) return { kind: 'missed', predId: flag.predId, suggested: flag.suggested };
  return undefined;
}

function ClassPicker({ classes, op, label }: { classes: string[]; op: string; label: string }) {
  return (
    <select class="relabel-pick" data-op={op} aria-label={label}>
      <option value="">{label}</option>
      {classes.map((c) => (
        <option value={c}>{c}</option>
      ))}
    </select>
  );
}

/**
 * Buttons that correct a row's labels in place (the board's script posts them to
 * /api/corrections and offers an undo). Shown on mislabel cards and on the row page.
 *
 * @example
 * <RelabelControl rowId={12} offer={{ kind: 'row', suggested: '7', classes }} />
 */
export function RelabelControl({ rowId, offer }: { rowId: number; offer: RelabelOffer }) {
  const target =
    offer.kind === 'box'
      ? { 'data-ann': String(offer.annId) }
      : offer.kind === 'missed'
        ? { 'data-pred': String(offer.predId) }
        : {};
  return (
    <div class="relabel" data-row={String(rowId)} {...target}>
      {offer.kind === 'row' ? (
        <>
          {offer.suggested ? (
            <button type="button" data-op="relabel" data-label={offer.suggested}>
              Relabel as {offer.suggested}
            </button>
          ) : null}
          <ClassPicker classes={offer.classes} op="relabel" label="Relabel as…" />
        </>
      ) : offer.kind === 'box' ? (
        <>
          {offer.suggested ? (
            <button type="button" data-op="box-class" data-label={offer.suggested}>
              Change box to {offer.suggested}
            </button>
          ) : null}
          <ClassPicker classes={offer.classes} op="box-class" label="Change box to…" />
          <button type="button" data-op="box-delete">
            Delete box
          </button>
        </>
      ) : (
        <button type="button" data-op="box-add" data-label={offer.suggested ?? ''}>
          Add missed box{offer.suggested ? ` as ${offer.suggested}` : ''}
        </button>
      )}
      <output class="relabel-status" />
    </div>
  );
}

const when = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

function describe(line: CorrectionLine, classes: string[]): string {
  const name = (i: number | null) => (i === null ? 'none' : (classes[i] ?? String(i)));
  return line.changes
    .map((c) => {
      const what = c.annKey === 'label' ? 'label' : `box ${c.annKey}`;
      if (c.oldLabel === null) return `${what} added as ${name(c.newLabel)}`;
      if (c.newLabel === null) return `${what} ${name(c.oldLabel)} deleted`;
      return `${what} ${name(c.oldLabel)} → ${name(c.newLabel)}`;
    })
    .join('; ');
}

/**
 * A row's corrections, oldest first, each with its label version, who, when and what changed;
 * the newest correction still in force has an Undo button.
 */
export function LabelHistory({
  rowId,
  lines,
  classes,
}: {
  rowId: number;
  lines: CorrectionLine[];
  classes: string[];
}) {
  const undoable = [...lines].reverse().find((l) => l.decision === 'relabel' && !l.undone);
  return (
    <section class="label-history" data-row={String(rowId)}>
      <h2>Label history</h2>
      {lines.length === 0 ? (
        <p class="muted">No corrections: the labels are as ingested.</p>
      ) : (
        <ol class="history">
          {lines.map((l) => (
            <li class={l.undone ? 'undone' : undefined}>
              <strong>{l.decision === 'relabel' ? 'relabeled' : 'undone'}</strong> (labels v{l.version}) by{' '}
              {l.actorName ?? l.actor} via {l.source} on {when(l.at)}: {describe(l, classes)}
              {l.undone ? <span class="muted"> (undone)</span> : null}
              {l === undoable ? (
                <>
                  {' '}
                  <button type="button" class="undo" data-undo={String(rowId)}>
                    Undo
                  </button>
                </>
              ) : null}
            </li>
          ))}
        </ol>
      )}
      <output class="relabel-status" />
    </section>
  );
}

/**
 * The board's "export labels to retrain" form: a download of the dataset's labels in the form
 * they came in (same as `loupe export labels`).
 */
export function ExportLabelsForm({
  run,
  kind,
  version,
}: {
  run: string;
  kind: 'classification' | 'detection';
  version: number;
}) {
  const formats = kind === 'detection' ? ['coco'] : ['npy', 'csv'];
  return (
    <form class="export-labels" method="get" action={`/runs/${encodeURIComponent(run)}/labels/export`}>
      <label>
        format{' '}
        <select name="format">
          {formats.map((f) => (
            <option value={f}>{f}</option>
          ))}
        </select>
      </label>{' '}
      <label>
        version <input type="number" name="version" min="1" max={String(version)} value={String(version)} />
      </label>{' '}
      <label>
        <input type="checkbox" name="only_changed" value="1" /> only changed
      </label>{' '}
      <button type="submit">Download labels</button>
    </form>
  );
}
