import { readFileSync, writeFileSync } from 'node:fs';
import { Option } from 'commander';
import { LABEL_EXPORT_FORMATS, type LabelExportFormat } from '../export/label-formats.ts';
import type { RegisterCommand } from './context.ts';

interface ExportLabelsOptions {
  dataset: string;
  version?: string;
  format: LabelExportFormat;
  out?: string;
  onlyChanged?: boolean;
  like?: string;
}

function readLike(path: string | undefined): Record<string, unknown> | undefined {
  if (!path) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`--like ${path}: ${(err as Error).message}`);
  }
}

function parseVersion(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1)
    throw new Error(`--version must be a label version number (1 is the labels as ingested), got "${raw}"`);
  return Number(raw);
}

/** `loupe export labels`: the cleaned labels of a dataset, in the form they came in, to retrain on. */
export const registerExportLabels: RegisterCommand = (program, ctx) => {
  const exp = program.command('export').description('Export data to use outside Loupe');
  exp
    .command('labels')
    .description(
      "Write a dataset's labels at a version (default: current, corrections applied) as they came in: " +
        '.npy in the same dtype and row order, CSV id,label, or COCO with the same ids',
    )
    .requiredOption('--dataset <name>', 'dataset name')
    .option('--version <n>', 'label version (1 = as ingested; default: the current one)')
    .addOption(new Option('--format <format>', 'file format').choices(LABEL_EXPORT_FORMATS).default('npy'))
    .option(
      '-o, --out <file>',
      'write to this file (required for npy; csv and coco print to stdout without it)',
    )
    .option(
      '--only-changed',
      'write only the labels that differ from version 1 (npy: N×2 of row index, label; csv: id,old_label,label; coco: changed boxes + deleted_annotation_ids)',
    )
    .option(
      '--like <file>',
      'coco: the COCO file the dataset was ingested from; written back with the corrections applied and every other field kept',
    )
    .action(async (opts: ExportLabelsOptions) => {
      const version = parseVersion(opts.version);
      if (opts.format === 'npy' && !opts.out)
        throw new Error('--out is required for --format npy (a binary file), e.g. --out labels_clean.npy');
      // Loaded here: the export pulls in the store and the file writers, which --help never needs.
      const { exportLabels } = await import('../export/labels.ts');
      const result = await ctx.withDeps((deps) =>
        exportLabels(deps.db, {
          dataset: opts.dataset,
          version,
          format: opts.format,
          onlyChanged: opts.onlyChanged,
          like: readLike(opts.like),
        }),
      );
      const what = opts.format === 'coco' ? 'annotations' : opts.onlyChanged ? 'changed labels' : 'rows';
      const summary = `${result.dataset} labels v${result.version}: ${result.written} ${what}, ${result.changed} label${result.changed === 1 ? '' : 's'} changed since v1`;
      if (opts.out) {
        writeFileSync(opts.out, result.body);
        ctx.io.out(`Wrote ${summary} to ${opts.out}\n`);
      } else {
        ctx.io.out(result.body.toString('utf8'));
        ctx.io.err(`${summary}\n`);
      }
    });
};
