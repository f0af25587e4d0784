import type { DigestContent } from './build.ts';

const f = (v: number | null, d = 4) => (v === null ? '–' : v.toFixed(d));
const sd = (v: number | null, d = 4) =>
  v === null ? '' : ` (${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(d)})`;

/**
 * The digest as plain text (`loupe digest --dry-run`), the same content the Slack message shows.
 *
 * @example
 * process.stdout.write(digestText(await buildDigest(deps, …)));
 */
export function digestText(d: DigestContent): string {
  const lines = [`Loupe digest for ${d.day}`];
  if (!d.run) {
    lines.push('No model runs yet.');
  } else {
    lines.push(
      `Newest run: ${d.run.name} (${d.run.kind})${d.previous ? ` vs ${d.previous.name}` : ', no previous run'}`,
    );
    for (const m of d.metrics) lines.push(`  ${m.name.padEnd(12)} ${f(m.now)}${sd(m.delta)}`);
    if (d.worse.length) {
      lines.push(`Classes that got worse (${d.worse[0].metric}):`);
      for (const c of d.worse.slice(0, 10))
        lines.push(`  ${c.name}: ${f(c.before)} → ${f(c.now)}${sd(c.delta)}`);
    } else if (d.previous) lines.push('No class got worse.');
    if (d.errors.length)
      lines.push(`AP lost to ${d.errors.map((e) => `${e.name} ${f(e.now, 3)}${sd(e.delta, 3)}`).join(', ')}`);
    lines.push(`New suspected mislabels: ${d.newMislabels}`);
    if (d.flagPrecision) lines.push(`Flag precision from reviews: ${d.flagPrecision}`);
  }
  lines.push(
    `Rework since yesterday: ${d.rework.opened} opened, ${d.rework.closed} closed, ${d.rework.open} open now`,
  );
  if (d.suggestion) {
    const head = d.suggestion.ids.slice(0, 10).join(', ');
    const more = d.suggestion.ids.length > 10 ? `, … (${d.suggestion.ids.length} rows)` : '';
    lines.push(`Suggested batch (${d.suggestion.strategy} confidence, diverse): ${head}${more}`);
  }
  return `${lines.join('\n')}\n`;
}
