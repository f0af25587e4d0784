import { costliestType } from '../../src/charts/dap.ts';
import type { ErrorType } from '../../src/metrics/detection-errors.ts';
import type { RunRef } from '../../src/store/run-lookup.ts';
import { linesMessage } from '../blocks/lines.ts';
import { num, safeText } from '../blocks/mrkdwn.ts';
import { notice } from '../blocks/notices.ts';
import { seg } from '../links.ts';
import type { CommandContext } from './context.ts';
import type { ClassMetric } from './parse.ts';

const CLASS_METRICS: Record<'classification' | 'detection', ClassMetric[]> = {
  classification: ['recall', 'precision', 'f1'],
  detection: ['ap', 'recall', 'precision'],
};

interface ClassRow {
  name: string;
  support?: number;
  [metric: string]: unknown;
}

/** `worst-classes`: the run's n worst classes by a metric it computes, with the costliest error type. */
export async function worstClassesAnswer(
  ctx: CommandContext,
  run: RunRef,
  by: ClassMetric | undefined,
  n: number,
) {
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
