import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { annotations, reviews } from '../../db/schema.ts';
import { writeDemoFiles } from '../../src/demo/files.ts';
import { DEMO_SEED, SHAPES_DEMO } from '../../src/demo/settings.ts';
import { exportLabels } from '../../src/export/labels.ts';
import { ingestCoco } from '../../src/ingest/index.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { type Harness, SECRET, startHarness } from './harness.ts';
import { blockActions, signed, slashCommand } from './signed.ts';

type Element = {
  type: string;
  text?: { text: string };
  action_id?: string;
  value?: string;
  options?: { text: { text: string }; value: string }[];
};
type Block = {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: Element[];
  accessory?: Element;
};
type Answer = { text: string; blocks: Block[] };
type CocoFile = {
  annotations: { id: number; category_id: number; bbox: number[] }[];
  categories: { id: number; name: string }[];
};

const RUN = SHAPES_DEMO.runs.v2;

describeEachDriver('Slack box corrections on a detection run', (ctx) => {
  let h: Harness;
  let ingested: CocoFile;
  beforeAll(async () => {
    h = await startHarness(ctx().database, { env: { LOUPE_REVIEWERS: 'U0ALICE,U0BOB' } });
    const files = writeDemoFiles(mkdtempSync(join(tmpdir(), 'loupe-slack-boxes-')), { seed: DEMO_SEED });
    ingested = JSON.parse(readFileSync(files.shapes.gt, 'utf8'));
    await ingestCoco(h.deps, {
      run: RUN,
      dataset: SHAPES_DEMO.dataset,
      gt: files.shapes.gt,
      pred: files.shapes.v2,
      embeddings: files.shapes.embeddings,
    });
  }, 180_000);
  afterAll(async () => h?.close());

  const command = async (text: string) => {
    const res = await h.send(slashCommand(SECRET, { text, responseUrl: h.slack.responseUrl() }));
    expect(res.status).toBe(200);
    return (await res.json()) as Answer;
  };

  /** Click a button (or pick an option of a static_select) on a message, as Slack posts it. */
  const click = async (
    message: Answer,
    rowId: number,
    element: Element,
    { user = 'U0ALICE', ts, option }: { user?: string; ts: string; option?: string },
  ) => {
    const responseUrl = h.slack.responseUrl();
    const req = blockActions(SECRET, {
      actionId: element.action_id ?? '',
      value: element.value,
      blockId: `act:${rowId}`,
      responseUrl,
      user,
      userName: user === 'U0ALICE' ? 'alice' : user.toLowerCase(),
      message: { ts, text: message.text, blocks: message.blocks },
    });
    let body = req.body;
    if (option !== undefined) {
      const payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '{}');
      payload.actions = [
        {
          type: 'static_select',
          action_id: element.action_id,
          block_id: `act:${rowId}`,
          selected_option: element.options?.find((o) => o.text.text === option),
          placeholder: { type: 'plain_text', text: 'Change box to…' },
          action_ts: `${Date.now() / 1000}`,
        },
      ];
      body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    }
    const res = await h.send(signed(SECRET, body, 'application/x-www-form-urlencoded'));
    expect(res.status).toBe(200);
    const id = responseUrl.split('/').pop();
    const [answer] = await h.slack.waitFor(() => {
      const got = h.slack.responses.filter((r) => r.id === id);
      return got.length >= 1 && got;
    });
    return answer.body as unknown as Answer & { replace_original?: boolean };
  };

  const rowsWith = (a: Answer, actionId: string) =>
    a.blocks
      .filter((b) => b.block_id?.startsWith('act:') && b.elements?.some((e) => e.action_id === actionId))
      .map((b) => ({
        rowId: Number(b.block_id?.slice(4)),
        el: (id: string) => b.elements?.find((e) => e.action_id === id) as Element,
      }));
  const lineOf = (a: Answer, rowId: number) => a.blocks.find((b) => b.block_id === `act:${rowId}`);
  const boxesOf = async (rowId: number) =>
    (
      await h.deps.db
        .select({ key: annotations.annKey, label: annotations.label })
        .from(annotations)
        .where(eq(annotations.rowId, rowId))
        .orderBy(asc(annotations.annKey))
    ).map((a) => [a.key, a.label]);

  it("changes a box's class, deletes a box and accepts a missed one from the buttons; each is undoable, and the COCO export follows", async () => {
    const answer = await command(`mislabels ${RUN} 20`);
    const boxRows = rowsWith(answer, 'relabel:delete');
    const missedRows = rowsWith(answer, 'relabel:add');
    expect(boxRows.length).toBeGreaterThanOrEqual(2);
    expect(missedRows.length).toBeGreaterThanOrEqual(1);
    const [changed, deleted] = boxRows;
    const [added] = missedRows;
    expect(changed.el('relabel:suggested').text?.text).toMatch(/^Change box to \w+$/);
    // The picker offers every class of the dataset, in its order.
    const classes = changed.el('relabel:pick').options?.map((o) => o.text.text) ?? [];
    expect(classes).toEqual(ingested.categories.map((c) => c.name));
    expect(added.el('relabel:add').text?.text).toMatch(/^Add missed box as \w+$/);
    const boxesBefore = {
      changed: await boxesOf(changed.rowId),
      deleted: await boxesOf(deleted.rowId),
      added: await boxesOf(added.rowId),
    };

    // 1. The class picker on a flagged box.
    const target = changed.el('relabel:pick').options?.[0].value.split(':')[3];
    const [old] = await h.deps.db
      .select({ key: annotations.annKey, label: annotations.label })
      .from(annotations)
      .where(eq(annotations.id, Number(target)));
    const to = classes.find((_, i) => i !== old.label) as string;
    const one = await click(answer, changed.rowId, changed.el('relabel:pick'), {
      ts: '1700000300.000001',
      option: to,
    });
    expect(one.replace_original).toBe(true);
    expect(lineOf(one, changed.rowId)?.text?.text).toBe(
      `✏️ Box ${old.key} ${classes[old.label]} → ${to} by <@U0ALICE> (labels v2)`,
    );
    expect(lineOf(one, changed.rowId)?.accessory?.action_id).toBe('relabel:undo');

    // 2. Delete a spurious box; a user who is not a reviewer is refused first, and nothing changes.
    const refused = await click(answer, deleted.rowId, deleted.el('relabel:delete'), {
      ts: '1700000300.000001',
      user: 'U0EVE',
    });
    expect(refused.text).toContain('Only reviewers listed in LOUPE_REVIEWERS');
    expect(await boxesOf(deleted.rowId)).toEqual(boxesBefore.deleted);
    const deletedId = Number(deleted.el('relabel:delete').value?.split(':')[3]);
    const [gone] = await h.deps.db
      .select({ key: annotations.annKey, label: annotations.label })
      .from(annotations)
      .where(eq(annotations.id, deletedId));
    const two = await click(answer, deleted.rowId, deleted.el('relabel:delete'), { ts: '1700000300.000001' });
    expect(lineOf(two, deleted.rowId)?.text?.text).toBe(
      `✏️ Box ${gone.key} (${classes[gone.label]}) deleted by <@U0ALICE> (labels v3)`,
    );
    expect((await boxesOf(deleted.rowId)).map(([k]) => k)).not.toContain(gone.key);

    // 3. Accept a missed prediction as a new box; the same click again (a Slack retry) adds nothing.
    const three = await click(answer, added.rowId, added.el('relabel:add'), { ts: '1700000300.000001' });
    const text = lineOf(three, added.rowId)?.text?.text ?? '';
    const m = /^✏️ Box (\d+) added as (\w+) by <@U0ALICE> \(labels v4\)$/.exec(text);
    expect(m, text).not.toBeNull();
    const [, addedKey, addedClass] = m as RegExpExecArray;
    expect(added.el('relabel:add').text?.text).toBe(`Add missed box as ${addedClass}`);
    const retry = await click(answer, added.rowId, added.el('relabel:add'), { ts: '1700000300.000001' });
    expect(retry.text).toContain('nothing changed');
    expect(await boxesOf(added.rowId)).toEqual(
      [...boxesBefore.added, [addedKey, classes.indexOf(addedClass)]].sort((a, b) =>
        String(a[0]).localeCompare(String(b[0])),
      ),
    );

    // Undo the deletion (another reviewer): the box is back with its class.
    const undone = await click(two, deleted.rowId, lineOf(two, deleted.rowId)?.accessory as Element, {
      ts: '1700000300.000001',
      user: 'U0BOB',
    });
    expect(lineOf(undone, deleted.rowId)?.elements?.[0]?.text).toBe(
      `↶ Relabel undone by <@U0BOB>: Box ${gone.key} added as ${classes[gone.label]}`,
    );
    expect(await boxesOf(deleted.rowId)).toEqual(boxesBefore.deleted);

    // Each is a decision with actor and time, tied to the label version it made.
    const decisions = await h.deps.db
      .select()
      .from(reviews)
      .where(inArray(reviews.rowId, [changed.rowId, deleted.rowId, added.rowId]))
      .orderBy(asc(reviews.id));
    expect(decisions.map((d) => [d.rowId, d.decision, d.actor, d.source])).toEqual([
      [changed.rowId, 'relabel', 'U0ALICE', 'slack'],
      [deleted.rowId, 'relabel', 'U0ALICE', 'slack'],
      [added.rowId, 'relabel', 'U0ALICE', 'slack'],
      [deleted.rowId, 'revert', 'U0BOB', 'slack'],
    ]);
    for (const d of decisions) {
      expect(d.createdAt).toBeInstanceOf(Date);
      expect(d.labelVersionId).not.toBeNull();
    }

    // The COCO export (what `loupe export labels --format coco` writes): the changed class and the
    // accepted box; the deleted box is back after its undo; every other annotation as ingested.
    const out = await exportLabels(h.deps.db, { dataset: SHAPES_DEMO.dataset, format: 'coco' });
    const coco = JSON.parse(out.body.toString('utf8')) as CocoFile;
    const catId = (name: string) => coco.categories.find((c) => c.name === name)?.id;
    const byId = new Map(coco.annotations.map((a) => [a.id, a]));
    expect(byId.get(Number(old.key))?.category_id).toBe(catId(to));
    expect(byId.get(Number(gone.key))?.category_id).toBe(catId(classes[gone.label]));
    expect(byId.get(Number(addedKey))?.category_id).toBe(catId(addedClass));
    expect(coco.annotations.length).toBe(ingested.annotations.length + 1);
    for (const a of ingested.annotations)
      if (a.id !== Number(old.key))
        expect(byId.get(a.id)).toMatchObject({ category_id: a.category_id, bbox: a.bbox });
    expect(h.slack.invalid).toEqual([]);
  });
});
