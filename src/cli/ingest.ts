import type { Command } from 'commander';
import {
  IngestError,
  type IngestResult,
  ingestClassification,
  ingestCoco,
  ingestEmbeddings,
} from '../ingest/index.ts';
import type { RegisterCommand } from './context.ts';
import { printJson } from './output.ts';

function summary(r: IngestResult): string {
  return (
    `Imported run "${r.run}" into dataset "${r.dataset}": ${r.rows} rows, ${r.annotations} annotations, ` +
    `${r.predictions} predictions, ${r.embeddings} embeddings.`
  );
}

/** Input errors are the user's to fix: print the message alone and exit 1, no stack. */
async function report<T>(
  json: boolean | undefined,
  work: () => Promise<T>,
  text: (r: T) => string,
): Promise<void> {
  try {
    const r = await work();
    if (json) printJson(r);
    else process.stdout.write(`${text(r)}\n`);
    for (const w of (r as { warnings?: string[] }).warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  } catch (err) {
    if (!(err instanceof IngestError)) throw err;
    process.stderr.write(`loupe ingest: ${err.message}\n`);
    process.exitCode = 1;
  }
}

function addSubcommands(ingest: Command, ctx: Parameters<RegisterCommand>[1]): void {
  ingest
    .command('coco')
    .description('Import COCO ground truth and a COCO results list as a detection run')
    .requiredOption('--gt <file>', 'COCO ground truth (instances.json)')
    .requiredOption('--pred <file>', 'COCO results list ([{image_id, category_id, bbox, score}])')
    .requiredOption('--run <name>', 'model run name (reused when it exists)')
    .option('--dataset <name>', 'dataset name (default: the run name)')
    .option(
      '--embeddings <file>',
      'embeddings .npy (rows in the order of images) or .jsonl ({id, embedding})',
    )
    .option('--no-analyze', 'skip computing metrics and findings after the import')
    .option('--json', 'print the result as one JSON document')
    .action(async (o) =>
      report(
        o.json,
        () =>
          ctx.withDeps((deps) =>
            ingestCoco(deps, {
              run: o.run,
              dataset: o.dataset,
              gt: o.gt,
              pred: o.pred,
              embeddings: o.embeddings,
              analyze: o.analyze,
            }),
          ),
        summary,
      ),
    );

  ingest
    .command('classification')
    .description('Import a classification run from .npy labels/probabilities or one CSV/JSONL table')
    .requiredOption('--run <name>', 'model run name (reused when it exists)')
    .option(
      '--labels <file>',
      'labels .npy (N integers, -1 = unlabeled), or a text/CSV file whose last column is the label',
    )
    .option('--probs <file>', 'predicted probabilities .npy (N × K, rows sum to 1)')
    .option(
      '--table <file>',
      'CSV (id,label,p_0..p_{k-1}[,image_url,width,height]) or JSONL ({id,label,probs,…})',
    )
    .option('--embeddings <file>', 'embeddings .npy (N × D, same row order) or .jsonl ({id, embedding})')
    .option('--ids <file>', 'row ids for .npy input, one per line (default: the row index)')
    .option('--class-names <file>', 'class names, one per line (default: 0..K-1)')
    .option('--dataset <name>', 'dataset name (default: the run name)')
    .option('--no-analyze', 'skip computing metrics and findings after the import')
    .option('--json', 'print the result as one JSON document')
    .action(async (o) =>
      report(
        o.json,
        () =>
          ctx.withDeps((deps) =>
            ingestClassification(deps, {
              run: o.run,
              dataset: o.dataset,
              labels: o.labels,
              probs: o.probs,
              table: o.table,
              embeddings: o.embeddings,
              ids: o.ids,
              classNames: o.classNames,
              analyze: o.analyze,
            }),
          ),
        summary,
      ),
    );

  ingest
    .command('embeddings')
    .description("Attach embeddings to an imported run's rows")
    .requiredOption('--run <name>', 'an imported model run')
    .requiredOption('--path <file>', 'embeddings .npy (N × D) or .jsonl ({id, embedding})')
    .option('--ids <file>', 'row ids for .npy input, one per line (default: the row index)')
    .option('--no-analyze', 'skip recomputing findings after the import')
    .option('--json', 'print the result as one JSON document')
    .action(async (o) =>
      report(
        o.json,
        () =>
          ctx.withDeps(async (deps) => ({
            run: o.run as string,
            ...(await ingestEmbeddings(deps, { run: o.run, path: o.path, ids: o.ids, analyze: o.analyze })),
          })),
        (r) => `Attached ${r.embeddings} embeddings to run "${r.run}".`,
      ),
    );
}

export const registerIngest: RegisterCommand = (program, ctx) => {
  const ingest = program
    .command('ingest')
    .description('Import a model run: COCO detection, classification (npy/CSV/JSONL) or embeddings');
  addSubcommands(ingest, ctx);
};
