import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import type { Deps } from '../src/deps.ts';
import { IngestError, ingestClassification, ingestCoco, ingestEmbeddings } from '../src/ingest/index.ts';
import { ANALYSIS_KINDS } from '../src/jobs/pipeline.ts';
import { checkMediaRoot } from '../src/media/ingest.ts';
import { analysisState, pendingJobs } from '../src/store/jobs.ts';
import { findRun } from '../src/store/run-lookup.ts';
import type { BoardEnv } from './env.ts';
import { LOCAL_CLI_USER } from './access.ts';
import { errorResponse } from './errors.tsx';
import { receiveUpload } from './upload.ts';

/** What an import over the API may register as image folders (see `MediaOptions.allowedRoots`). */
type RemoteMedia = { allowedRoots?: string[] };

type Fields = Record<string, string>;
type Files = Record<string, string>;

/** Each kind: its file parts, its text fields, and the one ingest the CLI runs too. */
const KINDS: Record<
  string,
  {
    files: readonly string[];
    fields: readonly string[];
    run: (deps: Deps, f: Fields, p: Files, analyze: boolean, media: RemoteMedia) => Promise<{ run: string }>;
  }
> = {
  classification: {
    files: ['labels', 'probs', 'table', 'embeddings', 'ids', 'classNames', 'texts'],
    fields: ['run', 'dataset', 'analyze', 'images', 'strictMedia'],
    run: (deps, f, p, analyze, media) =>
      ingestClassification(deps, {
        ...media,
        run: f.run,
        dataset: f.dataset,
        labels: p.labels,
        probs: p.probs,
        table: p.table,
        embeddings: p.embeddings,
        ids: p.ids,
        classNames: p.classNames,
        images: f.images,
        texts: p.texts,
        strictMedia: f.strictMedia === 'true',
        analyze,
        wait: false,
      }),
  },
  coco: {
    files: ['gt', 'pred', 'embeddings'],
    fields: ['run', 'dataset', 'analyze', 'images', 'strictMedia'],
    run: (deps, f, p, analyze, media) => {
      if (!p.gt) throw new IngestError('--gt: missing, expected the COCO ground truth (instances.json)');
      if (!p.pred) throw new IngestError('--pred: missing, expected a COCO results list');
      return ingestCoco(deps, {
        ...media,
        run: f.run,
        dataset: f.dataset,
        gt: p.gt,
        pred: p.pred,
        embeddings: p.embeddings,
        images: f.images,
        strictMedia: f.strictMedia === 'true',
        analyze,
        wait: false,
      });
    },
  },
  embeddings: {
    files: ['path', 'ids'],
    fields: ['run', 'analyze'],
    run: async (deps, f, p, analyze) => {
      if (!p.path) throw new IngestError('--path: missing, expected an embeddings .npy or .jsonl file');
      return {
        run: f.run,
        ...(await ingestEmbeddings(deps, { run: f.run, path: p.path, ids: p.ids, analyze, wait: false })),
      };
    },
  },
};

/**
 * `POST /api/ingest/{classification,coco,embeddings}`: a multipart form whose file parts are the
 * CLI's file options (`probs`, `labels`, `gt`, …, file names kept) and whose text fields are
 * `run`, `dataset` and `analyze=false`. The upload streams to a temporary folder (413 past the
 * limit), the same ingest as `loupe ingest` runs on it, and the answer is its JSON result with
 * `job`, the id of the analysis job it queued (null with `analyze=false`), as soon as the import
 * committed; or `{ error }` with 400 naming the file, line and field. The analysis runs as jobs
 * (this server's worker or any other); `GET /api/ingest/analysis?run=…&since=<job>` says where it
 * stands: `{ state: running|done|failed, step: { id, kind, progress } | null, error }`. The
 * caller is authenticated before.
 *
 * @example
 * app.route('/api/ingest', createIngestRoutes(deps, { limitBytes: 1 << 30 }));
 */
export function createIngestRoutes(
  deps: Deps,
  { limitBytes, onJobsQueued = () => {} }: { limitBytes: number; onJobsQueued?: () => void },
): Hono<BoardEnv> {
  const app = new Hono<BoardEnv>();
  app.post('/:kind', async (c) => {
    const kind = KINDS[c.req.param('kind')];
    if (!kind)
      return errorResponse(
        c,
        404,
        `no ingest of kind "${c.req.param('kind')}"; expected ${Object.keys(KINDS).join(', ')}`,
      );
    const dir = await mkdtemp(join(tmpdir(), 'loupe-upload-'));
    try {
      const upload = await receiveUpload(c.req.raw, { dir, limitBytes, fileParts: kind.files });
      if (!upload.ok)
        return errorResponse(
          c,
          upload.status,
          upload.error,
          upload.status === 413 ? { help: 'The server sets the limit with LOUPE_UPLOAD_LIMIT_MB.' } : {},
        );
      const unknown = Object.keys(upload.fields).find((f) => !kind.fields.includes(f));
      if (unknown)
        return errorResponse(c, 400, `unknown field "${unknown}", expected ${kind.fields.join(', ')}`);
      const { analyze = 'true' } = upload.fields;
      if (analyze !== 'true' && analyze !== 'false')
        return errorResponse(c, 400, 'analyze must be true or false');
      // The CLI on this machine (the serve's own key) may name any folder, as it could run the
      // import itself; any other caller only folders under LOUPE_MEDIA_ROOTS.
      const media: RemoteMedia =
        c.get('session').user === LOCAL_CLI_USER ? {} : { allowedRoots: deps.config.LOUPE_MEDIA_ROOTS };
      if (upload.fields.images)
        checkMediaRoot(upload.fields.images, media.allowedRoots, `--images ${upload.fields.images}`);
      const result = await kind.run(deps, upload.fields, upload.files, analyze === 'true', media);
      const run = await findRun(deps.db, result.run);
      // The chain's first job: queued by this import, or an earlier one still waiting that absorbed it.
      const job =
        analyze === 'true' && run ? ((await pendingJobs(deps.database, run.id))[0]?.id ?? null) : null;
      if (job !== null) onJobsQueued();
      deps.logger.info('ingest over HTTP', { user: c.get('session').user, kind: c.req.param('kind'), job });
      return c.json({ ...result, job });
    } catch (err) {
      if (err instanceof IngestError) return errorResponse(c, 400, err.message);
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  app.get('/analysis', async (c) => {
    const name = c.req.query('run');
    const since = Number(c.req.query('since') ?? 0);
    if (!name || !Number.isInteger(since) || since < 0)
      return errorResponse(c, 400, 'expected ?run=<run name>&since=<job id from the ingest answer>');
    const run = await findRun(deps.db, name);
    if (!run) return errorResponse(c, 404, `no run named "${name}"`);
    return c.json({
      run: name,
      ...(await analysisState(deps.database, run.id, { since, kinds: ANALYSIS_KINDS })),
    });
  });
  return app;
}
