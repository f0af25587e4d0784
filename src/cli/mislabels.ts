import { Option } from 'commander';
import type { Deps } from '../deps.ts';
import type { listMislabels } from '../store/findings.ts';
import type { NewFlag } from '../store/findings-save.ts';
import type { RegisterCommand } from './context.ts';
import { formatTable } from './output.ts';
import { parseLimit } from './limit-arg.ts';
import { pendingLines, pendingSteps } from './pending.ts';

export interface MislabelsCommandOptions {
  run: string;
  limit?: number;
  cursor?: string;
  kind?: NewFlag['kind'];
  json?: boolean;
  /** Every item, one JSON document per line (JSON Lines), page after page. */
  all?: boolean;
}

const KINDS = ['label', 'swap', 'overlooked', 'bad_location'] as const;

/**
 * What `loupe mislabels` prints: suspected label errors, most likely wrong first, as a table or as
 * `{ run, items: [{ id, given, suggested, score, methods, … }], total, nextCursor }`, with
 * `pending` (the steps still running, e.g. the neighbour pass) while the analysis is not done.
 *
 * @example
 * process.stdout.write(await mislabelsOutput(deps, { run: 'digits-logreg', limit: 10, json: true }));
 */
export async function mislabelsOutput(
  deps: Deps,
  { run, limit = 20, cursor, kind, json = false }: MislabelsCommandOptions,
): Promise<string> {
  const [{ requireRun }, { listMislabels }] = await Promise.all([
    import('../store/run-lookup.ts'),
    import('../store/findings.ts'),
  ]);
  const found = await requireRun(deps.db, run);
  const page = await listMislabels(deps.db, { runId: found.id, limit, cursor, kind });
  // What is stored answers now; a step still running (the neighbour pass of a large run) is named.
  const pending = await pendingSteps(deps, found.id);
  if (json) {
    const items = page.items.map(jsonItem);
    const doc = { run: found.name, items, total: page.total, nextCursor: page.nextCursor };
    return `${JSON.stringify(pending.length ? { ...doc, pending } : doc, null, 2)}\n`;
  }
  const table = formatTable(
    page.items.map((i) => ({
      id: i.id,
      kind: i.kind,
      given: i.given ?? '',
      suggested: i.suggested ?? '',
      score: i.score,
      methods: i.methods.join('+'),
      evidence: i.evidence,
    })),
    ['id', 'kind', 'given', 'suggested', 'score', 'methods', 'evidence'],
  );
  const footer = page.nextCursor
    ? `${page.items.length} of ${page.total} suspected label errors; next page: --cursor ${page.nextCursor}`
    : `${page.items.length} shown, ${page.total} suspected label errors`;
  return `${[table, footer, ...pendingLines(pending)].join('\n')}\n`;
}

type MislabelItem = Awaited<ReturnType<typeof listMislabels>>['items'][number];

function jsonItem({ id, given, suggested, score, methods, kind, evidence, rowId, imageUrl }: MislabelItem) {
  return { id, given, suggested, score, methods, kind, evidence, rowId, imageUrl };
}

/**
 * `loupe mislabels --all`: every suspected label error as JSON Lines, most likely wrong first,
 * written page by page so a script can take the whole list without holding it.
 *
 * @example
 * await mislabelsLines(deps, { run: 'digits-logreg' }, (line) => process.stdout.write(line));
 */
export async function mislabelsLines(
  deps: Deps,
  { run, kind }: Pick<MislabelsCommandOptions, 'run' | 'kind'>,
  write: (chunk: string) => void,
): Promise<number> {
  const [{ requireRun }, { listMislabels }] = await Promise.all([
    import('../store/run-lookup.ts'),
    import('../store/findings.ts'),
  ]);
  const found = await requireRun(deps.db, run);
  let cursor: string | undefined;
  let n = 0;
  do {
    const page = await listMislabels(deps.db, { runId: found.id, limit: 1000, cursor, kind });
    if (page.items.length) write(page.items.map((i) => `${JSON.stringify(jsonItem(i))}\n`).join(''));
    n += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return n;
}

export const registerMislabels: RegisterCommand = (program, ctx) => {
  program
    .command('mislabels')
    .description(
      'Suspected label errors (confident learning, embedding neighbours, detection flags), most likely wrong first',
    )
    .requiredOption('--run <name>', 'model run name')
    .option('--limit <n>', 'rows per page (1–1000)', parseLimit, 20)
    .option('--cursor <token>', 'the next-page token printed by the previous page')
    .addOption(new Option('--kind <kind>', 'only this kind of flag').choices(KINDS))
    .option('--json', 'print one JSON document')
    .option('--all', 'every item, one JSON object per line (JSON Lines); no --limit or --cursor')
    .action(async (opts: MislabelsCommandOptions) => {
      if (opts.all) {
        await ctx.withDeps((deps) => mislabelsLines(deps, opts, (s) => ctx.io.out(s)));
        return;
      }
      ctx.io.out(await ctx.withDeps((deps) => mislabelsOutput(deps, opts)));
    });
};
