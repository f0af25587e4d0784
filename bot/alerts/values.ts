/** Action id of the alert's Mute class buttons. */
export const MUTE_ACTION = 'alert:mute';

/** A Mute button's value: the run the alert is about and the class index. */
export function muteValue(runId: number, label: number): string {
  return `${runId}:${label}`;
}

export function parseMuteValue(value: unknown): { runId: number; label: number } | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{1,10}):(\d{1,6})$/.exec(value);
  return m ? { runId: Number(m[1]), label: Number(m[2]) } : null;
}
