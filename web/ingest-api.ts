import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import type { Deps } from '../src/deps.ts';
import { IngestError, ingestClassification, ingestCoco, ingestEmbeddings } from '../src/ingest/index.ts';
import type { BoardEnv } from './env.ts';
import { errorResponse } from './errors.tsx';
import { receiveUpload } from './upload.ts';

type Fields = Record<string, string>;
type Files = Record<string, string>;

/** Each kind: its file parts, its text fields, and the one ingest the CLI runs too. */
const KINDS: Record<
  string,
  {
    files: readonly string[];
    fields: readonly string[];
    run: (deps: Deps, f: Fields, p: Files, analyze: boolean) => Promise<unknown>;
  }
> = {
  classification: {
    files: ['labels', 'probs', 'table', 'embeddings', 'ids', 'classNames', 'texts'],
    fields: ['run', 'dataset', 'analyze', 'images', 'strictMedia'],
    run: (deps, f, p, analyze) =>
      ingestClassification(deps, {
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
      }),
  },
  coco: {
    files: ['gt', 'pred', 'embeddings'],
    fields: ['run', 'dataset', 'analyze', 'images', 'strictMedia'],
    run: (deps, f, p, analyze) => {
      if (!p.gt) throw new IngestError('--gt: missing, expected the COCO ground truth (instances.json)');
      if (!p.pred) throw new IngestError('--pred: missing, expected a COCO results list');
      return ingestCoco(deps, {
        run: f.run,
        dataset: f.dataset,
        gt: p.gt,
        pred: p.pred,
        embeddings: p.embeddings,
        images: f.images,
        strictMedia: f.strictMedia === 'true',
        analyze,
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
        ...(await ingestEmbeddings(deps, { run: f.run, path: p.path, ids: p.ids, analyze })),
      };
    },
  },
};

/**
 * `POST /api/ingest/{classification,coco,embeddings}`: a multipart form whose file parts are the
 * CLI's file options (`probs`, `labels`, `gt`, …, file names kept) and whose text fields are
 * `run`, `dataset` and `analyze=false`. The upload streams to a temporary folder (413 past the
 * limit), the same ingest as `loupe ingest` runs on it, and the answer is its JSON result, or
 * `{ error }` with 400 naming the file, line and field. The caller is authenticated before.
 *
 * @example
 * app.route('/api/ingest', createIngestRoutes(deps, { limitBytes: 1 << 30 }));
 */
export function createIngestRoutes(deps: Deps, { limitBytes }: { limitBytes: number }): Hono<BoardEnv> {
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
      const result = await kind.run(deps, upload.fields, upload.files, analyze === 'true');
      deps.logger.info('ingest over HTTP', { user: c.get('session').user, kind: c.req.param('kind') });
      return c.json(result as Record<string, unknown>);
    } catch (err) {
      if (err instanceof IngestError) return errorResponse(c, 400, err.message);
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  return app;
}
