import type { DetectionMetricsDoc } from '../analyze/detection-summary.ts';
import type { Deps } from '../deps.ts';
import type { ClassificationMetricsDoc } from '../metrics/classification-document.ts';
import type { RegisterCommand } from './context.ts';
import { formatTable } from './output.ts';
import { pendingLines, pendingSteps } from './pending.ts';

const COCO_KEYS = [
  ['AP', 'AP @[IoU=0.50:0.95 | area=all | maxDets=100]'],
  ['AP50', 'AP @[IoU=0.50 | area=all | maxDets=100]'],
  ['AP75', 'AP @[IoU=0.75 | area=all | maxDets=100]'],
  ['APsmall', 'AP @[IoU=0.50:0.95 | area=small | maxDets=100]'],
  ['APmedium', 'AP @[IoU=0.50:0.95 | area=medium | maxDets=100]'],
  ['APlarge', 'AP @[IoU=0.50:0.95 | area=large | maxDets=100]'],
  ['AR1', 'AR @[IoU=0.50:0.95 | area=all | maxDets=1]'],
  ['AR10', 'AR @[IoU=0.50:0.95 | area=all | maxDets=10]'],
  ['AR100', 'AR @[IoU=0.50:0.95 | area=all | maxDets=100]'],
  ['ARsmall', 'AR @[IoU=0.50:0.95 | area=small | maxDets=100]'],
  ['ARmedium', 'AR @[IoU=0.50:0.95 | area=medium | maxDets=100]'],
  ['ARlarge', 'AR @[IoU=0.50:0.95 | area=large | maxDets=100]'],
] as const;

function classificationText(name: string, m: ClassificationMetricsDoc): string {
  const topK = Object.entries(m.topK)
    .map(([k, v]) => `top-${k} ${v.toFixed(4)}`)
    .join('  ');
  const head = [
    `run ${name} (classification): ${m.labeled} labeled rows, ${m.unlabeled} unlabeled`,
    `accuracy ${m.accuracy.toFixed(4)}  ECE ${m.ece.toFixed(4)} (15 bins)${topK ? `  ${topK}` : ''}`,
    '',
    formatTable(
      [
        { average: 'macro', ...m.macro },
        { average: 'weighted', ...m.weighted },
      ],
      ['average', 'precision', 'recall', 'f1'],
    ),
    '',
    formatTable(m.classes, ['name', 'precision', 'recall', 'f1', 'support']),
  ];
  return head.join('\n');
}

function detectionText(name: string, m: DetectionMetricsDoc): string {
  const fmt = (v: number | null) => (v === null || v < 0 ? '' : v.toFixed(4));
  return [
    `run ${name} (detection): COCO bbox evaluation`,
    formatTable(
      COCO_KEYS.map(([k, label]) => ({ metric: k, value: fmt(m.coco[k] ?? null), setting: label })),
      ['metric', 'value', 'setting'],
    ),
    ...(m.errors
      ? [
          '',
          `dAP, AP50 lost to each error type (TIDE): ${Object.entries(m.errors)
            .map(([k, v]) => `${k} ${v.toFixed(4)}`)
            .join('  ')}`,
        ]
      : []),
    '',
    formatTable(
      m.classes.map((c) => ({
        name: c.name,
        AP: fmt(c.ap),
        AP50: fmt(c.ap50),
        P: fmt(c.precision),
        R: fmt(c.recall),
        support: c.support,
      })),
      ['name', 'AP', 'AP50', 'P', 'R', 'support'],
    ),
  ].join('\n');
}

/**
 * The text `loupe metrics` prints: the run's stored metrics document as JSON, or as tables.
 *
 * @example
 * process.stdout.write(await metricsOutput(deps, { run: 'resnet-v1', json: true }));
 */
export async function metricsOutput(
  deps: Deps,
  { run, json = false }: { run: string; json?: boolean },
): Promise<string> {
  const { requireRun } = await import('../store/run-lookup.ts');
  const found = await requireRun(deps.db, run);
  const doc = found.metrics;
  if (!doc) {
    const running = pendingLines(await pendingSteps(deps, found.id));
    throw new Error(
      running.length
        ? `run ${run} has no metrics yet: its analysis is under way (${running.join('; ')}); ask again when it is done`
        : `run ${run} has no metrics yet: it has not been analyzed`,
    );
  }
  // The stored document as it is (scripts compare it); the text says what is still running.
  if (json) return `${JSON.stringify(doc, null, 2)}\n`;
  const text =
    doc.kind === 'detection'
      ? detectionText(found.name, doc as unknown as DetectionMetricsDoc)
      : classificationText(found.name, doc as unknown as ClassificationMetricsDoc);
  return `${[text, ...pendingLines(await pendingSteps(deps, found.id))].join('\n')}\n`;
}

export const registerMetrics: RegisterCommand = (program, ctx) => {
  program
    .command('metrics')
    .description("A run's metrics: accuracy, per-class P/R/F1, ECE (classification) or COCO AP (detection)")
    .requiredOption('--run <name>', 'model run name')
    .option('--json', 'print one JSON document (the stored metrics document)')
    .action(async (opts: { run: string; json?: boolean }) => {
      const text = await ctx.withDeps((deps) => metricsOutput(deps, opts));
      ctx.io.out(text);
    });
};
