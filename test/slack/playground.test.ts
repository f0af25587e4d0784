import { Hono } from 'hono';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSlackHandler } from '../../bot/index.ts';
import { listRework } from '../../src/store/reviews.ts';
import { decisionHistory } from '../../src/store/reviews.ts';
import { createPlaygroundRoutes } from '../../web/playground.tsx';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { seedRun } from './harness.ts';

describeEachDriver('playground', (ctx) => {
  let app: Hono;
  let rowIds: number[];
  beforeAll(async () => {
    const deps = testDeps(ctx().database);
    ({ rowIds } = await seedRun(deps, 'pg-run'));
    const slack = createSlackHandler(deps);
    expect(slack.mode).toBe('off');
    app = new Hono();
    app.route('/playground', createPlaygroundRoutes(deps, slack.playground));
  });
  afterAll(() => {});

  const post = async (path: string, body: unknown) => {
    const res = await app.request(`/playground${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      doc: (await res.json()) as {
        messages: { id: string; replaced: boolean; html: string }[];
        error?: string;
      },
    };
  };

  it('mislabels → Send to rework on the first item → the message updates and the row is in the rework queue', async () => {
    const { status, doc } = await post('/command', { text: 'mislabels' });
    expect(status).toBe(200);
    const [msg] = doc.messages;
    expect(msg.html).toContain('Suspected label mistakes');
    expect(msg.html).toContain('Only visible to you');
    expect(msg.html).toContain('&lt;!channel&gt;'); // escaped class name shown as text, not a ping
    const button =
      /<button[^>]*data-action-id="review:rework"[^>]*data-value="([^"]+)"[^>]*data-block-id="([^"]+)"/.exec(
        msg.html,
      );
    expect(button).not.toBeNull();
    const [, value, blockId] = button as RegExpExecArray;
    const clicked = await post('/action', { messageId: msg.id, actionId: 'review:rework', value, blockId });
    expect(clicked.status).toBe(200);
    const updated = clicked.doc.messages.find((m) => m.id === msg.id);
    expect(updated?.replaced).toBe(true);
    expect(updated?.html).toContain('Sent to rework by');
    const rowId = Number(value.split(':')[0]);
    expect(rowIds).toContain(rowId);
    const { items } = await listRework(ctx().database.db);
    expect(items.map((i) => i.rowId)).toContain(rowId);
    const [decision] = await decisionHistory(ctx().database.db, rowId);
    expect(decision).toMatchObject({ decision: 'rework', actor: 'local', source: 'slack' });

    const again = await post('/action', { messageId: msg.id, actionId: 'review:rework', value, blockId });
    expect(again.doc.messages.map((m) => m.html).join()).toContain('already sent to rework by');
    expect(await decisionHistory(ctx().database.db, rowId)).toHaveLength(1);
  });

  it('serves the page, its same-origin script, and refuses malformed requests', async () => {
    const page = await (await app.request('/playground')).text();
    expect(page).toContain('<script src="/playground/app.js"');
    expect(page).toContain('id="pg-form"');
    const js = await app.request('/playground/app.js');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await post('/command', { nope: 1 })).status).toBe(400);
    expect(
      (await post('/action', { messageId: 'gone', actionId: 'review:approve', value: '1:' })).status,
    ).toBe(409);
  });
});
