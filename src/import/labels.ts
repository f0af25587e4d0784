import type { Deps } from '../deps.ts';
import {
  type ImportCandidate,
  type LabelImportResult,
  applyLabelImport,
  importCandidates,
} from '../store/label-import.ts';
import { LabelChangeError } from '../store/label-version-types.ts';
import { findLabelDataset } from '../store/label-version-reads.ts';
import { parseCocoLabels } from './coco.ts';
import { parseCvatXml } from './cvat.ts';
import type { ImportedLabels, ImportedRow, LabelTool } from './labels-file.ts';
import { parseLabelStudioExport } from './labelstudio.ts';
import { type ImportPlan, LabelImportError, planLabelImport } from './plan.ts';

export interface LabelImportReport {
  dataset: string;
  tool: LabelTool;
  file: string;
  /** The label version made, or the current one when nothing changed. */
  version: number;
  created: boolean;
  counts: ImportPlan['counts'];
  reworkDone: number;
  batchRowsDone: Record<string, number>;
  preview: ImportPlan['preview'];
}

/** Read a tool's export into rows and labels (throws LabelFileError naming the place and the fix). */
export function parseLabelsFile(
  tool: LabelTool,
  text: string,
  file: string,
  kind: 'classification' | 'detection',
): ImportedLabels {
  if (tool === 'labelstudio') return parseLabelStudioExport(text, file);
  if (tool === 'cvat') return parseCvatXml(text, file, { kind });
  return parseCocoLabels(text, file);
}

/** Match a file's row to a dataset row: by id first, then by image file name (with or without extension). */
function matcher(candidates: ImportCandidate[]) {
  const byId = new Map(candidates.map((c) => [c.externalId, c]));
  const byName = new Map<string, ImportCandidate[]>();
  for (const c of candidates)
    if (c.fileName)
      for (const name of new Set([c.fileName, c.fileName.replace(/\.[^.]+$/, '')]))
        byName.set(name, [...(byName.get(name) ?? []), c]);
  return (row: ImportedRow) => {
    for (const key of [row.key, ...row.altKeys]) {
      const hit = byId.get(key);
      if (hit) return hit;
    }
    for (const key of [row.key, ...row.altKeys]) {
      const hits = byName.get(key);
      if (hits?.length === 1) return hits[0];
      if (hits && hits.length > 1) return 'ambiguous' as const;
    }
    return null;
  };
}

/**
 * `loupe import labels`: read a labeling tool's export (Label Studio JSON, CVAT for images 1.1,
 * COCO), check every row and class against the dataset, and — unless `dryRun` — make one new
 * label version with exactly the file's changes, close the rework rows it covers and mark their
 * batch rows done. All or nothing: a bad file, unknown row or unknown class changes nothing.
 *
 * @example
 * const report = await importLabels(deps, { dataset: 'digits', tool: 'labelstudio', file: 'export.json', text, actor: 'cli' });
 */
export async function importLabels(
  deps: Pick<Deps, 'db'>,
  {
    dataset,
    tool,
    file,
    text,
    actor,
    dryRun = false,
  }: { dataset: string; tool: LabelTool; file: string; text: string; actor: string; dryRun?: boolean },
): Promise<LabelImportReport> {
  const d = await findLabelDataset(deps.db, dataset);
  if (!d)
    throw new LabelImportError(
      `no dataset named "${dataset}"; \`loupe runs\` lists them with their datasets`,
    );
  const parsed = parseLabelsFile(tool, text, file, d.kind);
  const keys = parsed.rows.flatMap((r) => [r.key, ...r.altKeys]);
  const candidates = await importCandidates(deps.db, { datasetId: d.id, classNames: d.classNames, keys });
  const plan = planLabelImport(parsed, d, matcher(candidates));
  const base = { dataset: d.name, tool, file, counts: plan.counts, preview: plan.preview };
  if (dryRun) return { ...base, version: 0, created: false, reworkDone: 0, batchRowsDone: {} };
  let result: LabelImportResult;
  try {
    result = await applyLabelImport(deps.db, { datasetId: d.id, plan, actor, origin: { tool, file } });
  } catch (err) {
    if (err instanceof LabelChangeError) throw new LabelImportError(`Nothing was imported. ${err.message}`);
    throw err;
  }
  return {
    ...base,
    version: result.version.version,
    created: result.version.created,
    reworkDone: result.reworkDone,
    batchRowsDone: result.batchRowsDone,
  };
}
