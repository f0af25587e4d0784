import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Option } from 'commander';
import { LABEL_TOOLS, type LabelTool } from '../import/labels-file.ts';
import type { LabelImportReport } from '../import/labels.ts';
import { counted } from '../text/plural.ts';
import type { RegisterCommand } from './context.ts';
import { printJson, printTable } from './output.ts';

/** Rows of the preview printed; `--json` has them all. */
const PREVIEW = 20;

function summary(r: LabelImportReport, dryRun: boolean): string {
  const c = r.counts;
  const lines = [
    dryRun
      ? `Dry run: importing ${r.file} into "${r.dataset}" would change ${counted(c.changedRows, 'row')}; nothing was stored`
      : r.created
        ? `Imported ${r.file} from ${r.tool} into "${r.dataset}": label version ${r.version}, ${counted(c.changedRows, 'row')} changed`
        : `Imported ${r.file} from ${r.tool} into "${r.dataset}": no label changed (still version ${r.version})`,
    `  rows in file ${c.rowsInFile} · covered ${c.covered} · skipped ${c.skipped} (no annotation)`,
  ];
  const parts = [
    c.relabeled ? `${c.relabeled} relabeled` : '',
    c.newlyLabeled ? `${c.newlyLabeled} newly labeled` : '',
    c.boxClass ? `${c.boxClass} box class changes` : '',
    c.boxDeleted ? `${c.boxDeleted} boxes deleted` : '',
    c.boxAdded ? `${c.boxAdded} boxes added` : '',
  ].filter(Boolean);
  if (parts.length) lines.push(`  ${parts.join(' · ')}`);
  if (!dryRun) {
    const batches = Object.entries(r.batchRowsDone).map(([b, n]) => `${b} ${n}`);
    lines.push(
      `  rework rows done ${r.reworkDone} · batch rows done ${batches.length ? batches.join(', ') : 0}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export const registerImport: RegisterCommand = (program, ctx) => {
  const imp = program.command('import').description('Bring work back from labeling tools');

  imp
    .command('labels <file>')
    .description(
      "Import a labeling tool's export as a new label version: Label Studio JSON export, CVAT for images 1.1 XML, or COCO; marks the covered rework and batch rows done. All or nothing.",
    )
    .requiredOption('--dataset <name>', 'the dataset the batch was exported from')
    .addOption(
      new Option('--from <tool>', 'the tool that wrote the file')
        .choices([...LABEL_TOOLS])
        .makeOptionMandatory(),
    )
    .option('--dry-run', 'check the file and show what would change, storing nothing')
    .option('--json', 'print one JSON document')
    .action(
      async (file: string, opts: { dataset: string; from: LabelTool; dryRun?: boolean; json?: boolean }) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          throw new Error(
            `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          );
        }
        // Loaded here: the import pulls in the store and the XML parser, which --help never needs.
        const { importLabels } = await import('../import/labels.ts');
        const report = await ctx.withDeps((deps) =>
          importLabels(deps, {
            dataset: opts.dataset,
            tool: opts.from,
            file: basename(file),
            text,
            actor: process.env.USER ?? 'cli',
            dryRun: Boolean(opts.dryRun),
          }),
        );
        if (opts.json) return printJson(ctx.io, { ...report, dryRun: Boolean(opts.dryRun) });
        ctx.io.out(summary(report, Boolean(opts.dryRun)));
        if (report.preview.length) {
          printTable(ctx.io, report.preview.slice(0, PREVIEW), ['id', 'before', 'after']);
          if (report.preview.length > PREVIEW)
            ctx.io.out(`… and ${report.preview.length - PREVIEW} more (--json lists all)\n`);
        }
      },
    );
};
