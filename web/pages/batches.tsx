import type { LabelImportReport } from '../../src/import/labels.ts';
import type { BatchProgress, BatchRowState } from '../../src/store/batch-work.ts';
import type { Batch, BatchItem } from '../../src/store/batches.ts';
import type { ReworkItem } from '../../src/store/reviews.ts';
import { type Card, CardGrid } from './cards.tsx';
import { Pager } from './gallery.tsx';

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '–');
export const batchPath = (name: string) => `/batches/${encodeURIComponent(name)}`;

/** A row's state on its card: where the labeling of it stands. */
export const ROW_STATE_TEXT: Record<BatchRowState, string> = {
  pending: 'to do',
  decided: 'decided since the batch was made',
  labeled: 'new label since the batch was made',
};

/** Done / size as a bar and words: `3/4 done (in progress)`. */
function Progress({ p }: { p: BatchProgress | undefined }) {
  if (!p) return <>–</>;
  const pct = p.size ? Math.round((p.progressed / p.size) * 100) : 0;
  return (
    <span class="progress" data-state={p.state}>
      <progress max={p.size || 1} value={p.progressed} aria-label={`${pct}% done`} /> {p.progressed}/{p.size}{' '}
      done ({p.state})
    </span>
  );
}

export function BatchesPage({
  batches,
  progress = [],
}: {
  batches: (Batch & { size: number })[];
  progress?: BatchProgress[];
}) {
  const byId = new Map(progress.map((p) => [p.id, p]));
  return (
    <>
      <h1>Batches</h1>
      {batches.length === 0 ? (
        <p class="empty">No batches yet. Select rows in any gallery and use “Add to batch…”.</p>
      ) : (
        <table class="sortable">
          <thead>
            <tr>
              <th>name</th>
              <th>status</th>
              <th class="num">rows</th>
              <th>progress</th>
              <th>owner</th>
              <th>due</th>
              <th>created by</th>
              <th>created</th>
              <th>closed</th>
            </tr>
          </thead>
          <tbody>
            {batches.map((b) => (
              <tr>
                <td>
                  <a href={batchPath(b.name)}>{b.name}</a>
                </td>
                <td>{b.status}</td>
                <td class="num">{b.size}</td>
                <td>
                  <Progress p={byId.get(b.id)} />
                </td>
                <td>{b.owner ?? '–'}</td>
                <td>{b.dueOn ?? '–'}</td>
                <td>{b.createdBy ?? '–'}</td>
                <td>{day(b.createdAt)}</td>
                <td>{day(b.closedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function BatchPage({
  batch,
  progress,
  states = new Map(),
  csrf,
  cards,
}: {
  batch: Batch & { items: BatchItem[] };
  progress?: BatchProgress;
  states?: Map<number, BatchRowState>;
  csrf: string;
  cards: Card[];
}) {
  const counts = { pending: 0, decided: 0, labeled: 0 };
  for (const it of batch.items) counts[states.get(it.rowId) ?? 'pending']++;
  const path = batchPath(batch.name);
  return (
    <>
      <h1>
        Batch {batch.name} <span class={`status ${batch.status}`}>{batch.status}</span>
      </h1>
      <p>
        {batch.items.length} row{batch.items.length === 1 ? '' : 's'} · created by {batch.createdBy ?? '–'} on{' '}
        {day(batch.createdAt)}
        {batch.closedAt ? ` · closed ${day(batch.closedAt)}` : ''}
      </p>
      <p class="batch-work">
        <Progress p={progress} /> · owner {batch.owner ?? 'nobody yet'}
        {batch.dueOn ? ` · due ${batch.dueOn}` : ''} · {counts.labeled} newly labeled, {counts.decided}{' '}
        decided, {counts.pending} to do
      </p>
      <p class="buttons">
        <a class="button" href={`${path}/export.csv`} download>
          Export CSV
        </a>
        <a class="button" href={`${path}/export.json`} download>
          Export JSON
        </a>
        <a class="button" href={`${path}/export.labelstudio`} download>
          Label Studio tasks
        </a>
        <a class="button" href={`${path}/export.cvat`} download>
          CVAT 1.1 XML
        </a>
        <a class="button" href={`${path}/export.coco`} download>
          COCO
        </a>
        {batch.status === 'open' ? (
          <form method="post" action={`${path}/import`} class="inline import" enctype="multipart/form-data">
            <input type="hidden" name="_csrf" value={csrf} />
            <select name="tool" aria-label="labeling tool">
              <option value="labelstudio">Label Studio JSON</option>
              <option value="cvat">CVAT 1.1 XML</option>
              <option value="coco">COCO</option>
            </select>
            <input type="file" name="file" aria-label="export file" accept=".json,.xml" />
            <button type="submit">Import labels</button>
          </form>
        ) : null}
        {batch.status === 'open' ? (
          <form method="post" action={`${path}/close`} class="inline">
            <input type="hidden" name="_csrf" value={csrf} />
            <button type="submit">Close batch</button>
          </form>
        ) : null}
      </p>
      <CardGrid cards={cards} actions={false} />
    </>
  );
}

export function ReworkPage({
  items,
  total,
  next,
  cards,
}: {
  items: ReworkItem[];
  total: number;
  next: string | null;
  cards: Card[];
}) {
  return (
    <>
      <h1>Rework queue</h1>
      <p class="muted">
        {total} row{total === 1 ? '' : 's'} tagged <code>re-label</code>, oldest first. Approving or
        dismissing a row takes it off the queue.
      </p>
      <CardGrid cards={cards} />
      {items.length ? (
        <p class="muted">
          Oldest sent {day(items[0].since)} by {items[0].actorName ?? items[0].actor}.
        </p>
      ) : null}
      <Pager href={next} />
    </>
  );
}

/** What an import of a labeling tool's export changed: the new label version, counts and a preview. */
export function ImportReportPage({ batch, report }: { batch: string; report: LabelImportReport }) {
  const c = report.counts;
  return (
    <>
      <h1>Labels imported into {report.dataset}</h1>
      <p class="import-summary">
        {report.created
          ? `Label version ${report.version}: ${c.changedRows} row${c.changedRows === 1 ? '' : 's'} changed`
          : `No label changed (still version ${report.version})`}{' '}
        from {report.file} ({report.tool}) · {c.covered} covered, {c.skipped} skipped · {c.relabeled}{' '}
        relabeled, {c.newlyLabeled} newly labeled, {c.boxClass} box classes changed, {c.boxDeleted} boxes
        deleted, {c.boxAdded} boxes added · {report.reworkDone} rework rows done
      </p>
      {report.preview.length ? (
        <table class="import-preview">
          <thead>
            <tr>
              <th>id</th>
              <th>before</th>
              <th>after</th>
            </tr>
          </thead>
          <tbody>
            {report.preview.slice(0, 100).map((p) => (
              <tr>
                <td>{p.id}</td>
                <td>{p.before}</td>
                <td>{p.after}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p>
        <a class="button" href={batchPath(batch)}>
          Back to batch {batch}
        </a>
      </p>
    </>
  );
}
