import { z } from 'zod';

/**
 * Every threshold the findings use, with its default. The parsed object is stored on
 * `model_runs.findings_options`, so a reviewer can see what a flag was computed with.
 */
export const findingsOptionsSchema = z
  .object({
    /** Label-quality score that ranks confident-learning issues (cleanlab's `rank_by`). */
    rankBy: z.enum(['self_confidence', 'normalized_margin']).default('self_confidence'),
    /** cleanlab's `min_examples_per_class`: classes with this many rows or fewer are never pruned. */
    minExamplesPerClass: z.number().int().min(0).default(1),
    /** Nearest neighbours looked at per row (cosine). */
    k: z.number().int().min(1).max(100).default(10),
    /** Weighted share of one other label among the neighbours that makes a row an "island". */
    islandShare: z.number().gt(0).max(1).default(0.7),
    /** How confident-learning and neighbour scores are fused into one ranking (see README). */
    fusion: z.enum(['rank_average', 'confident_learning_only']).default('rank_average'),
    /** Detection: a prediction at least this confident can flag a label. */
    confidenceFloor: z.number().min(0).max(1).default(0.9),
    /** Detection: IoU at which a prediction matches a ground-truth box (COCO greedy match). */
    matchIou: z.number().gt(0).max(1).default(0.5),
    /** Detection: below `matchIou` but at least this IoU with a same-class box = bad location. */
    badLocationIou: z.number().min(0).max(1).default(0.1),
    /** Detection uncertainty: boxes below this score are ignored; an image with none counts as 1. */
    uncertaintyFloor: z.number().min(0).max(1).default(0.2),
    /** Detection uncertainty: how box uncertainties become the image's. */
    uncertaintyAggregate: z.enum(['max', 'mean']).default('max'),
  })
  .strict();

export type FindingsOptions = z.output<typeof findingsOptionsSchema>;
export type FindingsOptionsInput = z.input<typeof findingsOptionsSchema>;

/**
 * Fill defaults and validate; a bad value names the option.
 *
 * @example
 * const opts = parseFindingsOptions({ k: 15 });
 */
export function parseFindingsOptions(input: unknown = {}): FindingsOptions {
  const parsed = findingsOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new Error(`Invalid findings options:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
