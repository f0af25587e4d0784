import type { Deps } from '../../src/deps.ts';
import type { SlackMessage } from '../blocks/kit.ts';
import type { BoardLinks } from '../links.ts';
import type { BotSources } from '../sources.ts';

/** A command's answer and who sees it: the caller only, or the channel (`public`). */
export type Reply = SlackMessage & { response_type: 'ephemeral' | 'in_channel' };

/** What every command handler is given: the deps, the bot's read sources, links, and who asked where. */
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
