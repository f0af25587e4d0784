import type { Session } from './session.ts';

/** What the access middleware puts on every board request. */
export interface BoardEnv {
  Variables: {
    session: Session;
    /** This session's CSRF token (rendered into pages, checked on POSTs). */
    csrf: string;
  };
}
