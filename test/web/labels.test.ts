import { beforeAll, expect, it } from 'vitest';
import { parseNpyHeader } from '../../src/ingest/npy.ts';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { type BoardFixture, insertBoardFixture } from './fixtures.ts';

const csrfOf = (html: string) => /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';

describeEachDriver('board label corrections and export', (ctx) => {
  let app: ReturnType<typeof createWebApp>;
  let fx: BoardFixture;
  let csrf = '';
  const get = (path: string) => app.request(path);
  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, origin: 'http://localhost' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    fx = await insertBoardFixture(ctx().database.db);
    app = createWebApp(testDeps(ctx().database));
    csrf = csrfOf(await (await get('/')).text());
  });

  it('offers "Relabel as <suggested>" and a class picker on a mislabel card', async () => {
    const html = await (await get('/runs/cls-run/mislabels')).text();
    expect(html).toContain(`<div class="relabel" data-row="${fx.rowIds[5]}">`);
    expect(html).toContain('data-op="relabel" data-label="cat">Relabel as cat</button>');
    expect(html).toContain('<option value="">Relabel as…</option><option value="cat">cat</option>');
    expect(html).toContain('src="/static/relabel.js"');
  });

  it('relabels, shows the history on the row page, undoes, and refuses bad bodies', async () => {
    const r = await post('/api/corrections', {
      rowId: fx.rowIds[5],
      runId: fx.runId,
      op: 'relabel',
      label: 'cat',
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      ok: true,
      recorded: true,
      version: 2,
      label: 'cat',
      message: 'Relabeled as cat (labels v2)',
    });
    const again = await (
      await post('/api/corrections', { rowId: fx.rowIds[5], op: 'relabel', label: 'cat' })
    ).json();
    expect(again).toMatchObject({ recorded: false, message: 'Already labeled that way: nothing changed.' });
    // A relabeled row has left the mislabel queue.
    expect(await (await get('/runs/cls-run/mislabels')).text()).not.toContain(`data-row="${fx.rowIds[5]}"`);
    const page = await (await get(`/rows/${fx.rowIds[5]}?run=cls-run`)).text();
    expect(page).toContain('<strong>relabeled</strong> (labels v2) by local via board');
    expect(page).toMatch(/label &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; → cat/);
    expect(page).toContain(`data-undo="${fx.rowIds[5]}"`);
    const undo = await (await post('/api/corrections/undo', { rowId: fx.rowIds[5] })).json();
    expect(undo.message).toBe('Undone: Relabeled as <script>alert("x")</script> (labels v3)');
    const after = await (await get(`/rows/${fx.rowIds[5]}?run=cls-run`)).text();
    expect(after).toContain('<li class="undone">');
    expect(after).not.toContain('data-undo=');
    const bad = [
      [{ rowId: fx.rowIds[0], op: 'relabel', label: 'horse' }, 400, 'class "horse" is not a class'],
      [{ rowId: fx.rowIds[0], op: 'rename', label: 'cat' }, 400, 'op must be one of'],
      [{ rowId: 'x', op: 'relabel', label: 'cat' }, 400, 'rowId must be a positive whole number'],
      [{ rowId: 999999, op: 'relabel', label: 'cat' }, 404, 'no row with id 999999'],
      [{ rowId: fx.rowIds[0], op: 'box-delete', annId: 999999 }, 409, 'has no box with id 999999'],
    ] as const;
    for (const [body, status, error] of bad) {
      const res = await post('/api/corrections', body);
      expect(res.status).toBe(status);
      expect((await res.json()).error).toContain(error);
    }
  });

  it('downloads the labels of a version as .npy and only the changes as CSV', async () => {
    await post('/api/corrections', { rowId: fx.rowIds[1], op: 'relabel', label: 'dog' });
    const res = await get('/runs/cls-run/labels/export?format=npy');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="cls-run-ds-labels-v4.npy"');
    const body = Buffer.from(await res.arrayBuffer());
    const header = parseNpyHeader(body, 'labels.npy');
    expect(header.shape).toEqual([8]);
    const labels = Array.from(new BigInt64Array(body.buffer.slice(header.dataOffset)), Number);
    expect(labels).toEqual([0, 1, 1, 1, 2, 2, -1, -1]);
    const csv = await (await get('/runs/cls-run/labels/export?format=csv&only_changed=1')).text();
    expect(csv).toBe('id,old_label,label\nr1,cat,dog\n');
    const v1 = await (await get('/runs/cls-run/labels/export?format=csv&version=1')).text();
    expect(v1.split('\n')[2]).toBe('r1,cat');
    expect((await get('/runs/cls-run/labels/export?format=coco')).status).toBe(400);
    expect((await get('/runs/cls-run/labels/export?format=npy&version=9')).status).toBe(409);
  });
});
