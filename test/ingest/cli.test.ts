import { Command } from 'commander';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { processIo, serverCliContext } from '../../src/cli/context.ts';
import { registerIngest } from '../../src/cli/ingest.ts';
import { encodeNpy } from '../../src/ingest/npy.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { scratch, snapshot } from './fixtures.ts';

const files = scratch();
afterAll(files.cleanup);
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

describeEachDriver('loupe ingest (CLI)', (ctx) => {
  async function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      err.push(String(s));
      return true;
    });
    const program = new Command('loupe').exitOverride();
    registerIngest(program, serverCliContext(testDeps(ctx().database), processIo()));
    try {
      await program.parseAsync(['node', 'loupe', 'ingest', ...args]);
    } finally {
      vi.restoreAllMocks();
    }
    return { out: out.join(''), err: err.join('') };
  }

  it('prints the IngestResult as one JSON document with --json', async () => {
    const probs = files.write('p.npy', encodeNpy(new Float64Array([0.9, 0.1, 0.2, 0.8]), [2, 2]));
    const labels = files.write('l.npy', encodeNpy(new Uint16Array([0, 0]), [2]));
    const { out } = await run([
      'classification',
      '--labels',
      labels,
      '--probs',
      probs,
      '--run',
      'cli-r',
      '--no-analyze',
      '--json',
    ]);
    expect(JSON.parse(out)).toEqual({
      run: 'cli-r',
      dataset: 'cli-r',
      rows: 2,
      annotations: 2,
      predictions: 2,
      embeddings: 0,
      unchanged: false,
    });
    expect(process.exitCode).toBeUndefined();
  });

  it('prints a one-line summary by default', async () => {
    const table = files.write('t.csv', 'id,label,p_0,p_1\nu,,0.5,0.5\n');
    const { out } = await run(['classification', '--table', table, '--run', 'cli-t', '--no-analyze']);
    expect(out).toBe(
      'Imported run "cli-t" into dataset "cli-t": 1 row, 0 annotations, 1 prediction, 0 embeddings.\n',
    );
    const again = await run(['classification', '--table', table, '--run', 'cli-t', '--no-analyze']);
    expect(again.out).toBe(
      'Run "cli-t" in dataset "cli-t" is unchanged: these files are already imported (1 row).\n',
    );
  });

  it('prints an input error as one line, no stack, exit code 1, nothing stored', async () => {
    const before = await snapshot(ctx().database.db);
    const probs = files.write('pred_probs.npy', encodeNpy(new Float32Array([0.5, 0.4]), [1, 2]));
    const { out, err } = await run(['classification', '--probs', probs, '--run', 'cli-bad', '--no-analyze']);
    expect(out).toBe('');
    expect(err).toBe('loupe ingest: pred_probs.npy: row 0: sums to 0.9, expected 1 ± 0.001\n');
    expect(process.exitCode).toBe(1);
    expect(await snapshot(ctx().database.db)).toEqual(before);
  });

  it('documents every subcommand in --help', () => {
    const program = new Command('loupe');
    registerIngest(program, serverCliContext(testDeps(ctx().database), processIo()));
    const ingest = program.commands.find((c) => c.name() === 'ingest')!;
    expect(ingest.commands.map((c) => c.name())).toEqual(['coco', 'classification', 'embeddings']);
    for (const c of ingest.commands) expect(c.helpInformation()).toMatch(/--run <name>/);
    expect(ingest.commands[0].helpInformation()).toMatch(/--gt <file>[\s\S]*--pred <file>/);
  });
});
