import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { annotations, reviews } from '../../db/schema.ts';
import { describeEachDriver } from '../helpers/db.ts';
import { type Harness, SECRET, seedRun, startHarness } from './harness.ts';
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

describeEachDriver('Slack relabel buttons', (ctx) => {
  let h: Harness;
  let rowIds: number[];
  beforeAll(async () => {
    h = await startHarness(ctx().database, { env: { LOUPE_REVIEWERS: 'U0ALICE,U0BOB' } });
    ({ rowIds } = await seedRun(h.deps));
  });
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
      message: { ts, text: message.text, blocks: message.blocks },
    });
    let body = req.body;
    if (option !== undefined) {
      const payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '{}');
      const picked = element.options?.find((o) => o.text.text === option);
      payload.actions = [
        {
          type: 'static_select',
          action_id: element.action_id,
          block_id: `act:${rowId}`,
          selected_option: picked,
          placeholder: { type: 'plain_text', text: 'Relabel as…' },
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
    return answer.body as unknown as Answer & { replace_original?: boolean; response_type?: string };
  };

  const elementsOf = (a: Answer, rowId: number) =>
    a.blocks.find((b) => b.block_id === `act:${rowId}`)?.elements ?? [];
  const labelOf = async (rowId: number) =>
    (
      await h.deps.db
        .select()
        .from(annotations)
        .where(and(eq(annotations.rowId, rowId), eq(annotations.annKey, 'label')))
    )[0].label;

  it('a mislabel item offers "Relabel as <suggested>" and a class picker; a click relabels as the clicker, and Undo takes it back', async () => {
    const answer = await command('mislabels public');
    const row = rowIds[9]; // labeled cat, the model says dog
    const elements = elementsOf(answer, row);
    const suggested = elements.find((e) => e.action_id === 'relabel:suggested');
    expect(suggested?.text?.text).toBe('Relabel as dog');
    const picker = elements.find((e) => e.action_id === 'relabel:pick');
    expect(picker?.type).toBe('static_select');
    expect(picker?.options?.map((o) => o.text.text)).toEqual(['cat', 'dog', '<!channel>']);

    const done = await click(answer, row, suggested as Element, { ts: '1700000100.000001' });
    expect(done.replace_original).toBe(true);
    const line = done.blocks.find((b) => b.block_id === `act:${row}`);
    expect(line?.text?.text).toBe('✏️ Relabeled cat → dog by <@U0ALICE> (labels v2)');
    expect(line?.accessory?.action_id).toBe('relabel:undo');
    expect(await labelOf(row)).toBe(1);
    const [decision] = await h.deps.db.select().from(reviews).where(eq(reviews.rowId, row));
    expect(decision).toMatchObject({
      decision: 'relabel',
      actor: 'U0ALICE',
      actorName: 'alice',
      source: 'slack',
    });
    expect(decision.labelVersionId).not.toBeNull();

    // The same click again (a retry): nothing changes.
    const retry = await click(answer, row, suggested as Element, { ts: '1700000100.000001' });
    expect(retry.text).toContain('Already labeled that way dog');
    expect(await h.deps.db.select().from(reviews).where(eq(reviews.rowId, row))).toHaveLength(1);

    const undone = await click(done, row, line?.accessory as Element, {
      ts: '1700000100.000001',
      user: 'U0BOB',
    });
    expect(undone.blocks.find((b) => b.block_id === `act:${row}`)?.elements?.[0]?.text).toBe(
      '↶ Relabel undone by <@U0BOB>: Relabeled dog → cat',
    );
    expect(await labelOf(row)).toBe(0);
  });

  it('the picker relabels to the picked class; a user not among the reviewers is refused and nothing changes', async () => {
    const answer = await command('mislabels public');
    const row = rowIds[10]; // labeled dog, the model says <!channel>
    const picker = elementsOf(answer, row).find((e) => e.action_id === 'relabel:pick') as Element;
    const refused = await click(answer, row, picker, {
      ts: '1700000200.000001',
      option: 'cat',
      user: 'U0EVE',
    });
    expect(refused.text).toContain('Only reviewers listed in LOUPE_REVIEWERS');
    expect(await labelOf(row)).toBe(1);
    const done = await click(answer, row, picker, { ts: '1700000200.000001', option: 'cat' });
    expect(done.blocks.find((b) => b.block_id === `act:${row}`)?.text?.text).toBe(
      '✏️ Relabeled dog → cat by <@U0ALICE> (labels v4)',
    );
    expect(await labelOf(row)).toBe(0);
  });
});
