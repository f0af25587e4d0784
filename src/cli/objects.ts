import { InvalidArgumentError, Option } from 'commander';
import type { DetectionMetricsDoc } from '../analyze/detection-summary.ts';
import type { Deps } from '../deps.ts';
import { ERROR_TYPES, type ErrorType, iouThresholdIndex } from '../metrics/detection-errors.ts';
import { OBJECT_KINDS, OBJECT_SORTS, type ObjectKind, type ObjectSort } from '../store/list-choices.ts';
import { closestNames } from '../text/closest.ts';
import type { RegisterCommand } from './context.ts';
import { formatTable } from './output.ts';
import { parseLimit } from './limit-arg.ts';

/** COCOeval's IoU thresholds as written on the command line. */
export const COCO_IOUS = ['0.5', '0.55', '0.6', '0.65', '0.7', '0.75', '0.8', '0.85', '0.9', '0.95'];

export interface ObjectsCommandOptions {
  run: string;
  /** One of COCO_IOUS, as a number. */
  iou?: number;
  kind?: ObjectKind;
  type?: ErrorType;
  /** A class name of the run's dataset. */
  class?: string;
  sort?: ObjectSort;
  limit?: number;
  cursor?: string;
  json?: boolean;
}

/** The JSON document of `loupe objects --json`. */
export interface ObjectsDocument {
  run: string;
  iou: number;
  totals: { tp: number; fp: number; fn: number };
  items: {
    image: string;
    kind: ObjectKind;
    type: ErrorType | 'ok';
    class: string | null;
    predicted: string | null;
    score: number | null;
    iou: number;
    annotation: string | null;
  }[];
  nextCursor: string | null;
}

/** The threshold index of an IoU given on the command line, or an error listing the ten. */
export function iouIndex(iou: number): number {
  const t = iouThresholdIndex(iou);
  if (t < 0) throw new Error(`--iou ${iou}: expected one of COCOeval's thresholds ${COCO_IOUS.join(', ')}`);
  return t;
}

/**
 * One page of a detection run's objects at one IoU: the JSON document or a table.
 *
 * @example
 * process.stdout.write(await objectsOutput(deps, { run: 'coco100', kind: 'fp', json: true }));
 */
export async function objectsOutput(
  deps: Deps,
  {
    run,
    iou = 0.5,
    kind,
    type,
    class: className,
    sort = 'confidence:desc',
    limit = 50,
    cursor,
    json = false,
  }: ObjectsCommandOptions,
): Promise<string> {
  const t = iouIndex(iou);
  const [{ classNamesOfRun, requireRun }, { listObjects }] = await Promise.all([
    import('../store/run-lookup.ts'),
    import('../store/objects.ts'),
  ]);
  const found = await requireRun(deps.db, run);
  if (found.kind !== 'detection')
    throw new Error(
      `run ${found.name} is a ${found.kind} run: objects are boxes of a detection run (try loupe errors)`,
    );
  const doc = found.metrics as DetectionMetricsDoc | null;
  if (!doc?.objects)
    throw new Error(
      `run ${found.name} has no per-object outcomes yet: analyze it again (loupe ingest re-runs the analysis)`,
    );
  const ds = { classNames: (await classNamesOfRun(deps.db, found.id)) ?? [] };
  let classIndex: number | undefined;
  if (className !== undefined) {
    classIndex = ds.classNames.indexOf(className);
    if (classIndex < 0) {
      const near = closestNames(className, ds.classNames);
      throw new Error(
        `--class ${className}: no such class in this run's dataset${near.length ? `; did you mean ${near.join(', ')}?` : ''}`,
      );
    }
  }
  const page = await listObjects(deps, {
    runId: found.id,
    t,
    kind,
    type,
    classIndex,
    sort,
    limit,
    cursor,
  });
  const name = (i: number | null) => (i === null ? null : (ds.classNames[i] ?? String(i)));
  const out: ObjectsDocument = {
    run: found.name,
    iou: Number(COCO_IOUS[t]),
    totals: doc.objects.totals[t],
    items: page.items.map((i) => ({
      image: i.image,
      kind: i.kind,
      type: i.type,
      class: name(i.gtLabel),
      predicted: name(i.predLabel),
      score: i.score,
      iou: i.iou,
      annotation: i.annotation,
    })),
    nextCursor: page.nextCursor,
  };
  if (json) return `${JSON.stringify(out, null, 2)}\n`;
  const { tp, fp, fn } = out.totals;
  const table = formatTable(out.items, [
    'image',
    'kind',
    'type',
    'class',
    'predicted',
    'score',
    'iou',
    'annotation',
  ]);
  const footer = `IoU ${out.iou}: ${tp} tp, ${fp} fp, ${fn} fn in the run${
    out.nextCursor ? `; next page: --cursor ${out.nextCursor}` : ''
  }`;
  return `${table}\n${footer}\n`;
}

function parseIou(raw: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || iouThresholdIndex(v) < 0)
    throw new InvalidArgumentError(`expected one of ${COCO_IOUS.join(', ')}.`);
  return v;
}

export const registerObjects: RegisterCommand = (program, ctx) => {
  program
    .command('objects')
    .description("A detection run's boxes one by one: tp, fp (with TIDE's error type) and fn at one IoU")
    .requiredOption('--run <name>', 'model run name')
    .option('--iou <x>', `IoU threshold (${COCO_IOUS.join(', ')})`, parseIou, 0.5)
    .addOption(new Option('--kind <kind>', 'outcome').choices(OBJECT_KINDS))
    .addOption(new Option('--type <type>', 'error type').choices(ERROR_TYPES))
    .option('--class <name>', 'only objects whose ground-truth or predicted class is this')
    .addOption(new Option('--sort <order>', 'order').choices(OBJECT_SORTS).default('confidence:desc'))
    .option('--limit <n>', 'objects per page (1–1000)', parseLimit, 50)
    .option('--cursor <token>', 'the next-page token printed by the previous page')
    .option('--json', 'print one JSON document')
    .action(async (opts: ObjectsCommandOptions) => {
      ctx.io.out(await ctx.withDeps((deps) => objectsOutput(deps, opts)));
    });
};
