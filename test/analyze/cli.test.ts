import { Command } from 'commander';
import { afterEach, expect, it, vi } from 'vitest';
import { analyzeRun } from '../../src/analyze/run.ts';
import { type CliContext, processIo, serverCliContext } from '../../src/cli/context.ts';
import { errorsOutput, registerErrors } from '../../src/cli/errors.ts';
import { metricsOutput, registerMetrics } from '../../src/cli/metrics.ts';
import { describeEachDriver, testDeps } from '../helpers/db.ts';
import { seedClassification, seedDetection } from './fixtures.ts';

afterEach(() => vi.restoreAllMocks());

describeEachDriver('loupe metrics / errors', (ctx) => {
  const cli = (): CliContext => serverCliContext(testDeps(ctx().database), processIo());

  /** Run one command line through commander and return what it wrote on stdout. */
  async function run(args: string[]): Promise<string> {
    const program = new Command('loupe').exitOverride().configureOutput({ writeErr: () => {} });
    registerMetrics(program, cli());
    registerErrors(program, cli());
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(args, { from: 'user' });
    } finally {
      vi.restoreAllMocks();
    }
    return out;
  }

  it('prints the stored metrics document as exactly one JSON document', async () => {
    const deps = testDeps(ctx().database);
    const { runId } = await seedClassification(deps.db, {
      name: 'cli-cls',
      classNames: ['no', 'yes'],
      rows: [
        { id: 'a', label: 0, probs: [0.9, 0.1] },
        { id: 'b', label: 1, probs: [0.8, 0.2] },
        { id: 'c', label: 1, probs: [0.3, 0.7] },
        { id: 'd', probs: [0.5, 0.5] },
      ],
    });
    const doc = await analyzeRun(deps, runId);
    const out = await run(['metrics', '--run', 'cli-cls', '--json']);
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(doc)));
    // 2 of 3 right; K = 2 → only top-1
    expect(JSON.parse(out)).toMatchObject({
      kind: 'classification',
      accuracy: 2 / 3,
      labeled: 3,
      unlabeled: 1,
    });
    const text = await run(['metrics', '--run', 'cli-cls']);
    expect(text).toContain('accuracy 0.6667');
    // no: tp 1, predicted 2, support 1 → P 1/2, R 1, F1 2/3; yes: tp 1, predicted 1, support 2 → P 1, R 1/2, F1 2/3
    expect(text).toMatch(/macro\s+0\.7500\s+0\.7500\s+0\.6667/);
  });

  it('prints a page of errors with label and prediction side by side', async () => {
    const out = JSON.parse(await run(['errors', '--run', 'cli-cls', '--json']));
    expect(out).toMatchObject({ run: 'cli-cls', total: 1, nextCursor: null });
    expect(
      out.items.map((i: { id: string; label: string; predicted: string }) => [i.id, i.label, i.predicted]),
    ).toEqual([['b', 'yes', 'no']]);
    const text = await run(['errors', '--run', 'cli-cls', '--sort', 'confidence:desc', '--limit', '5']);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'id  label  predicted  confidence  iou',
      '--  -----  ---------  ----------  ---',
      'b   yes    no         0.8000      0',
    ]);
    await expect(run(['errors', '--run', 'cli-cls', '--label', 'yess'])).rejects.toThrow(
      "--label yess: no such class in this run's dataset; did you mean yes, no?",
    );
    await expect(run(['errors', '--run', 'cli-cls', '--limit', 'ten'])).rejects.toThrow(
      /expected a whole number/,
    );
    await expect(run(['errors', '--run', 'cli-cls', '--sort', 'score'])).rejects.toThrow(/Allowed choices/);
    // `all` as on the board: every labeled row, right or wrong.
    const all = JSON.parse(await run(['errors', '--run', 'cli-cls', '--iou-below', 'all', '--json']));
    expect(all.items.map((i: { id: string }) => i.id).sort()).toEqual(['a', 'b', 'c']);
    expect(await run(['errors', '--run', 'cli-cls', '--iou-below', 'all'])).toContain(
      '3 shown, 3 rows (any IoU)',
    );
  });

  it('names the closest runs when the run does not exist', async () => {
    await expect(metricsOutput(testDeps(ctx().database), { run: 'cli-clz' })).rejects.toThrow(
      'no run named "cli-clz"; did you mean "cli-cls"?',
    );
    await expect(errorsOutput(testDeps(ctx().database), { run: 'cls' })).rejects.toThrow(
      /^no run named "cls"; did you mean/,
    );
  });

  it('prints the twelve COCO numbers and per-class AP for a detection run', async () => {
    const deps = testDeps(ctx().database);
    const { runId } = await seedDetection(deps.db, {
      name: 'cli-det',
      classNames: ['car'],
      images: [
        {
          id: '1',
          gts: [{ key: 'g', label: 0, box: [0, 0, 50, 50] }],
          dets: [{ label: 0, score: 0.9, box: [0, 0, 50, 50] }],
        },
      ],
    });
    await analyzeRun(deps, runId);
    const text = await run(['metrics', '--run', 'cli-det']);
    const lines = text.split('\n');
    // one perfect medium-sized box: AP 1 everywhere measurable; the small and large ranges have no
    // boxes (−1), printed blank, so the second field is the start of the setting column
    expect(
      lines.filter((l) => /^(AP|AR)\w*\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual([
      'AP 1.0000',
      'AP50 1.0000',
      'AP75 1.0000',
      'APsmall AP',
      'APmedium 1.0000',
      'APlarge AP',
      'AR1 1.0000',
      'AR10 1.0000',
      'AR100 1.0000',
      'ARsmall AR',
      'ARmedium 1.0000',
      'ARlarge AR',
    ]);
    expect(text).toMatch(/car\s+1\.0000\s+1\.0000\s+1\.0000\s+1\.0000\s+1/);
    expect(JSON.parse(await run(['metrics', '--run', 'cli-det', '--json'])).coco.AP).toBeCloseTo(1, 15);
  });
});
