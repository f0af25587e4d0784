import type { Batch, BatchItem } from '../../src/store/batches.ts';
import type { ReworkItem } from '../../src/store/reviews.ts';
import { type Card, CardGrid } from './cards.tsx';
import { Pager } from './gallery.tsx';

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '–');
export const batchPath = (name: string) => `/batches/${encodeURIComponent(name)}`;

export function BatchesPage({ batches }: { batches: (Batch & { size: number })[] }) {
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
  csrf,
  cards,
}: {
  batch: Batch & { items: BatchItem[] };
  csrf: string;
  cards: Card[];
}) {
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
      <p class="buttons">
        <a class="button" href={`${path}/export.csv`} download>
          Export CSV
        </a>
        <a class="button" href={`${path}/export.json`} download>
          Export JSON
        </a>
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
