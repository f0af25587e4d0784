import type { Strategy } from '../../src/findings/uncertainty.ts';
import type { KnownBlock } from '@slack/types';
import { mayWrite } from '../../src/authorize.ts';
import type { Deps } from '../../src/deps.ts';
import { createMediaUrls } from '../../src/media/urls.ts';
import type { RunRef } from '../../src/store/run-lookup.ts';
import type { SlackMessage } from '../blocks/kit.ts';
import { actions, button } from '../blocks/kit.ts';
import { helpMessage } from '../blocks/help.ts';
import { adviceFor } from './advice.ts';
import { digestAnswer } from './digest.ts';
import { linesMessage } from '../blocks/lines.ts';
import { type ListItem, listMessage } from '../blocks/list.ts';
import { delta, link, mention, num, safeText } from '../blocks/mrkdwn.ts';
import { boardLinkMessage, notice, publicBoardMessage, unknownRun } from '../blocks/notices.ts';
import { ACTION, batchValue } from '../blocks/values.ts';
import { type BoardLinks, channelLinks, seg } from '../links.ts';
import type { BotSources } from '../sources.ts';
import { latestDecisions } from '../../src/store/reviews.ts';
import { costliestType } from '../../src/charts/dap.ts';
import { ERROR_TYPES, type ErrorType, iouThresholdIndex } from '../../src/metrics/detection-errors.ts';
import type { ClassMetric, ParsedCommand } from './parse.ts';

export type Reply = SlackMessage & { response_type: 'ephemeral' | 'in_channel' };

export interface CommandContext {
  deps: Deps;
  sources: BotSources;
  links: BoardLinks;
  /** The slash command as configured, e.g. `/loupe`. */
  command: string;
  user: string;
  userName?: string;
  channel?: string;
  /** The command text as typed (review buttons carry it to rebuild the answer after a click). */
  origin?: string;
  /** Posts today's digest to the caller's channel (the `digest` command). */
  postDigest?: (channel: string) => Promise<void>;
}

/** Items one list answer shows; the footer links to the rest. */
export const SHOWN = 20;

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
  switch (cmd.kind) {
    case 'help':
      return helpMessage(ctx.command, cmd.problem);
    case 'runs':
      return runsAnswer(ctx);
    case 'board':
      return cmd.public
        ? publicBoardMessage(ctx.links.url('/', ctx.user))
        : boardLinkMessage(ctx.links.url('/', ctx.user));
    case 'rework':
      return reworkAnswer(ctx, cmd.n);
    case 'digest':
      return digestAnswer({ config: ctx.deps.config, ...ctx });
    default:
      break;
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
  try {
    switch (cmd.kind) {
      case 'worst-classes':
        return await worstClassesAnswer(ctx, run, cmd.by, cmd.n);
      case 'errors':
        return await errorsAnswer(ctx, run, cmd.iouBelow, cmd.n);
      case 'mislabels':
        return await mislabelsAnswer(ctx, run, cmd.n);
      case 'uncertain':
        return await uncertainAnswer(ctx, run, cmd);
      case 'similar':
        return await similarAnswer(ctx, run, cmd.rowId, cmd.n);
      case 'batch':
        return await batchAnswer(ctx, run, cmd);
    }
  } catch (err) {
    // Failures the user can fix say how; ours get the apology with its reference id.
    const advice = adviceFor(err, run);
    if (advice) return notice(advice);
    throw err;
  }
}

async function runsAnswer(ctx: CommandContext): Promise<SlackMessage> {
  const runs = await ctx.sources.listRuns(ctx.deps.db);
  const lines = runs.map((r) => {
    const metric = r.headline ? `${r.headline.metric} ${num(r.headline.value, 4)}` : 'not analysed yet';
    const change = r.change === null ? '' : ` (${delta(r.change, 4)} vs ${safeText(r.previous ?? '', 60)})`;
    const url = ctx.links.url(`/runs/${seg(r.name)}`, ctx.user);
    return `*${link(url, safeText(r.name, 100))}* · ${r.kind} · ${metric}${change} · ${r.rows} rows (${r.unlabeled} unlabeled)`;
  });
  return linesMessage({
    title: 'Model runs',
    asked: 'Recent model runs, newest first',
    lines,
    boardUrl: ctx.links.url('/', ctx.user),
    empty: 'No runs yet. Import one with `loupe ingest`.',
  });
}

const CLASS_METRICS: Record<'classification' | 'detection', ClassMetric[]> = {
  classification: ['recall', 'precision', 'f1'],
  detection: ['ap', 'recall', 'precision'],
};

interface ClassRow {
  name: string;
  support?: number;
  [metric: string]: unknown;
}

async function worstClassesAnswer(ctx: CommandContext, run: RunRef, by: ClassMetric | undefined, n: number) {
  const allowed = CLASS_METRICS[run.kind];
  const metric = by ?? allowed[0];
  if (!allowed.includes(metric))
    return notice(
      `\`${metric}\` is not computed for ${run.kind} runs; use ${allowed.map((m) => `\`${m}\``).join(', ')}.`,
    );
  const classes = ((run.metrics?.classes as ClassRow[] | undefined) ?? []).filter(
    (c) => typeof c[metric] === 'number' && Number.isFinite(c[metric]),
  );
  classes.sort((a, b) => (a[metric] as number) - (b[metric] as number) || a.name.localeCompare(b.name));
  const worst = classes.slice(0, n);
  const lines = worst.map((c, i) => {
    const figures = allowed.map((m) => `${m} ${num(c[m] as number, 3)}`).join(' · ');
    const costly =
      run.kind === 'detection' ? costliestType(c.errors as Record<ErrorType, number> | null) : null;
    const lost = costly
      ? ` · costliest error *${costly}* (AP50 −${num((c.errors as Record<ErrorType, number>)[costly], 3)})`
      : '';
    return `${i + 1}. *${safeText(c.name, 100)}* — ${figures}${typeof c.support === 'number' ? ` · support ${c.support}` : ''}${lost}`;
  });
  const chart = ctx.links.url(`/runs/${seg(run.name)}?by=${metric}`, ctx.user);
  return linesMessage({
    title: `Worst classes by ${metric}`,
    asked: `worst-classes in *${safeText(run.name, 100)}* by ${metric}, n=${n}`,
    lines,
    total: worst.length,
    boardUrl: chart,
    boardLabel: '📊 Bar chart of every class in the board',
    empty: 'No per-class metrics yet: the run has not been analysed.',
  });
}

async function withDecisions(ctx: CommandContext, items: ListItem[]): Promise<ListItem[]> {
  const shown = items.slice(0, SHOWN);
  const latest = await latestDecisions(
    ctx.deps.db,
    shown.filter((i) => i.reviewable).map((i) => i.rowId),
  );
  return shown.map((i) => {
    const d = latest.get(i.rowId);
    return d && d.decision !== 'dismiss' ? { ...i, decided: { decision: d.decision, actor: d.actor } } : i;
  });
}

/** A thumbnail Slack can fetch: the media module's signed URL (or a public remote one), else none. */
function slackImage(ctx: CommandContext, row: { rowId: number; imageUrl: string | null }): string | null {
  const { config, clock } = ctx.deps;
  return createMediaUrls({ secret: config.LOUPE_SECRET, publicUrl: config.LOUPE_PUBLIC_URL, clock }).slack(
    row,
  );
}

function className(run: RunRef, v: number | string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  return run.classNames[v] ?? String(v);
}

/**
 * `errors` on a detection run: TIDE's dAP breakdown (AP50 lost to each error type), then the most
 * confident objects of the costliest type at the IoU asked for, one per image.
 */
async function detectionErrorsAnswer(ctx: CommandContext, run: RunRef, iou: number, n: number) {
  const t = iouThresholdIndex(iou);
  if (t < 0)
    return notice(
      `A detection run's errors are taken at one of COCOeval's IoU thresholds: 0.5, 0.55, …, 0.95 (you asked for ${num(iou, 2)}).`,
    );
  const errors = run.metrics?.errors as Record<ErrorType, number> | undefined;
  if (!errors) return notice('This run has no error breakdown yet: analyse it again.');
  const type = costliestType(errors);
  const breakdown = [...ERROR_TYPES]
    .sort((a, b) => errors[b] - errors[a])
    .map((e) => `${e} ${num(errors[e], 3)}`)
    .join(' · ');
  const asked = `errors in *${safeText(run.name, 100)}*: AP50 lost to ${breakdown}`;
  const base = `/runs/${seg(run.name)}/objects?iou=${iou}`;
  if (!type)
    return listMessage({
      title: 'Detection errors',
      asked,
      total: 0,
      items: [],
      origin: ctx.origin,
      boardUrl: ctx.links.url(base, ctx.user),
      empty: 'No AP is lost to any error type. 🎉',
    });
  const { items } = await ctx.sources.listObjects(ctx.deps.db, {
    runId: run.id,
    t,
    type,
    sort: type === 'missed' ? 'iou:asc' : 'confidence:desc',
    limit: 200,
  });
  // One item per image: Slack refuses two blocks with one id, and review acts on the image.
  const seen = new Set<number>();
  const list: ListItem[] = [];
  for (const o of items) {
    if (seen.has(o.rowId) || list.length >= Math.min(n, SHOWN)) continue;
    seen.add(o.rowId);
    list.push({
      rowId: o.rowId,
      runId: run.id,
      id: o.image,
      from: className(run, o.gtLabel),
      to: className(run, o.predLabel),
      facts: [
        `${o.kind} ${o.type}`,
        ...(o.score === null ? [] : [`confidence ${num(o.score, 2)}`]),
        `IoU ${num(o.iou, 2)}`,
      ],
      imageUrl: o.imageUrl,
      openUrl: ctx.links.url(`/rows/${o.rowId}?run=${seg(run.name)}&object=${o.id}`, ctx.user),
      reviewable: true,
    });
  }
  return listMessage({
    title: `Detection errors: ${type} costs the most`,
    asked: `${asked}; top ${type} objects at IoU ${iou}`,
    total: list.length,
    items: await withDecisions(ctx, list),
    origin: ctx.origin,
    boardUrl: ctx.links.url(`${base}&type=${type}`, ctx.user),
  });
}

async function errorsAnswer(ctx: CommandContext, run: RunRef, iouBelow: number, n: number) {
  if (run.kind === 'detection') return detectionErrorsAnswer(ctx, run, iouBelow, n);
  const { items, total } = await ctx.sources.listErrors(ctx.deps, {
    runId: run.id,
    iouBelow,
    limit: Math.min(n, SHOWN),
  });
  const list: ListItem[] = items.map((e) => ({
    rowId: e.rowId,
    runId: run.id,
    id: e.id,
    from: className(run, e.label),
    to: className(run, e.predicted),
    facts: [`confidence ${num(e.confidence, 2)}`, `IoU ${num(e.iou, 2)}`],
    imageUrl: slackImage(ctx, e),
    openUrl: ctx.links.url(`/rows/${e.rowId}`, ctx.user),
    reviewable: true,
  }));
  return listMessage({
    title: 'Model errors',
    asked: `errors in *${safeText(run.name, 100)}* with IoU < ${iouBelow}, least confident first`,
    total: Math.min(total, n),
    items: await withDecisions(ctx, list),
    origin: ctx.origin,
    boardUrl: ctx.links.url(
      `/runs/${seg(run.name)}/gallery?iou_lt=${iouBelow}&sort=confidence:asc`,
      ctx.user,
    ),
    empty: 'No disagreements below that IoU. 🎉',
  });
}

async function mislabelsAnswer(ctx: CommandContext, run: RunRef, n: number) {
  const { items, total } = await ctx.sources.listMislabels(ctx.deps, {
    runId: run.id,
    limit: Math.min(n, SHOWN),
  });
  const list: ListItem[] = items.map((m) => ({
    rowId: m.rowId,
    runId: run.id,
    id: m.id,
    from: className(run, m.given),
    to: className(run, m.suggested),
    facts: [
      `score ${num(m.score, 3)}`,
      ...(m.methods.length ? [m.methods.join(', ')] : []),
      ...(m.kind !== 'label' ? [m.kind] : []),
    ],
    imageUrl: slackImage(ctx, m),
    openUrl: ctx.links.url(`/rows/${m.rowId}`, ctx.user),
    reviewable: true,
  }));
  return listMessage({
    title: 'Suspected label mistakes',
    asked: `mislabels in *${safeText(run.name, 100)}*, given → suggested, most likely wrong first`,
    total: Math.min(total, n),
    items: await withDecisions(ctx, list),
    origin: ctx.origin,
    boardUrl: ctx.links.url(`/runs/${seg(run.name)}/mislabels`, ctx.user),
    empty: 'No suspected label mistakes.',
  });
}

async function uncertainAnswer(
  ctx: CommandContext,
  run: RunRef,
  cmd: { n: number; strategy: Strategy; diverse: boolean },
) {
  const { items } = await ctx.sources.listUncertain(ctx.deps, {
    runId: run.id,
    strategy: cmd.strategy,
    limit: cmd.n,
    diverse: cmd.diverse,
  });
  const list: ListItem[] = items.slice(0, SHOWN).map((u) => ({
    rowId: u.rowId,
    runId: run.id,
    id: u.id,
    facts: [
      `predicted ${safeText(className(run, u.predicted) ?? '–', 80)}`,
      `${cmd.strategy} ${num(u.score, 3)}`,
    ],
    imageUrl: slackImage(ctx, u),
    openUrl: ctx.links.url(`/rows/${u.rowId}`, ctx.user),
    reviewable: false,
  }));
  const extra: KnownBlock[] = items.length
    ? [
        actions(
          [
            button({
              text: `Create batch of ${items.length}`,
              actionId: ACTION.createBatch,
              value: batchValue({ run: run.id, strategy: cmd.strategy, n: cmd.n, diverse: cmd.diverse }),
              style: 'primary',
            }),
          ],
          'batch',
        ),
      ]
    : [];
  return listMessage({
    title: 'Most uncertain unlabeled rows',
    asked: `uncertain in *${safeText(run.name, 100)}* by ${cmd.strategy}${cmd.diverse ? ', diverse' : ''}`,
    total: items.length,
    items: list,
    extra,
    boardUrl: ctx.links.url(`/runs/${seg(run.name)}/uncertain?strategy=${cmd.strategy}`, ctx.user),
    empty: 'No unlabeled rows with predictions in this run.',
  });
}

async function similarAnswer(ctx: CommandContext, run: RunRef, externalId: string, n: number) {
  const ids = await ctx.sources.resolveRowIds(ctx.deps.db, { runId: run.id, ids: [externalId] });
  const rowId = ids.get(externalId);
  if (rowId === undefined)
    return notice(`No row \`${safeText(externalId, 100)}\` in *${safeText(run.name, 100)}*.`);
  const { items } = await ctx.sources.findSimilar(ctx.deps, { runId: run.id, rowIds: [rowId], limit: n });
  // Unlabeled first: those are the ones worth labeling next; rank order kept within each group.
  const ordered = [...items.filter((i) => !i.labeled), ...items.filter((i) => i.labeled)];
  const list: ListItem[] = ordered.slice(0, SHOWN).map((s) => ({
    rowId: s.rowId,
    runId: run.id,
    id: s.id,
    facts: [`distance ${num(s.distance, 3)}`, s.labeled ? 'labeled' : 'unlabeled'],
    openUrl: ctx.links.url(`/rows/${s.rowId}`, ctx.user),
    reviewable: false,
  }));
  return listMessage({
    title: `Rows like ${externalId}`.slice(0, 150),
    asked: `similar to *${safeText(externalId, 100)}* in *${safeText(run.name, 100)}*, unlabeled first`,
    total: ordered.length,
    items: list,
    boardUrl: ctx.links.url(`/rows/${rowId}`, ctx.user),
    empty: 'No embeddings for this run, so no neighbours.',
  });
}

async function batchAnswer(
  ctx: CommandContext,
  run: RunRef,
  cmd: { name: string; from: 'uncertain' | 'similar' | 'rework'; ids: string[]; n: number },
) {
  let rowIds: number[];
  if (cmd.from === 'uncertain') {
    const { items } = await ctx.sources.listUncertain(ctx.deps, {
      runId: run.id,
      strategy: 'least',
      limit: cmd.n,
      diverse: true,
    });
    rowIds = items.map((i) => i.rowId);
  } else if (cmd.from === 'rework') {
    const { items } = await ctx.sources.listRework(ctx.deps.db, { limit: cmd.n });
    rowIds = items.map((i) => i.rowId);
  } else {
    const resolved = await ctx.sources.resolveRowIds(ctx.deps.db, { runId: run.id, ids: cmd.ids });
    const missing = cmd.ids.filter((id) => !resolved.has(id));
    if (missing.length)
      return notice(
        `No row ${missing
          .slice(0, 5)
          .map((m) => `\`${safeText(m, 60)}\``)
          .join(', ')} in *${safeText(run.name, 100)}*.`,
      );
    const { items } = await ctx.sources.findSimilar(ctx.deps, {
      runId: run.id,
      rowIds: [...resolved.values()],
      limit: cmd.n,
      unlabeledOnly: true,
    });
    rowIds = items.map((i) => i.rowId);
  }
  if (rowIds.length === 0)
    return notice(
      cmd.from === 'uncertain'
        ? `Nothing to put in a batch: *${safeText(run.name, 100)}* has no unlabeled rows. Name a run that has, e.g. \`batch ${safeText(cmd.name, 60)} from uncertain ${cmd.n} <run>\`.`
        : `Nothing to put in a batch from ${cmd.from}.`,
    );
  return createBatchReply(ctx, run, cmd.name, rowIds, {
    from: cmd.from,
    n: cmd.n,
    ids: cmd.ids.length ? cmd.ids : undefined,
  });
}

/** Create a batch and say where it is; a taken name is a clear message, not an error. */
export async function createBatchReply(
  ctx: CommandContext,
  run: RunRef | { id: number; name: string },
  name: string,
  rowIds: number[],
  source: Record<string, unknown>,
): Promise<SlackMessage> {
  const check = mayWrite(ctx.deps.config, { user: ctx.user });
  if (!check.ok) return notice(`:no_entry: ${check.reason}`);
  try {
    const { batch, added, skipped } = await ctx.sources.createBatch(ctx.deps.db, {
      name,
      runId: run.id,
      rowIds,
      source,
      createdBy: ctx.user,
    });
    const url = ctx.links.url(`/batches/${seg(batch.name)}`, ctx.user);
    const skippedText = skipped ? ` (${skipped} skipped: already in an open batch)` : '';
    return notice(
      `Batch *${link(url, safeText(batch.name, 200))}* created by ${mention(ctx.user)} with ${added} rows${skippedText}.`,
    );
  } catch (err) {
    if (err instanceof Error && err.name === 'BatchError')
      return notice(`:warning: ${safeText(err.message, 300)}`);
    throw err;
  }
}

async function reworkAnswer(ctx: CommandContext, n: number) {
  const { items, total } = await ctx.sources.listRework(ctx.deps.db, { limit: Math.min(n, 100) });
  const lines = items.map((r) => {
    const url = ctx.links.url(`/rows/${r.rowId}`, ctx.user);
    const since = r.since.toISOString().slice(0, 16).replace('T', ' ');
    const classes = `label ${safeText(r.label ?? '–', 80)}${r.suggested ? ` → suggested ${safeText(r.suggested, 80)}` : ''}`;
    return `*${link(url, safeText(r.id, 80))}* · ${classes} · since ${since} UTC · by ${r.actor ? mention(r.actor) : 'someone'}${r.note ? ` · ${safeText(r.note, 120)}` : ''}`;
  });
  return linesMessage({
    title: 'Rework queue',
    asked: `${total} row${total === 1 ? '' : 's'} waiting for relabeling, oldest first`,
    lines,
    total,
    boardUrl: ctx.links.url('/rework', ctx.user),
    empty: 'The rework queue is empty.',
  });
}
