import type { KnownBlock } from '@slack/types';

/** A message as the bot would show it in Slack. */
export interface PlaygroundMessage {
  /** Stable id of the message within the playground session (buttons refer to it). */
  id: string;
  /** 'ephemeral' answers are only visible to the caller in Slack. */
  visibility: 'ephemeral' | 'in_channel';
  text: string;
  blocks: KnownBlock[];
  /** True when this message replaces an earlier one with the same id (e.g. after a button click). */
  replaced?: boolean;
}

/**
 * Runs slash commands and button clicks through the bot's own code path, without a workspace.
 * The bot provides it; the board's /playground page calls it. Neither imports the other.
 */
export interface PlaygroundService {
  command(input: { text: string; user: string; userName?: string }): Promise<PlaygroundMessage[]>;
  action(input: {
    user: string;
    userName?: string;
    messageId: string;
    actionId: string;
    value: string;
    blockId?: string;
  }): Promise<PlaygroundMessage[]>;
}
