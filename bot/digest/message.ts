import type { KnownBlock } from '@slack/types';
import type { DigestContent } from '../../src/digest/build.ts';
import { retrainLine } from '../../src/digest/retrain.ts';
import { type SlackMessage, actions, button, context, header, section } from '../blocks/kit.ts';
import { delta, link, num, safeText } from '../blocks/mrkdwn.ts';
import { ACTION, batchValue } from '../blocks/values.ts';
import { batchesSection } from './batches.ts';
import { type BoardLinks, seg } from '../links.ts';

/** Classes listed by name in the message; the chart and the board show the rest. */
const WORSE_SHOWN = 8;

/**
 * The digest as Block Kit: metric deltas, classes that got worse, counts, and a Create batch
 * button for the suggested uncertainty batch. The channel sees it: pass `channelLinks`, so its
 * links carry no credentials.
 *
 * @example
 * out.post(channel, digestMessage(content, links, 'digest'));
 */
export function digestMessage(d: DigestContent, links: BoardLinks, viewer = 'digest'): SlackMessage {
  const blocks: KnownBlock[] = [header(`Loupe digest — ${d.day}`)];
  if (!d.run) {
    blocks.push(section('No model runs yet. Import one with `loupe ingest`.'));
    if (d.batches.length) blocks.push(batchesSection(d, links, viewer));
  } else {
    const runUrl = links.url(`/runs/${seg(d.run.name)}`, viewer);
    const vs = d.previous ? ` vs *${safeText(d.previous.name, 100)}*` : ' (no previous run to compare with)';
    const figures = d.metrics
      .map((m) => {
        const worse = m.delta !== null && (m.higherIsBetter ? m.delta < 0 : m.delta > 0);
        const mark =
          m.delta === null || m.delta === 0
            ? ''
            : worse
              ? ' :small_red_triangle_down:'
              : ' :white_check_mark:';
        return `${m.name} *${num(m.now, 4)}*${m.delta === null ? '' : ` (${delta(m.delta, 4)})`}${mark}`;
      })
      .join(' · ');
    blocks.push(
      section(
        `Newest run *${link(runUrl, safeText(d.run.name, 100))}*${vs}\n${figures || 'not analysed yet'}`,
      ),
    );
    if (d.worse.length) {
      const lines = d.worse
        .slice(0, WORSE_SHOWN)
        .map(
          (c) =>
            `• *${safeText(c.name, 80)}* ${c.metric} ${num(c.before, 3)} → ${num(c.now, 3)} (${delta(c.delta, 3)})`,
        );
      const more =
        d.worse.length > WORSE_SHOWN ? `\n…and ${d.worse.length - WORSE_SHOWN} more in the board` : '';
      blocks.push(section(`*Classes that got worse*\n${lines.join('\n')}${more}`));
    } else if (d.previous) blocks.push(section('No class got worse. :tada:'));
    if (d.errors.length)
      blocks.push(
        section(
          `*AP lost to* ${d.errors
            .map((e) => `${e.name} ${num(e.now, 3)}${e.delta === null ? '' : ` (${delta(e.delta, 3)})`}`)
            .join(' · ')}`,
        ),
      );
    if (d.retrain) blocks.push(section(retrainLine(d.retrain, d.run.name, (s) => `*${safeText(s, 100)}*`)));
    const mislabelsUrl = links.url(`/runs/${seg(d.run.name)}/mislabels`, viewer);
    blocks.push(
      section(
        `${link(mislabelsUrl, `${d.newMislabels} new suspected mislabel${d.newMislabels === 1 ? '' : 's'}`)} · ` +
          `rework since yesterday: ${d.rework.opened} opened, ${d.rework.closed} closed, ${link(links.url('/rework', viewer), `${d.rework.open} open`)}` +
          (d.flagPrecision ? `\n${safeText(d.flagPrecision, 300)}` : ''),
      ),
    );
    if (d.suggestion) {
      const ids = d.suggestion.ids
        .slice(0, 10)
        .map((i) => safeText(i, 40))
        .join(', ');
      blocks.push(
        section(
          `*Suggested batch:* the ${d.suggestion.n} least confident unlabeled rows, kept diverse: ${ids}${d.suggestion.n > 10 ? ', …' : ''}`,
        ),
        actions(
          [
            button({
              text: `Create batch of ${d.suggestion.n}`,
              actionId: ACTION.createBatch,
              value: batchValue({
                run: d.run.id,
                strategy: d.suggestion.strategy,
                n: d.suggestion.n,
                diverse: d.suggestion.diverse,
              }),
              style: 'primary',
            }),
          ],
          'batch',
        ),
      );
    }
    if (d.batches.length) blocks.push(batchesSection(d, links, viewer));
    blocks.push(context([link(runUrl, 'Open the run in the board')], 'footer'));
  }
  return { text: `Loupe digest for ${d.day}`, blocks };
}
