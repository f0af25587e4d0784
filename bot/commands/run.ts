import type { RunRef } from '../../src/store/run-lookup.ts';
import { assignAnswer } from '../batches/assign.ts';
import { helpMessage } from '../blocks/help.ts';
import type { SlackMessage } from '../blocks/kit.ts';
import { boardLinkMessage, notice, publicBoardMessage, unknownRun } from '../blocks/notices.ts';
import { channelLinks } from '../links.ts';
import { adviceFor } from './advice.ts';
import { batchAnswer } from './batch.ts';
import type { CommandContext, Reply } from './context.ts';
import { digestAnswer } from './digest.ts';
import { errorsAnswer } from './errors.ts';
import { mislabelsAnswer } from './mislabels.ts';
import type { ParsedCommand } from './parse.ts';
import { reworkAnswer } from './rework.ts';
import { runsAnswer } from './runs.ts';
import { similarAnswer } from './similar.ts';
import { uncertainAnswer } from './uncertain.ts';
import { worstClassesAnswer } from './worst-classes.ts';

type Kind = ParsedCommand['kind'];
type Command<K extends Kind> = Extract<ParsedCommand, { kind: K }>;
type RunKind = 'worst-classes' | 'errors' | 'mislabels' | 'uncertain' | 'similar' | 'batch';
type Answer = Promise<SlackMessage> | SlackMessage;

/** Commands answered without a run. */
const WITHOUT_RUN: { [K in Exclude<Kind, RunKind>]: (ctx: CommandContext, cmd: Command<K>) => Answer } = {
  help: (ctx, cmd) => helpMessage(ctx.command, cmd.problem),
  runs: (ctx) => runsAnswer(ctx),
  board: (ctx, cmd) =>
    cmd.public
      ? publicBoardMessage(ctx.links.url('/', ctx.user))
      : boardLinkMessage(ctx.links.url('/', ctx.user)),
  rework: (ctx, cmd) => reworkAnswer(ctx, cmd.n),
  'batch-assign': assignAnswer,
  digest: (ctx) => digestAnswer({ config: ctx.deps.config, ...ctx }),
};

/** Commands about one run: the one named, else the default run. */
const ON_RUN: { [K in RunKind]: (ctx: CommandContext, run: RunRef, cmd: Command<K>) => Answer } = {
  'worst-classes': (ctx, run, cmd) => worstClassesAnswer(ctx, run, cmd.by, cmd.n),
  errors: (ctx, run, cmd) => errorsAnswer(ctx, run, cmd.iouBelow, cmd.n),
  mislabels: (ctx, run, cmd) => mislabelsAnswer(ctx, run, cmd.n),
  uncertain: uncertainAnswer,
  similar: (ctx, run, cmd) => similarAnswer(ctx, run, cmd.rowId, cmd.n),
  batch: batchAnswer,
};

const aboutRun = (cmd: ParsedCommand): cmd is Command<RunKind> => cmd.kind in ON_RUN;

/**
 * Answer one parsed command from precomputed results (index lookups only).
 *
 * @example
 * const reply = await runCommand(ctx, parseCommand('mislabels 5'));
 */
export async function runCommand(ctx: CommandContext, cmd: ParsedCommand): Promise<Reply> {
  const response_type = cmd.public ? 'in_channel' : 'ephemeral';
  // A channel sees a public answer: its links sign nobody in (each reader signs in as themselves).
  const msg = await answer(cmd.public ? { ...ctx, links: channelLinks(ctx.links) } : ctx, cmd);
  return { ...msg, response_type };
}

async function answer(ctx: CommandContext, cmd: ParsedCommand): Promise<SlackMessage> {
  if (!aboutRun(cmd)) {
    const handler = WITHOUT_RUN[cmd.kind] as (ctx: CommandContext, cmd: ParsedCommand) => Answer;
    return handler(ctx, cmd);
  }
  const runName = 'run' in cmd ? cmd.run : undefined;
  // Commands that draw from the unlabeled pool default to the newest run that has one.
  const fromPool = cmd.kind === 'uncertain' || (cmd.kind === 'batch' && cmd.from === 'uncertain');
  const run =
    (!runName && fromPool ? await ctx.sources.lookupRunWithPool(ctx.deps.db) : null) ??
    (await ctx.sources.lookupRun(ctx.deps.db, runName));
  if (!run) {
    if (runName)
      return unknownRun(
        runName,
        ctx.sources.closestNames(runName, await ctx.sources.runNames(ctx.deps.db), 3),
      );
    return notice(
      'There are no model runs yet. Import one with `loupe ingest`, or start with `LOUPE_DEMO=1`.',
    );
  }
  const handler = ON_RUN[cmd.kind] as (ctx: CommandContext, run: RunRef, cmd: ParsedCommand) => Answer;
  try {
    return await handler(ctx, run, cmd);
  } catch (err) {
    // Failures the user can fix say how; ours get the apology with its reference id.
    const advice = adviceFor(err, run);
    if (advice) return notice(advice);
    throw err;
  }
}
