import { type ImportCounts, importMarks } from './ingest.ts';
import type { BulkTx } from './ingest-tx.ts';

// A run's current label version is its dataset's highest; a dataset without one is at version 1.
const LABEL_VERSION = `coalesce((select max(v.version) from label_versions v where v.dataset_id = r.dataset_id), 1)`;

/**
 * The dataset's label version as an import starts (after lockImports), to record with it: a label
 * written while the import ran (label writes take no import lock) then moves the version past it.
 *
 * @example
 * const labelVersion = await startingLabelVersion(tx, datasetId); // 3
 */
export async function startingLabelVersion(tx: BulkTx, datasetId: number): Promise<number> {
  const [row] = await tx.query<{ v: number }>(
    'select coalesce(max(version), 1)::int as v from label_versions where dataset_id = $1',
    [datasetId],
  );
  return row.v;
}

/**
 * Note what an import leaves, at its end inside its transaction: the digest of its files, the
 * import marks (read now, after its last write), the label version it started from
 * (startingLabelVersion), the run's embeddings version, and the counts it answers. sameImport
 * compares them when the same run is imported again.
 *
 * @example
 * await recordLastImport(tx, runId, { digest, counts, labelVersion });
 */
export async function recordLastImport(
  tx: BulkTx,
  runId: number,
  { digest, counts, labelVersion }: { digest: string; counts: ImportCounts; labelVersion: number },
): Promise<void> {
  await tx.query(
    `update model_runs r set last_import = jsonb_build_object(
       'digest', $2::text, 'marks', $3::text, 'counts', $4::text::jsonb,
       'labelVersion', $5::int, 'embeddingsVersion', r.embeddings_version)
     where r.id = $1`,
    [runId, digest, await importMarks(tx), JSON.stringify(counts), labelVersion],
  );
}

/**
 * The counts of the run's last import when importing files of `digest` into it again would change
 * nothing, else null. That holds when its last import had the same files and nothing changed since:
 * the import marks stand (no line added to rows, labels or predictions anywhere: imports run one
 * at a time and every such line takes its id from those sequences), and neither the dataset's label
 * version nor the run's embeddings version moved. With `analyzed`, its analysis must also be done
 * and hold (none of its jobs queued, running or failed), so the same import again is how a run
 * whose analysis did not finish gets it run. Call after lockImports.
 *
 * @example
 * const counts = await sameImport(tx, runId, digest, { analyzed: true }); // null: import as usual
 */
export async function sameImport(
  tx: BulkTx,
  runId: number,
  digest: string,
  { analyzed }: { analyzed: boolean },
): Promise<ImportCounts | null> {
  const [row] = await tx.query<{ same: boolean; counts: ImportCounts | null }>(
    `select (r.last_import->>'digest') = $2
         and (r.last_import->>'marks') = $3
         and (r.last_import->>'labelVersion')::int = ${LABEL_VERSION}
         and (r.last_import->>'embeddingsVersion')::int = r.embeddings_version
         and (not $4::boolean or (
           r.analyzed_at is not null and r.label_version = ${LABEL_VERSION}
           and not exists (select 1 from jobs j where j.run_id = r.id and j.state in ('queued', 'running', 'failed'))))
         as same,
       r.last_import->'counts' as counts
     from model_runs r where r.id = $1`,
    [runId, digest, await importMarks(tx), analyzed],
  );
  return row?.same === true && row.counts ? row.counts : null;
}
