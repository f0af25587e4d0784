import { Hono } from 'hono';
import type { Deps } from '../../src/deps.ts';
import { listRework } from '../../src/store/reviews.ts';
import type { BoardEnv } from '../env.ts';
import { ReworkPage } from '../pages/batches.tsx';
import type { Card } from '../pages/cards.tsx';
import { parseCursor, parseLimit } from '../params.ts';
import { renderPage } from '../render.tsx';
import { withQuery } from '../safe-url.ts';
import { decorate } from '../views.ts';
import type { PageOptions } from './page.ts';

/**
 * The rework queue: rows sent back for re-labeling, with who sent them and why.
 *
 * @example
 * app.route('/', createReworkRoutes(deps));
 */
export function createReworkRoutes(deps: Deps, { playground = false }: PageOptions = {}) {
  const app = new Hono<BoardEnv>();
  app.get('/rework', async (c) => {
    const cursor = parseCursor(c.req.query('cursor'));
    const page = await listRework(deps.db, { limit: parseLimit(c.req.query('limit')), cursor });
    const cards: Card[] = page.items.map((it) => ({
      rowId: it.rowId,
      id: it.id,
      imageUrl: it.imageUrl,
      width: null,
      height: null,
      label: it.label,
      predicted: null,
      confidence: null,
      iou: null,
      reason: reworkReason(it),
    }));
    return renderPage(
      c,
      { title: 'Rework queue', playground },
      <ReworkPage
        items={page.items}
        total={page.total}
        next={page.nextCursor ? withQuery('/rework', { cursor: page.nextCursor }) : null}
        cards={await decorate(deps, null, cards)}
      />,
    );
  });
  return app;
}

/** What a re-labeler reads on a rework card: the suggested class, who sent the row back, and their note. */
function reworkReason(it: {
  suggested: string | null;
  actor: string;
  actorName: string | null;
  note: string | null;
}) {
  const suggested = it.suggested ? `suggested ${it.suggested} · ` : '';
  return `${suggested}sent by ${it.actorName ?? it.actor}${it.note ? `: ${it.note}` : ''}`;
}
