import { InvalidArgumentError, Option } from 'commander';
import type { Deps } from '../deps.ts';
import { DECISION_FILTERS, type DecisionFilter, ERROR_SORTS, type ErrorSort } from '../store/list-choices.ts';
import { closestNames } from '../text/closest.ts';
import type { RegisterCommand } from './context.ts';
import { formatTable } from './output.ts';
import { parseLimit } from './limit-arg.ts';

export interface ErrorsCommandOptions {
  run: string;
  /** `all`: every row, whatever its IoU. */
  iouBelow?: number | 'all';
  sort?: ErrorSort;
  limit?: number;
  cursor?: string;
  /** Class names, resolved against the run's dataset. */
  label?: string;
  predicted?: string;
  tag?: string;
  decision?: DecisionFilter;
  json?: boolean;
}

function classIndex(classNames: string[], name: string, option: string): number {
  const i = classNames.indexOf(name);
  if (i >= 0) return i;
  const near = closestNames(name, classNames);
  throw new Error(
    `${option} ${name}: no such class in this run's dataset${near.length ? `; did you mean ${near.join(', ')}?` : ''}`,
  );
}

/**
 * The text `loupe errors` prints: one page of model errors as a table (label and prediction side by
 * side) or as one JSON document `{ run, items, total, nextCursor }`.
 *
 * @example
 * process.stdout.write(await errorsOutput(deps, { run: 'resnet-v1', sort: 'confidence:desc', json: true }));
 */
export async function errorsOutput(
  deps: Deps,
  {
    run,
    iouBelow = 0.5,
    sort = 'confidence:asc',
    limit = 20,
    cursor,
    label,
    predicted,
    tag,
    decision,
    json = false,
  }: ErrorsCommandOptions,
): Promise<string> {
  const [{ classNamesOfRun, requireRun }, { listErrors }] = await Promise.all([
    import('../store/run-lookup.ts'),
    import('../store/errors.ts'),
  ]);
  const found = await requireRun(deps.db, run);
  const ds = { classNames: (await classNamesOfRun(deps.db, found.id)) ?? [] };
  const page = await listErrors(deps, {
    runId: found.id,
    iouBelow: iouBelow === 'all' ? null : iouBelow,
    sort,
    limit,
    cursor,
    label: label === undefined ? undefined : classIndex(ds.classNames, label, '--label'),
    predicted: predicted === undefined ? undefined : classIndex(ds.classNames, predicted, '--predicted'),
    tag,
    decision,
  });
  if (json) return `${JSON.stringify({ run: found.name, ...page }, null, 2)}\n`;
  const table = formatTable(
    page.items.map((i) => ({
      id: i.id,
      label: i.label,
      predicted: i.predicted,
      confidence: i.confidence,
      iou: i.iou,
    })),
    ['id', 'label', 'predicted', 'confidence', 'iou'],
  );
  const shown = page.items.length;
  const total = `${page.total.toLocaleString('en-US')}${page.totalExact ? '' : '+'}`;
  const which = iouBelow === 'all' ? 'rows (any IoU)' : `rows with IoU < ${iouBelow}`;
  const footer = page.nextCursor
    ? `${shown} of ${total} ${which}; next page: --cursor ${page.nextCursor}`
    : `${shown} shown, ${total} ${which}`;
  return `${table}\n${footer}\n`;
}

/** A number, or `all` for no IoU filter (as the board's iou_lt=all). */
function parseIouBelow(raw: string): number | 'all' {
  if (raw === 'all') return raw;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError('expected a number or "all".');
  return v;
}

export const registerErrors: RegisterCommand = (program, ctx) => {
  program
    .command('errors')
    .description(
      'Rows where the model disagrees with the label (IoU below a threshold), least confident first',
    )
    .requiredOption('--run <name>', 'model run name')
    .option('--iou-below <x>', 'show rows whose IoU is below this, or "all"', parseIouBelow, 0.5)
    .addOption(new Option('--sort <order>', 'order').choices(ERROR_SORTS).default('confidence:asc'))
    .option('--limit <n>', 'rows per page (1–1000)', parseLimit, 20)
    .option('--cursor <token>', 'the next-page token printed by the previous page')
    .option('--label <class>', 'only rows with this label')
    .option('--predicted <class>', 'only rows predicted as this class')
    .option('--tag <tag>', 'only rows with this tag')
    .addOption(new Option('--decision <decision>', 'latest review decision').choices(DECISION_FILTERS))
    .option('--json', 'print one JSON document')
    .action(async (opts: ErrorsCommandOptions) => {
      const text = await ctx.withDeps((deps) => errorsOutput(deps, opts));
      ctx.io.out(text);
    });
};
