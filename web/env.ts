import type { Session } from './session.ts';

/** What the access middleware puts on every board request. */
export interface BoardEnv {
  Variables: {
    session: Session;
    /** This session's CSRF token (rendered into pages, checked on POSTs). */
    csrf: string;
    /** The signed-in Slack user's name, when Slack told it in time (else the page shows the id). */
    userName?: string;
  };
}
