import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestCoco } from '../../src/ingest/index.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { SHARED } from '../ingest/fixtures.ts';
import { type Harness, SECRET, startHarness } from './harness.ts';
import { slashCommand } from './signed.ts';

const COCO = join(SHARED, 'coco-val2014-100');

type Answer = { text: string; blocks: { type: string; block_id?: string; text?: { text: string } }[] };

describeEachDriver('Slack on a detection run (the COCO sample)', (ctx) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(ctx().database);
    if (existsSync(COCO))
      await ingestCoco(h.deps, {
        run: 'coco100',
        gt: join(COCO, 'instances.json'),
        pred: join(COCO, 'results.json'),
      });
  }, 120_000);
  afterAll(async () => h?.close());

  const command = async (text: string) => {
    const res = await h.send(slashCommand(SECRET, { text, responseUrl: h.slack.responseUrl() }));
    expect(res.status).toBe(200);
    return (await res.json()) as Answer;
  };
  const all = (a: Answer) => JSON.stringify(a.blocks);

  it.skipIf(!existsSync(COCO))(
    'errors: the dAP breakdown and the top objects of the costliest type',
    async () => {
      const a = await command('errors coco100');
      expect(a.text).toMatch(/^Detection errors: cls costs the most/);
      // Costliest first: cls, then missed, then loc.
      expect(all(a)).toMatch(/AP50 lost to cls 0\.168 · missed 0\.0\d\d · loc 0\.002/);
      const items = a.blocks.filter((b) => b.block_id?.startsWith('item:'));
      expect(items.length).toBe(10);
      expect(new Set(items.map((b) => b.block_id)).size).toBe(items.length);
      for (const b of items) expect(b.text!.text).toContain('fp cls');
      // The most confident cls error first: image 1180's bear on a dining table.
      expect(items[0].text!.text).toMatch(/1180.*dining table → bear/);
      expect(all(a)).toContain('objects%3Fiou%3D0.5%26type%3Dcls');
      expect(h.slack.invalid).toEqual([]);
    },
  );

  it.skipIf(!existsSync(COCO))(
    'errors at a threshold COCOeval does not use gets a clear answer',
    async () => {
      const a = await command('errors coco100 iou<0.3');
      expect(a.text).toContain("COCOeval's IoU thresholds");
    },
  );

  it.skipIf(!existsSync(COCO))("worst-classes names each class's costliest error type", async () => {
    const a = await command('worst-classes coco100 5');
    const lines = all(a);
    expect(lines).toMatch(/costliest error \*(cls|loc|both|dupe|bkg|missed)\* \(AP50 −\d\.\d{3}\)/);
  });
});
