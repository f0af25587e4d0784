import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import { registerRuns } from './runs.ts';
import { registerIngest } from './ingest.ts';
import { registerDigest } from './digest.ts';
import { registerMetrics } from './metrics.ts';
import { registerErrors } from './errors.ts';
import { registerDemo } from './demo.ts';
import { registerMislabels } from './mislabels.ts';
import { registerUncertain } from './uncertain.ts';
import { registerSimilar } from './similar.ts';
import { registerProject } from './project.ts';
import { registerBatch } from './batch.ts';
import { registerRework } from './rework.ts';
import { registerJobs } from './jobs.ts';
import { registerToken } from './token.ts';
import { registerObjects } from './objects.ts';
import { registerImport } from './import.ts';
import { registerExportLabels } from './export-labels.ts';

/** Every analysis command; `serve` and `worker` are added by the composition root. One line per command module. */
export function registerCli(program: Command, ctx: CliContext): void {
  registerRuns(program, ctx);
  registerIngest(program, ctx);
  registerDigest(program, ctx);
  registerMetrics(program, ctx);
  registerErrors(program, ctx);
  registerDemo(program, ctx);
  registerMislabels(program, ctx);
  registerUncertain(program, ctx);
  registerSimilar(program, ctx);
  registerProject(program, ctx);
  registerBatch(program, ctx);
  registerRework(program, ctx);
  registerJobs(program, ctx);
  registerToken(program, ctx);
  registerObjects(program, ctx);
  registerImport(program, ctx);
  registerExportLabels(program, ctx);
}
