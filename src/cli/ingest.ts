import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { Deps } from '../deps.ts';
import type { Progress } from '../progress.ts';
import { IngestError } from '../ingest/errors.ts';
import type { IngestResult } from '../ingest/index.ts';
import { counted } from '../text/plural.ts';
import type { CliContext, RegisterCommand } from './context.ts';
import { type IngestKind, type IngestTarget, followAnalysis, ingestOverHttp } from './ingest-remote.ts';
import { printJson } from './output.ts';

function summary(r: IngestResult): string {
  if (r.unchanged)
    return `Run "${r.run}" in dataset "${r.dataset}" is unchanged: these files are already imported (${counted(r.rows, 'row')}).`;
  const media = r.media
    ? ` Media: ${counted(r.media.images, 'image')}, ${counted(r.media.texts, 'text')}.`
    : '';
  return (
    `Imported run "${r.run}" into dataset "${r.dataset}": ${counted(r.rows, 'row')}, ` +
    `${counted(r.annotations, 'annotation')}, ${counted(r.predictions, 'prediction')}, ` +
    `${counted(r.embeddings, 'embedding')}.${media}`
  );
}

/** Missing image files do not stop an import (unless --strict-media), but they are never silent. */
function warnMissing(ctx: CliContext, r: IngestResult): void {
  const m = r.media;
  if (!m?.missing) return;
  const more = m.missing > m.missingNames.length ? ', …' : '';
  ctx.io.err(
    `loupe ingest: warning: ${counted(m.missing, 'image file')} not found (${m.missingNames.join(', ')}${more}); those rows show no image. Use --strict-media to refuse the import instead.\n`,
  );
}

/** Input errors are the user's to fix: print the message alone and exit 1, no stack. */
async function report<T>(
  ctx: CliContext,
  json: boolean | undefined,
  work: () => Promise<T>,
  text: (r: T) => string,
): Promise<void> {
  try {
    const r = await work();
    warnMissing(ctx, r as IngestResult);
    const job = (r as { job?: number | null }).job;
    if (json) printJson(ctx.io, r);
    else {
      ctx.io.out(`${text(r)}\n`);
      if (typeof job === 'number')
        ctx.io.out(`Analysis queued as job ${job}: \`loupe jobs\` shows how it goes.\n`);
    }
    for (const w of (r as { warnings?: string[] }).warnings ?? []) ctx.io.err(`warning: ${w}\n`);
  } catch (err) {
    if (!(err instanceof IngestError)) throw err;
    ctx.io.err(`loupe ingest: ${err.message}\n`);
    ctx.io.fail(1);
  }
}

interface TargetOptions {
  server?: string;
  token?: string;
  /** False with --no-wait: leave the analysis to the workers and return once the import committed. */
  wait?: boolean;
}

/**
 * Where the ingest runs: the server named by --server; else the `loupe serve` holding the embedded
 * data folder (it cannot be opened twice); else here.
 */
function ingestTarget(ctx: CliContext, o: TargetOptions): IngestTarget | null {
  if (o.server) {
    if (!o.token)
      throw new IngestError(
        '--server needs an API token: set LOUPE_TOKEN or pass --token (create one where the server runs: `loupe token create <name>`)',
      );
    return { url: o.server, token: o.token };
  }
  if (o.token) throw new IngestError('--token goes with --server URL');
  const local = ctx.localServer();
  return local ? { url: local.url, token: local.key } : null;
}

/**
 * Below this many bytes of input an import is at most tens of thousands of rows: the embedded
 * database then opens for a quick start (see WithDepsOptions.heavy). Measured on COCO files: the
 * 100-image sample's ingest took 2.8 s CPU instead of 5.9; the 5k-image set (12.6 MB, 140k boxes)
 * the same CPU either way, with 550 MB peak instead of 680 MB.
 */
const HEAVY_INPUT_BYTES = 16 << 20;

/** Whether the files of an import add up to heavy database work (missing files count as none). */
function heavyInput(files: Record<string, string | undefined>): boolean {
  let bytes = 0;
  for (const path of Object.values(files)) {
    if (!path) continue;
    try {
      bytes += statSync(path).size;
    } catch {
      // The import names the missing file in its own error.
    }
  }
  return bytes >= HEAVY_INPUT_BYTES;
}

/** The importers, loaded when an import runs here rather than at every start. */
const importers = () => import('../ingest/index.ts');

/** Run the ingest here, or send its files to the server that will run the same code; progress on stderr. */
async function ingestHereOrThere<T>(
  ctx: CliContext,
  o: TargetOptions,
  kind: IngestKind,
  request: { fields: Record<string, string | undefined>; files: Record<string, string | undefined> },
  here: (deps: Deps, progress: Progress) => Promise<T>,
): Promise<T> {
  const target = ingestTarget(ctx, o);
  const { cliProgressFor } = await import('./progress.ts');
  const progress = cliProgressFor(ctx.io);
  try {
    if (!target) {
      progress.step('importing');
      // Loaded while the embedded engine compiles on background threads (withDeps starts it),
      // instead of after the database opened; a failure surfaces where `here` imports them.
      const loading = importers();
      loading.catch(() => {});
      return await ctx.withDeps(
        async (deps) => {
          const result = await here(deps, progress);
          if (o.wait !== false) return result;
          // As a server answers --no-wait: with the first job of the analysis it queued (`loupe jobs`).
          const [{ findRun }, { pendingJobs }] = await Promise.all([
            import('../store/run-lookup.ts'),
            import('../store/jobs.ts'),
          ]);
          const run = await findRun(deps.db, (result as { run: string }).run);
          const job = run ? ((await pendingJobs(deps.database, run.id))[0]?.id ?? null) : null;
          return { ...result, job };
        },
        { heavy: heavyInput(request.files) },
      );
    }
    const answer = await ingestOverHttp<T & { run: string; job?: number | null }>(
      target,
      kind,
      request.fields,
      request.files,
      { progress },
    );
    // The server answers once the import committed and runs the analysis as jobs: follow them, so
    // the command ends as a local one does, with the run analysed. --no-wait keeps the job id.
    if (o.wait === false || answer.job == null) return answer;
    const { job, ...result } = answer;
    await followAnalysis(target, answer.run, job, { progress });
    return result as T;
  } finally {
    progress.stop();
  }
}

function remoteOptions(command: Command): Command {
  return command
    .option('--no-wait', 'return once the import is stored; the analysis runs as jobs (`loupe jobs`)')
    .option('--server <url>', 'send the files to a Loupe server (its HTTP ingest API) instead')
    .addOption(
      new Option('--token <token>', 'API token for --server (`loupe token create`)').env('LOUPE_TOKEN'),
    );
}

/**
 * The media options as form fields. The image folder is the server's to read, so it travels as an
 * absolute path: right for the `loupe serve` on this machine; for --server, a folder on that machine.
 */
const mediaFields = (o: { images?: string; strictMedia?: boolean }) => ({
  images: o.images ? resolve(o.images) : undefined,
  strictMedia: o.strictMedia ? 'true' : undefined,
});

/** The analyze flag as a form field: only its opt-out travels. */
const analyzeField = (analyze: boolean) => (analyze === false ? 'false' : undefined);

function addSubcommands(ingest: Command, ctx: CliContext): void {
  remoteOptions(
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
      .option('--images <dir>', "folder holding the images (each image's file_name is relative to it)")
      .option('--strict-media', 'refuse the import when an image file is missing')
      .option('--no-analyze', 'skip computing metrics and findings after the import')
      .option('--json', 'print the result as one JSON document'),
  ).action(async (o) =>
    report(
      ctx,
      o.json,
      () =>
        ingestHereOrThere(
          ctx,
          o,
          'coco',
          {
            fields: { run: o.run, dataset: o.dataset, analyze: analyzeField(o.analyze), ...mediaFields(o) },
            files: { gt: o.gt, pred: o.pred, embeddings: o.embeddings },
          },
          async (deps, progress) =>
            (await importers()).ingestCoco(deps, {
              progress,
              images: o.images,
              strictMedia: o.strictMedia,
              run: o.run,
              dataset: o.dataset,
              gt: o.gt,
              pred: o.pred,
              embeddings: o.embeddings,
              analyze: o.analyze,
              wait: o.wait,
            }),
        ),
      summary,
    ),
  );

  remoteOptions(
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
        'CSV (id,label,p_0..p_{k-1}[,image,text,image_url,width,height]) or JSONL ({id,label,probs,image?,text?,…})',
      )
      .option(
        '--images <dir>',
        'folder holding the images: <row id>.<png|jpg|jpeg|webp|gif>, or paths in an image column relative to it',
      )
      .option('--texts <file>', 'texts of the rows: one per line in row order, or .jsonl ({id, text})')
      .option('--strict-media', 'refuse the import when an image file is missing')
      .option('--embeddings <file>', 'embeddings .npy (N × D, same row order) or .jsonl ({id, embedding})')
      .option('--ids <file>', 'row ids for .npy input, one per line (default: the row index)')
      .option('--class-names <file>', 'class names, one per line (default: 0..K-1)')
      .option('--dataset <name>', 'dataset name (default: the run name)')
      .option('--no-analyze', 'skip computing metrics and findings after the import')
      .option('--json', 'print the result as one JSON document'),
  ).action(async (o) =>
    report(
      ctx,
      o.json,
      () =>
        ingestHereOrThere(
          ctx,
          o,
          'classification',
          {
            fields: { run: o.run, dataset: o.dataset, analyze: analyzeField(o.analyze), ...mediaFields(o) },
            files: {
              texts: o.texts,
              labels: o.labels,
              probs: o.probs,
              table: o.table,
              embeddings: o.embeddings,
              ids: o.ids,
              classNames: o.classNames,
            },
          },
          async (deps, progress) =>
            (await importers()).ingestClassification(deps, {
              progress,
              run: o.run,
              dataset: o.dataset,
              labels: o.labels,
              probs: o.probs,
              table: o.table,
              embeddings: o.embeddings,
              ids: o.ids,
              classNames: o.classNames,
              images: o.images,
              texts: o.texts,
              strictMedia: o.strictMedia,
              analyze: o.analyze,
              wait: o.wait,
            }),
        ),
      summary,
    ),
  );

  remoteOptions(
    ingest
      .command('embeddings')
      .description("Attach embeddings to an imported run's rows")
      .requiredOption('--run <name>', 'an imported model run')
      .requiredOption('--path <file>', 'embeddings .npy (N × D) or .jsonl ({id, embedding})')
      .option('--ids <file>', 'row ids for .npy input, one per line (default: the row index)')
      .option('--no-analyze', 'skip recomputing findings after the import')
      .option('--json', 'print the result as one JSON document'),
  ).action(async (o) =>
    report(
      ctx,
      o.json,
      () =>
        ingestHereOrThere(
          ctx,
          o,
          'embeddings',
          {
            fields: { run: o.run, analyze: analyzeField(o.analyze) },
            files: { path: o.path, ids: o.ids },
          },
          async (deps, progress) => ({
            run: o.run as string,
            ...(await (
              await importers()
            ).ingestEmbeddings(deps, {
              progress,
              run: o.run,
              path: o.path,
              ids: o.ids,
              analyze: o.analyze,
              wait: o.wait,
            })),
          }),
        ),
      (r) => `Attached ${r.embeddings} embeddings to run "${r.run}".`,
    ),
  );
}

export const registerIngest: RegisterCommand = (program, ctx) => {
  const ingest = program
    .command('ingest')
    .description('Import a model run: COCO detection, classification (npy/CSV/JSONL) or embeddings')
    .addHelpText(
      'after',
      `
While \`loupe serve\` runs on the embedded database, ingest hands its files to that server.
From another machine: --server URL with an API token (--token or LOUPE_TOKEN) sends the files to
POST <server>/api/ingest/{classification,coco,embeddings} (multipart form; see README "Ingest API").`,
    );
  addSubcommands(ingest, ctx);
};
