import { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeAll, expect, it, vi } from 'vitest';
import { registerBatch } from '../../src/cli/batch.ts';
import { processIo, serverCliContext } from '../../src/cli/context.ts';
import { registerRework } from '../../src/cli/rework.ts';
import { computeFindings } from '../../src/findings/index.ts';
import { getBatch } from '../../src/store/batches.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';
import { eq } from 'drizzle-orm';
import { batches, dataRows, labelFlags } from '../../db/schema.ts';

/** Run `loupe …` against the test database and return what it printed on stdout. */
async function loupe(deps: ReturnType<typeof testDeps>, args: string[]): Promise<string> {
  const program = new Command('loupe').exitOverride();
  const ctx = serverCliContext(deps, processIo());
  registerBatch(program, ctx);
  registerRework(program, ctx);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'loupe', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

afterEach(() => vi.restoreAllMocks());

describeEachDriver('batch and rework commands', (ctx) => {
  let deps: ReturnType<typeof testDeps>;
  let runId: number;
  beforeAll(async () => {
    deps = testDeps(ctx().database);
    ({ runId } = await insertClassificationRun(deps.db, {
      name: 'cli-batch',
      classNames: ['cat', 'dog', 'bird'],
      labels: [0, 1, 2, 0, null, null, null, null],
      probs: [
        [0.9, 0.05, 0.05],
        [0.1, 0.8, 0.1],
        [0.1, 0.1, 0.8],
        [0.7, 0.2, 0.1],
        [0.34, 0.33, 0.33], // most uncertain
        [0.98, 0.01, 0.01], // least uncertain
        [0.5, 0.45, 0.05],
        [0.6, 0.2, 0.2],
      ],
    }));
    await computeFindings(deps, runId);
  });

  it('creates a batch from the uncertain pool, most uncertain first, and skips rows already batched', async () => {
    const first = JSON.parse(
      await loupe(deps, [
        'batch',
        'create',
        'U1',
        '--from',
        'uncertain',
        '--run',
        'cli-batch',
        '--limit',
        '2',
        '--json',
      ]),
    );
    expect(first).toEqual({ batch: 'U1', added: 2, skipped: 0 });
    expect((await getBatch(deps.db, 'U1')).items.map((i) => i.id)).toEqual(['4', '6']);
    const second = JSON.parse(
      await loupe(deps, [
        'batch',
        'create',
        'U2',
        '--from',
        'uncertain',
        '--run',
        'cli-batch',
        '--limit',
        '3',
        '--json',
      ]),
    );
    expect(second).toEqual({ batch: 'U2', added: 1, skipped: 2 });
  });

  it('creates a batch from explicit rows and from the rework queue, and exports CSV of the ids', async () => {
    await loupe(deps, ['batch', 'create', 'Picked', '--run', 'cli-batch', '--rows', '1,3']);
    expect(
      await loupe(deps, ['review', 'rework', '--run', 'cli-batch', '--rows', '2', '--actor', 'U9']),
    ).toBe('Recorded 1 decision\n');
    expect(
      await loupe(deps, ['review', 'rework', '--run', 'cli-batch', '--rows', '2,0', '--actor', 'U9']),
    ).toBe('Recorded 1 decision (1 row already had that decision)\n');
    const queue = JSON.parse(await loupe(deps, ['rework', 'list', '--json']));
    expect(queue.items.map((i: { id: string }) => i.id)).toEqual(['2', '0']);
    await loupe(deps, ['batch', 'create', 'Rework 1', '--from', 'rework', '--include-open']);
    const csv = await loupe(deps, ['batch', 'export', 'Rework 1', '--format', 'csv']);
    expect((parse(csv, { columns: true }) as { id: string }[]).map((r) => r.id)).toEqual(['2', '0']);
    expect((await getBatch(deps.db, 'Picked')).items.map((i) => i.id)).toEqual(['1', '3']);
  });

  it('adds rows to a batch and takes them out again', async () => {
    await loupe(deps, ['batch', 'create', 'Grow', '--run', 'cli-batch', '--rows', '5', '--include-open']);
    expect(await loupe(deps, ['batch', 'add', 'Grow', '--rows', '7,5', '--include-open'])).toBe(
      'Added 1 row to batch "Grow" (1 skipped: already in an open batch)\n',
    );
    expect((await getBatch(deps.db, 'Grow')).items.map((i) => i.id)).toEqual(['5', '7']);
    await expect(loupe(deps, ['batch', 'remove', 'Grow', '--rows', '7,zz'])).rejects.toThrow(
      'not in batch "Grow": zz',
    );
    expect(await loupe(deps, ['batch', 'remove', 'Grow', '--rows', '5'])).toBe(
      'Removed 1 row from batch "Grow"\n',
    );
    expect((await getBatch(deps.db, 'Grow')).items.map((i) => i.id)).toEqual(['7']);
  });

  it('assigns a batch to an owner with a due day, as the Slack command does, behind the one write check', async () => {
    await loupe(deps, ['batch', 'create', 'Owned', '--run', 'cli-batch', '--rows', '0,1', '--include-open']);
    expect(
      JSON.parse(
        await loupe(deps, [
          'batch',
          'assign',
          'Owned',
          '--owner',
          '@U0MARIA',
          '--due',
          '2026-12-10',
          '--json',
        ]),
      ),
    ).toEqual({
      batch: 'Owned',
      owner: 'U0MARIA',
      dueOn: '2026-12-10',
      size: 2,
      progressed: 0,
      state: 'open',
    });
    expect(await getBatch(deps.db, 'Owned')).toMatchObject({ owner: 'U0MARIA', dueOn: '2026-12-10' });
    const [row] = await deps.db.select().from(batches).where(eq(batches.name, 'Owned'));
    expect(row.assignedBy).toBe('local');

    // Bad input: a clear error, and the stored assignment stays as it was.
    await expect(
      loupe(deps, ['batch', 'assign', 'Owned', '--owner', 'U0BOB', '--due', '2026-02-30']),
    ).rejects.toThrow('"2026-02-30" is not a day: write the due date as YYYY-MM-DD, e.g. 2026-12-10');
    await expect(loupe(deps, ['batch', 'assign', 'Owned', '--owner', 'maria'])).rejects.toThrow(
      '"maria" is not a Slack user: mention them, e.g. @maria',
    );
    await expect(loupe(deps, ['batch', 'assign', 'Nope', '--owner', 'U0BOB'])).rejects.toThrow(
      'no batch named "Nope"',
    );

    // With reviewers configured (a team server), only a reviewer may assign.
    const team = {
      ...deps,
      config: { ...deps.config, LOUPE_SECRET: 's'.repeat(32), LOUPE_REVIEWERS: ['U0LEAD'] },
    };
    await expect(loupe(team, ['batch', 'assign', 'Owned', '--owner', 'U0BOB'])).rejects.toThrow(
      'The local user can only act in local single-user mode. Pass --by with your Slack user id',
    );
    await expect(
      loupe(team, ['batch', 'assign', 'Owned', '--owner', 'U0BOB', '--by', 'U0EVE']),
    ).rejects.toThrow('Only reviewers listed in LOUPE_REVIEWERS');
    expect(await getBatch(deps.db, 'Owned')).toMatchObject({ owner: 'U0MARIA', dueOn: '2026-12-10' });
    expect(await loupe(team, ['batch', 'assign', 'Owned', '--owner', 'U0BOB', '--by', 'U0LEAD'])).toBe(
      'Batch "Owned" is now U0BOB\'s: 0/2 done (no DM from the CLI)\n',
    );
    const [after] = await deps.db.select().from(batches).where(eq(batches.name, 'Owned'));
    expect(after).toMatchObject({ owner: 'U0BOB', dueOn: null, assignedBy: 'U0LEAD' });
  });

  it('lists and exports the rework queue with what a re-labeler needs, formula-safe, links absolute', async () => {
    const [three] = await deps.db.select().from(dataRows).where(eq(dataRows.externalId, '3'));
    await deps.db.update(dataRows).set({ imageUrl: '/media/r/3.png' }).where(eq(dataRows.id, three.id));
    await deps.db.insert(labelFlags).values({
      runId,
      rowId: three.id,
      kind: 'label',
      given: 0,
      suggested: 1,
      score: 0.1,
      methods: ['confident_learning'],
      evidence: 'test',
      rank: 1,
    });
    const note = '=HYPERLINK("x")';
    await loupe(deps, [
      'review',
      'rework',
      '--run',
      'cli-batch',
      '--rows',
      '3',
      '--note',
      note,
      '--actor',
      'U9',
    ]);
    const row = (await loupe(deps, ['rework', 'list'])).split('\n').find((l) => /^3\s\s/.test(l));
    expect(row?.split(/\s{2,}/)).toEqual(['3', 'cat', 'dog', expect.any(String), 'U9', note]);
    const withUrl = { ...deps, config: { ...deps.config, LOUPE_PUBLIC_URL: 'https://loupe.example.com' } };
    const csv = parse(await loupe(withUrl, ['rework', 'export']), { columns: true }) as Record<
      string,
      string
    >[];
    expect(csv.find((r) => r.id === '3')).toMatchObject({
      image_url: 'https://loupe.example.com/media/r/3.png',
      label: 'cat',
      suggested: 'dog',
      by: 'U9',
      note: `'=HYPERLINK("x")`,
    });
  });

  it('refuses unknown ids and runs with a clear message, creating nothing', async () => {
    await expect(
      loupe(deps, ['batch', 'create', 'Bad', '--run', 'cli-batch', '--rows', '1,zz']),
    ).rejects.toThrow(/unknown row ids in this run's dataset: zz/);
    await expect(
      loupe(deps, ['batch', 'create', 'Bad', '--from', 'uncertain', '--run', 'cli-btach']),
    ).rejects.toThrow(/no run named "cli-btach"; did you mean "cli-batch"/);
    await expect(getBatch(deps.db, 'Bad')).rejects.toThrow(/no batch named/);
  });
});
