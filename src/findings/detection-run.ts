import type { Deps } from '../deps.ts';
import { type DetectionImage, type FindingsRun, loadDetectionImages } from '../store/findings-inputs.ts';
import type { NewFlag, RowFindings } from '../store/findings-save.ts';
import { detectionEvidence, detectionFlags, imageLabelQuality } from './detection.ts';
import type { FindingsOptions } from './options.ts';
import { imageUncertainty } from './uncertainty.ts';

/**
 * A detection run's findings, before they are stored: each labeled image's flags and label quality,
 * each unlabeled image's uncertainty.
 *
 * @example
 * const { flags, rows } = await detectionRun(deps, run, options);
 */
export async function detectionRun(
  deps: Deps,
  run: FindingsRun,
  options: FindingsOptions,
  loaded?: DetectionImage[],
): Promise<{ flags: NewFlag[]; rows: RowFindings[] }> {
  const images = loaded ?? (await loadDetectionImages(deps.db, run.id));
  const name = (c: number) => run.classNames[c] ?? String(c);
  const flags: (NewFlag & { predId: number })[] = [];
  const rows: RowFindings[] = images.map((img) => {
    if (img.labeled) {
      const found = detectionFlags(img.gts, img.dets, options);
      for (const f of found)
        flags.push({
          rowId: img.rowId,
          kind: f.kind,
          annId: f.annId,
          predId: f.predId,
          given: f.given,
          suggested: f.suggested,
          score: f.score,
          methods: ['detection'],
          evidence: detectionEvidence(f, name),
        });
      return {
        rowId: img.rowId,
        labelQuality: imageLabelQuality(found),
        neighbourDisagreement: null,
        uncertaintyLeast: null,
        uncertaintyMargin: null,
        uncertaintyEntropy: null,
      };
    }
    const scores = img.dets.map((d) => d.score);
    const opts = { floor: options.uncertaintyFloor, aggregate: options.uncertaintyAggregate };
    return {
      rowId: img.rowId,
      labelQuality: null,
      neighbourDisagreement: null,
      uncertaintyLeast: imageUncertainty(scores, 'least', opts),
      uncertaintyMargin: imageUncertainty(scores, 'margin', opts),
      uncertaintyEntropy: imageUncertainty(scores, 'entropy', opts),
    };
  });
  flags.sort((a, b) => a.score - b.score || a.rowId - b.rowId || a.predId - b.predId);
  return { flags, rows };
}
