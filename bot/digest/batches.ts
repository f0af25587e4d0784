import type { SectionBlock } from '@slack/types';
import type { DigestContent } from '../../src/digest/build.ts';
import { section } from '../blocks/kit.ts';
import { link, mention, safeText } from '../blocks/mrkdwn.ts';
import { type BoardLinks, seg } from '../links.ts';

/** Open batches named in the digest; the board lists the rest. */
const BATCHES_SHOWN = 8;

/**
 * The digest's open batches: each one's progress (rows with a new label or a decision since it was
 * made), state, owner and due day, overdue ones marked.
 */
export function batchesSection(d: DigestContent, links: BoardLinks, viewer: string): SectionBlock {
  const lines = d.batches.slice(0, BATCHES_SHOWN).map((b) => {
    const url = links.url(`/batches/${seg(b.name)}`, viewer);
    const owner = b.owner ? ` · ${mention(b.owner)}` : ' · no owner';
    const late = b.dueOn && b.dueOn < d.day && b.state !== 'done' ? ' :warning: overdue' : '';
    const due = b.dueOn ? ` · due ${b.dueOn}${late}` : '';
    return `• *${link(url, safeText(b.name, 80))}* ${b.progressed}/${b.size} done (${b.state})${owner}${due}`;
  });
  const more =
    d.batches.length > BATCHES_SHOWN
      ? `\n…and ${d.batches.length - BATCHES_SHOWN} more in ${link(links.url('/batches', viewer), 'the board')}`
      : '';
  return section(`*Open batches*\n${lines.join('\n')}${more}`);
}
