import { Resvg } from '@resvg/resvg-js';
import { expect, it } from 'vitest';
import { renderDigitSvg } from '../../src/demo/digit-svg.ts';
import { digitPixels, readDigits } from '../../src/demo/digits.ts';
import { DEMO_SEED } from '../../src/demo/settings.ts';
import { generateScene } from '../../src/demo/shapes/scene.ts';
import { renderSceneSvg } from '../../src/demo/shapes/svg.ts';
import { createWebApp } from '../../web/app.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';

describeEachDriver('media routes', (ctx) => {
  const app = () => createWebApp(testDeps(ctx().database));

  it('serves digit rows as SVG from the bundled data', async () => {
    const web = app();
    const digits = readDigits();
    for (const id of [0, 17, 1796]) {
      const res = await web.request(`/media/digits/${id}.svg`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/svg+xml');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await res.text();
      expect(body).toBe(renderDigitSvg(digitPixels(digits, id)));
      expect(new Resvg(body).render().width).toBe(128);
    }
  });

  it('serves shape scenes as SVG from the seeded generator', async () => {
    const res = await app().request('/media/shapes/1.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(await res.text()).toBe(renderSceneSvg(generateScene(1, { seed: DEMO_SEED })));
    expect((await app().request('/media/shapes/120.svg')).status).toBe(200);
  });

  it('answers 404 for ids out of range and 400 for ids that are not integers', async () => {
    const web = app();
    const cases: [string, number][] = [
      ['/media/digits/1797.svg', 404],
      ['/media/digits/99999999999999999999999.svg', 404],
      ['/media/shapes/0.svg', 404],
      ['/media/shapes/121.svg', 404],
      ['/media/digits/abc.svg', 400],
      ['/media/digits/-1.svg', 400],
      ['/media/digits/1.5.svg', 400],
      ['/media/digits/01.svg', 400],
      ['/media/digits/1e3.svg', 400],
      ['/media/digits/17', 400],
      ['/media/shapes/%3Cscript%3E.svg', 400],
      ['/media/digits/', 404],
      ['/media/other/1.svg', 404],
    ];
    for (const [path, status] of cases) {
      const res = await web.request(path);
      expect(res.status, path).toBe(status);
      expect(res.headers.get('content-type'), path).not.toBe('image/svg+xml');
    }
    const body = await (await web.request('/media/shapes/%3Cscript%3E.svg')).text();
    expect(body).not.toContain('<script>');
  });
});
