import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeAll, expect, it, vi } from 'vitest';
import { registerBatch } from '../../src/cli/batch.ts';
import { processIo, serverCliContext } from '../../src/cli/context.ts';
import { registerImport } from '../../src/cli/import.ts';
import { currentLabelVersion } from '../../src/store/label-version-reads.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { insertClassificationRun } from '../helpers/fixtures.ts';

/** Run `loupe …` against the test database and return what it printed on stdout. */
async function loupe(deps: ReturnType<typeof testDeps>, args: string[]): Promise<string> {
  const program = new Command('loupe').exitOverride();
  const ctx = serverCliContext(deps, processIo());
  registerBatch(program, ctx);
  registerImport(program, ctx);
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

describeEachDriver('loupe batch export → loupe import labels', (ctx) => {
  let deps: ReturnType<typeof testDeps>;
  const dir = mkdtempSync(join(tmpdir(), 'loupe-import-'));
  beforeAll(async () => {
    deps = testDeps(ctx().database);
    await insertClassificationRun(deps.db, {
      name: 'pets',
      classNames: ['cat', 'dog'],
      labels: [0, 1, 0, null],
      probs: [
        [0.2, 0.8],
        [0.1, 0.9],
        [0.6, 0.4],
        [0.5, 0.5],
      ],
    });
  });

  it('exports Label Studio tasks and its config, imports the annotated export as a new version with a preview', async () => {
    await loupe(deps, ['batch', 'create', 'fix-1', '--run', 'pets', '--rows', '0,1,3']);
    const tasksFile = join(dir, 'tasks.json');
    const configFile = join(dir, 'config.xml');
    await loupe(deps, [
      'batch',
      'export',
      'fix-1',
      '--format',
      'labelstudio',
      '-o',
      tasksFile,
      '--labelstudio-config',
      configFile,
    ]);
    expect(readFileSync(configFile, 'utf8')).toBe(
      '<View>\n  <Image name="image" value="$image"/>\n  <Choices name="label" toName="image" choice="single">\n    <Choice value="cat"/>\n    <Choice value="dog"/>\n  </Choices>\n</View>\n',
    );
    const tasks = JSON.parse(readFileSync(tasksFile, 'utf8'));
    // Label Studio's export: row 0 becomes a dog, row 3 a cat; row 1 was skipped by the labeler.
    const answers: Record<string, string> = { '0': 'dog', '3': 'cat' };
    const exported = tasks.map((t: { data: { loupe_id: string } }, i: number) => ({
      id: i + 1,
      ...t,
      annotations: answers[t.data.loupe_id]
        ? [
            {
              id: 10 + i,
              result: [
                {
                  id: 'a',
                  type: 'choices',
                  value: { choices: [answers[t.data.loupe_id]] },
                  from_name: 'label',
                  to_name: 'image',
                  origin: 'manual',
                },
              ],
              was_cancelled: false,
              ground_truth: false,
              updated_at: '2026-12-02T09:00:00Z',
            },
          ]
        : [],
    }));
    const file = join(dir, 'project-1-at-2026-12-02.json');
    writeFileSync(file, JSON.stringify(exported));
    const dry = JSON.parse(
      await loupe(deps, [
        'import',
        'labels',
        file,
        '--dataset',
        'pets',
        '--from',
        'labelstudio',
        '--dry-run',
        '--json',
      ]),
    );
    expect(dry).toMatchObject({ dryRun: true, counts: { changedRows: 2, skipped: 1 } });
    expect(await currentLabelVersion(deps.db, 'pets')).toBe(1);
    const text = await loupe(deps, ['import', 'labels', file, '--dataset', 'pets', '--from', 'labelstudio']);
    expect(text.split('\n').slice(0, 4)).toEqual([
      'Imported project-1-at-2026-12-02.json from labelstudio into "pets": label version 2, 2 rows changed',
      '  rows in file 3 · covered 2 · skipped 1 (no annotation)',
      '  1 relabeled · 1 newly labeled',
      '  rework rows done 0 · batch rows done fix-1 2',
    ]);
    expect(text).toMatch(/0\s+cat\s+dog/);
    expect(text).toMatch(/3\s+unlabeled\s+cat/);
    const show = JSON.parse(await loupe(deps, ['batch', 'show', 'fix-1', '--json']));
    expect(show).toMatchObject({ progressed: 2, state: 'in progress' });
    expect(show.items.map((i: { id: string; state: string }) => [i.id, i.state])).toEqual([
      ['0', 'labeled'],
      ['1', 'pending'],
      ['3', 'labeled'],
    ]);
    const again = JSON.parse(
      await loupe(deps, ['import', 'labels', file, '--dataset', 'pets', '--from', 'labelstudio', '--json']),
    );
    expect(again).toMatchObject({ created: false, version: 2, counts: { changedRows: 0, covered: 2 } });
  });

  it('refuses a file for another dataset, a missing file and the wrong tool, changing nothing', async () => {
    const file = join(dir, 'project-1-at-2026-12-02.json');
    await expect(
      loupe(deps, ['import', 'labels', file, '--dataset', 'nope', '--from', 'labelstudio']),
    ).rejects.toThrow('no dataset named "nope"');
    await expect(
      loupe(deps, ['import', 'labels', join(dir, 'missing.json'), '--dataset', 'pets', '--from', 'coco']),
    ).rejects.toThrow(/cannot read .*missing\.json: ENOENT/);
    await expect(
      loupe(deps, ['import', 'labels', file, '--dataset', 'pets', '--from', 'cvat']),
    ).rejects.toThrow(/line 1, column 1: not well-formed XML/);
    expect(await currentLabelVersion(deps.db, 'pets')).toBe(2);
  });
});
