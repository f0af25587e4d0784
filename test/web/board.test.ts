import { beforeAll, describe, expect, it } from 'vitest';
import { createWebApp } from '../../web/app.ts';
import { saveProjection } from '../../src/store/projections.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { type BoardFixture, EVIL_CLASS, insertBoardFixture, insertDetectionFixture } from './fixtures.ts';

/** The external ids of the cards on a gallery page, in page order. */
const cardIds = (html: string) =>
  [...html.matchAll(/<article class="card( nomedia)?"[^>]*data-id="([^"]+)"/g)].map((m) => m[2]);
const csrfOf = (html: string) => /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';

describeEachDriver('board pages and API', (ctx) => {
  let app: ReturnType<typeof createWebApp>;
  let fx: BoardFixture;
  let det: Awaited<ReturnType<typeof insertDetectionFixture>>;
  let csrf = '';
  const get = (path: string) => app.request(path);
  const post = (path: string, body: unknown, token = csrf) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': token, origin: 'http://localhost' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    const db = ctx().database.db;
    fx = await insertBoardFixture(db);
    det = await insertDetectionFixture(db);
    app = createWebApp(testDeps(ctx().database));
    csrf = csrfOf(await (await get('/')).text());
  });

  describe('runs and overview', () => {
    it('lists each run with its kind and row counts', async () => {
      const res = await get('/');
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toMatch(
        /<a href="\/runs\/cls-run">cls-run<\/a><\/td><td>classification<\/td><td>cls-run-ds<\/td><td class="num">8<\/td><td class="num">6<\/td><td class="num">2<\/td>/,
      );
      expect(html).toContain('accuracy 50.0%');
      expect(html).toContain('AP 42.0%');
    });

    it('shows per-class metrics worst first with the class names escaped', async () => {
      const html = await (await get('/runs/cls-run')).text();
      const table = html.slice(html.indexOf('<table class="classes'), html.indexOf('</table>'));
      const order = [...table.matchAll(/<tr><td><a href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]);
      expect(order).toEqual(['cat', 'dog', '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;']);
      expect(html).not.toContain(EVIL_CLASS);
      expect(html).not.toMatch(/<script>(?!<)/);
      // Three charts: F1 bars, confusion heatmap, calibration.
      expect(html.match(/class="vega-chart"/g)).toHaveLength(3);
    });

    it('puts the gallery link of each confusion cell into the heatmap spec', async () => {
      const html = await (await get('/runs/cls-run')).text();
      const specs = [...html.matchAll(/data-spec="([^"]*)"/g)].map((m) =>
        JSON.parse(
          m[1]
            .replaceAll('&quot;', '"')
            .replaceAll('&lt;', '<')
            .replaceAll('&gt;', '>')
            .replaceAll('&amp;', '&'),
        ),
      );
      const heat = specs.find((s) => String(s.description).startsWith('Confusion'));
      const cell = heat.data.values.find(
        (v: { actual: string; predicted: string }) => v.actual === 'cat' && v.predicted === 'dog',
      );
      expect(cell).toMatchObject({ count: 1, rowShare: 0.5, correct: false });
      expect(cell.href).toBe(
        '/runs/cls-run/gallery?iou_lt=all&label=cat&predicted=dog&sort=confidence%3Aasc',
      );
      const bars = specs.find((s) => String(s.description).startsWith('F1'));
      expect(bars.data.values.map((v: { class: string }) => v.class)).toEqual(['cat', 'dog', EVIL_CLASS]);
    });

    it('draws the detection confusion with background', async () => {
      const html = await (await get('/runs/det-run')).text();
      expect(html).toContain('&quot;background&quot;');
      expect(html).toContain('AP50');
    });

    it('answers 404 for an unknown run', async () => {
      const res = await get('/runs/nope');
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('No run named &quot;nope&quot;');
    });
  });

  describe('gallery', () => {
    it('filters IoU < 0.5 and sorts by confidence ascending or descending', async () => {
      const asc = await (await get('/runs/cls-run/gallery?iou_lt=0.5&sort=confidence:asc')).text();
      expect(cardIds(asc)).toEqual(['r5', 'r3', 'r1']);
      expect(asc).toContain('3 rows match');
      const desc = await (await get('/runs/cls-run/gallery?iou_lt=0.5&sort=confidence:desc')).text();
      expect(cardIds(desc)).toEqual(['r1', 'r3', 'r5']);
    });

    it('pages with a keyset cursor carried in the URL along with the filter', async () => {
      const first = await (await get('/runs/cls-run/gallery?iou_lt=0.5&limit=2')).text();
      expect(cardIds(first)).toEqual(['r5', 'r3']);
      const next = /<a href="([^"]+)" rel="next">/.exec(first)?.[1].replaceAll('&amp;', '&');
      expect(next).toMatch(/^\/runs\/cls-run\/gallery\?iou_lt=0.5&sort=confidence%3Aasc&limit=2&cursor=/);
      const second = await (await get(next!)).text();
      expect(cardIds(second)).toEqual(['r1']);
      expect(second).not.toContain('rel="next"');
    });

    it('filters by label and prediction names, and by confusion cell with iou_lt=all', async () => {
      expect(cardIds(await (await get('/runs/cls-run/gallery?label=cat')).text())).toEqual(['r1']);
      expect(
        cardIds(await (await get('/runs/cls-run/gallery?iou_lt=all&label=cat&predicted=cat')).text()),
      ).toEqual(['r0']);
    });

    it('shows label, prediction and confidence under each classification thumbnail, and no IoU', async () => {
      const html = await (await get('/runs/cls-run/gallery?label=cat')).text();
      expect(html).toContain(
        '<dd class="label">cat</dd><dt>pred</dt><dd class="pred">dog</dd><dt>conf</dt><dd class="conf">60.0%</dd></dl>',
      );
      expect(html).not.toContain('class="iou"');
      expect(html).not.toContain('IoU &lt;');
    });

    it('filters classification rows by outcome and confidence; old iou_lt links still work', async () => {
      expect(cardIds(await (await get('/runs/cls-run/gallery')).text())).toEqual(['r5', 'r3', 'r1']);
      expect(cardIds(await (await get('/runs/cls-run/gallery?outcome=wrong')).text())).toEqual([
        'r5',
        'r3',
        'r1',
      ]);
      const right = cardIds(await (await get('/runs/cls-run/gallery?outcome=right')).text());
      const all = cardIds(await (await get('/runs/cls-run/gallery?outcome=all')).text());
      expect(right.length).toBeGreaterThan(0);
      expect(right.some((id) => ['r5', 'r3', 'r1'].includes(id))).toBe(false);
      expect(all.length).toBe(right.length + 3);
      expect(cardIds(await (await get('/runs/cls-run/gallery?outcome=all&iou_lt=0.5')).text())).toEqual([
        'r5',
        'r3',
        'r1',
      ]);
      const some = cardIds(await (await get('/runs/cls-run/gallery?conf_min=0.5&conf_max=0.7')).text());
      expect(some).toContain('r1'); // 60% sure
      expect((await get('/runs/cls-run/gallery?outcome=maybe')).status).toBe(400);
      expect((await get('/runs/cls-run/gallery?conf_min=2')).status).toBe(400);
    });

    it('never puts a javascript: image URL into the page', async () => {
      const html = await (await get('/runs/cls-run/gallery')).text();
      expect(cardIds(html)).toContain('r3');
      expect(html).not.toContain('javascript:');
      expect(html).toMatch(/<article class="card nomedia"[^>]*data-id="r3"/);
    });

    it('refuses bad filters with 400 naming the field', async () => {
      const bad = await get('/runs/cls-run/gallery?iou_lt=2');
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('iou_lt must be a number between 0 and 1');
      const cls = await get('/runs/cls-run/gallery?label=cta');
      expect(cls.status).toBe(400);
      expect(await cls.text()).toContain('did you mean &quot;cat&quot;');
      const sort = await get('/api/runs/cls-run/errors?sort=score');
      expect(sort.status).toBe(400);
      expect(await sort.json()).toEqual({
        error: 'sort must be confidence:asc or confidence:desc, got "score"',
        status: 400,
      });
      const cursor = await get('/api/runs/cls-run/errors?cursor=abc');
      expect(cursor.status).toBe(400);
    });

    it("keeps ' OR 1=1-- literal", async () => {
      const tag = await (
        await get(`/api/runs/cls-run/errors?tag=${encodeURIComponent("' OR 1=1--")}`)
      ).json();
      expect(tag).toMatchObject({ total: 0, items: [] });
      const label = await get(`/runs/cls-run/gallery?label=${encodeURIComponent("' OR 1=1--")}`);
      expect(label.status).toBe(400);
      const run = await get(`/runs/${encodeURIComponent("' OR 1=1--")}`);
      expect(run.status).toBe(404);
    });

    it('draws detection boxes in distinct styles with a legend', async () => {
      const html = await (await get('/runs/det-run/gallery?iou_lt=0.5')).text();
      expect(cardIds(html)).toEqual(['img1']);
      expect(html).toContain('viewBox="0 0 100 80"');
      expect(html.match(/class="box-gt"/g)).toHaveLength(1);
      expect(html.match(/class="box-pred"/g)).toHaveLength(2);
      expect(html).toContain('ground truth (solid)');
      expect(cardIds(await (await get('/runs/det-run/gallery?iou_lt=0.5&label=background')).text())).toEqual([
        'img1',
      ]);
    });
  });

  describe('JSON API', () => {
    it('serves runs, metrics and errors', async () => {
      const runs = await (await get('/api/runs')).json();
      expect(runs.runs.map((r: { name: string }) => r.name).sort()).toEqual(['cls-run', 'det-run']);
      const metrics = await (await get('/api/runs/cls-run/metrics')).json();
      expect(metrics).toMatchObject({ run: 'cls-run', kind: 'classification', metrics: { accuracy: 0.5 } });
      const errors = await (
        await get('/api/runs/cls-run/errors?iou_lt=0.5&sort=confidence:desc&limit=2')
      ).json();
      expect(errors.total).toBe(3);
      expect(errors.items.map((i: { id: string; confidence: number }) => [i.id, i.confidence])).toEqual([
        ['r1', 0.6],
        ['r3', 0.55],
      ]);
      const next = await (
        await get(
          `/api/runs/cls-run/errors?iou_lt=0.5&sort=confidence:desc&limit=2&cursor=${errors.nextCursor}`,
        )
      ).json();
      expect(next.items.map((i: { id: string }) => i.id)).toEqual(['r5']);
      expect(next.nextCursor).toBeNull();
    });

    it('serves mislabels, uncertain rows and the compact projection', async () => {
      const mis = await (await get('/api/runs/cls-run/mislabels')).json();
      expect(mis.items).toHaveLength(1);
      expect(mis.items[0]).toMatchObject({ id: 'r5', given: EVIL_CLASS, suggested: 'cat', score: 0.05 });
      const unc = await (await get('/api/runs/cls-run/uncertain?strategy=least&diverse=0')).json();
      expect(unc.items.map((i: { id: string; score: number }) => [i.id, i.score])).toEqual([
        ['r7', 0.55],
        ['r6', 0.5],
      ]);
      const p = await (await get('/api/runs/cls-run/projection')).json();
      expect(p.n).toBe(8);
      expect(p.label).toEqual([0, 0, 1, 1, 2, 2, -1, -1]);
      expect(p.predicted).toEqual([0, 1, 1, 0, 2, 0, 1, 0]);
      expect(p.correct).toEqual([1, 0, 1, 0, 1, 0, -1, -1]);
      expect(p.x).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // A new projection (a projection job, `loupe project`) is served at once, not after the cache expires.
      await saveProjection(ctx().database.db, fx.runId, {
        rowIds: fx.rowIds,
        coords: new Float32Array(fx.rowIds.flatMap((_, i) => [10 + i, 0])),
        fitted: fx.rowIds.map(() => true),
      });
      expect((await (await get('/api/runs/cls-run/projection')).json()).x).toEqual([
        10, 11, 12, 13, 14, 15, 16, 17,
      ]);
    });

    it('serves a row and refuses ids that are not numbers', async () => {
      const row = await (await get(`/api/rows/${fx.rowIds[1]}`)).json();
      expect(row.row.id).toBe('r1');
      expect(row.annotations[0].labelName).toBe('cat');
      const bad = await get('/api/rows/1abc');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ status: 400 });
      expect((await get('/api/rows/999999999')).status).toBe(404);
    });
  });

  describe('queues, row and projector pages', () => {
    it('explains each suspected mislabel in words, escaped', async () => {
      const html = await (await get('/runs/cls-run/mislabels')).text();
      expect(cardIds(html)).toEqual(['r5']);
      expect(html).toContain(
        'model 97% sure this is a cat; labeled &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;; 4 of 5 nearest neighbours are cat',
      );
    });

    it('ranks the uncertain queue', async () => {
      const html = await (await get('/runs/cls-run/uncertain?strategy=margin&diverse=0')).text();
      expect(cardIds(html)).toEqual(['r7', 'r6']);
    });

    it('renders the projector page with a canvas scatter spec and its data URL', async () => {
      const html = await (await get('/runs/cls-run/projector?color=correct')).text();
      expect(html).toContain('data-src="/api/runs/cls-run/projection"');
      expect(html).toContain(
        '&quot;domain&quot;:[&quot;correct&quot;,&quot;incorrect&quot;,&quot;unlabeled&quot;]',
      );
      expect((await get('/runs/cls-run/projector?color=bogus')).status).toBe(400);
    });

    it('shows a row with its labels, predictions and flags', async () => {
      const res = await get(`/rows/${fx.rowIds[5]}?run=cls-run`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('Row r5');
      expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; → cat');
      expect(html).not.toContain(EVIL_CLASS);
      expect((await get('/rows/0')).status).toBe(400);
    });
  });

  describe('actions', () => {
    it('approves rows, reporting rows already approved and by whom', async () => {
      const first = await post('/api/decisions', {
        decision: 'approve',
        rowIds: [fx.rowIds[1], fx.rowIds[3]],
        runId: fx.runId,
      });
      expect(first.status).toBe(200);
      expect((await first.json()).message).toBe('Approved 2 rows');
      const again = await (
        await post('/api/decisions', { decision: 'approve', rowIds: [fx.rowIds[1], fx.rowIds[5]] })
      ).json();
      expect(again.message).toBe('Approved 1 row; 1 was already approved by local');
      const html = await (await get('/runs/cls-run/gallery?decision=approve')).text();
      expect(cardIds(html)).toEqual(['r5', 'r3', 'r1']);
      expect(html).toContain('approved by local');
    });

    it('sends to rework (tag re-label) and lists the row in the rework queue', async () => {
      const r = await (await post('/api/decisions', { decision: 'rework', rowIds: [fx.rowIds[5]] })).json();
      expect(r.message).toBe('Sent to rework 1 row');
      expect(cardIds(await (await get('/runs/cls-run/gallery?tag=re-label')).text())).toEqual(['r5']);
      const queue = await (await get('/rework')).text();
      expect(cardIds(queue)).toEqual(['r5']);
      expect(queue).toContain('suggested cat · sent by local');
      expect(queue).not.toContain('<dd class="label">–');
    });

    it('creates a batch, adds to it, exports and closes it', async () => {
      const made = await post('/api/batches', {
        name: 'first <b>',
        rowIds: [fx.rowIds[6], fx.rowIds[7]],
        runId: fx.runId,
      });
      expect(made.status).toBe(201);
      expect((await made.json()).message).toBe('Created batch "first <b>" with 2 rows');
      const added = await (
        await post('/api/batches', { name: 'first <b>', rowIds: [fx.rowIds[7], fx.rowIds[0]] })
      ).json();
      expect(added.message).toBe('Added 1 row to batch "first <b>"; 1 row already in an open batch');
      const list = await (await get('/batches')).text();
      expect(list).toContain('first &lt;b&gt;</a>');
      const page = await (await get('/batches/first%20%3Cb%3E')).text();
      expect(cardIds(page)).toEqual(['r6', 'r7', 'r0']);
      const csv = await get('/batches/first%20%3Cb%3E/export.csv');
      expect(csv.headers.get('content-type')).toContain('text/csv');
      expect((await csv.text()).split('\n').slice(0, 2)).toEqual([
        'id,dataset,image_url,width,height,label,predicted',
        'r6,cls-run-ds,/media/test/6.svg,8,8,,dog',
      ]);
      const json = await (await get('/batches/first%20%3Cb%3E/export.json')).json();
      expect(json.items.map((i: { id: string }) => i.id)).toEqual(['r6', 'r7', 'r0']);
      const closed = await app.request('/batches/first%20%3Cb%3E/close', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
        body: new URLSearchParams({ _csrf: csrf }).toString(),
      });
      expect(closed.status).toBe(303);
      expect(await (await get('/batches/first%20%3Cb%3E')).text()).toContain('class="status closed"');
      const late = await post('/api/batches', { name: 'first <b>', rowIds: [fx.rowIds[2]] });
      expect(late.status).toBe(409);
      expect((await late.json()).error).toContain('is closed');
    });

    it("shows a batch's progress and each row's state, and exports it for labeling tools", async () => {
      await post('/api/batches', { name: 'second', rowIds: [fx.rowIds[1], fx.rowIds[2]], runId: fx.runId });
      // r1 was approved before the batch was made: only a decision after it counts.
      expect((await post('/api/decisions', { decision: 'dismiss', rowIds: [fx.rowIds[1]] })).status).toBe(
        200,
      );
      const page = await (await get('/batches/second')).text();
      expect(page).toContain('1/2 done (in progress)');
      expect(page).toContain('0 newly labeled, 1 decided, 1 to do');
      expect(page).toContain('decided since the batch was made');
      expect(await (await get('/batches')).text()).toContain('1/2 done (in progress)');
      const ls = await get('/batches/second/export.labelstudio');
      expect(ls.headers.get('content-disposition')).toBe('attachment; filename="second.labelstudio.json"');
      const tasks = await ls.json();
      expect(tasks.map((t: { data: { loupe_id: string } }) => t.data.loupe_id)).toEqual(['r1', 'r2']);
      expect(tasks[0].predictions[0].result[0].type).toBe('choices');
      const cvat = await get('/batches/second/export.cvat');
      expect(cvat.headers.get('content-type')).toContain('application/xml');
      expect(await cvat.text()).toContain('<version>1.1</version>');
      const coco = await get('/batches/second/export.coco');
      expect(coco.status).toBe(400);
      expect(await coco.text()).toContain('COCO is for detection');
    });

    it('refuses bad action bodies with 400', async () => {
      expect((await post('/api/decisions', { decision: 'delete', rowIds: [1] })).status).toBe(400);
      expect((await post('/api/decisions', { decision: 'approve', rowIds: ['1; drop table'] })).status).toBe(
        400,
      );
      expect((await post('/api/batches', { name: '', rowIds: [fx.rowIds[0]] })).status).toBe(400);
      expect((await post('/api/decisions', { decision: 'approve', rowIds: [999999999] })).status).toBe(404);
    });

    it('answers GET on an action route with 405', async () => {
      expect((await get('/api/decisions')).status).toBe(405);
      expect((await get('/api/batches')).status).toBe(405);
      expect(det.rowId).toBeGreaterThan(0);
    });
  });
});
