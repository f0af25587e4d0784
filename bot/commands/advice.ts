import { NoEmbeddingsError, noEmbeddingsAdvice } from '../../src/vectors/index-cache.ts';
import { escapeMrkdwn } from '../blocks/mrkdwn.ts';
import { isPermanent } from '../slack-errors.ts';

/**
 * What to tell the user when a command fails for a reason they can fix (escaped mrkdwn, names
 * never internal ids), or null for our own failures, which get an apology with a reference id.
 *
 * @example
 * adviceFor(new NoEmbeddingsError('…'), { name: 'digits-logreg' });
 * // 'run digits-logreg has no embeddings: add them with `loupe ingest embeddings --run digits-logreg --path emb.npy`'
 */
export function adviceFor(err: unknown, run: { name: string } | null): string | null {
  if (err instanceof NoEmbeddingsError && run)
    return `:warning: ${escapeMrkdwn(noEmbeddingsAdvice(run.name))}`;
  if (isPermanent(err)) return `:warning: ${err.message}`;
  if (err instanceof Error && err.name === 'RowNotFoundError')
    return ':warning: That row no longer exists (the dataset was re-imported or deleted).';
  return null;
}
