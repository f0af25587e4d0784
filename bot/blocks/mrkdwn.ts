/**
 * Escape a user-supplied string for Slack mrkdwn: only `&`, `<` and `>` are special, so
 * `<!channel>` or `<https://evil|x>` in a class name stays text.
 *
 * @example
 * escapeMrkdwn('<!channel> & co'); // '&lt;!channel&gt; &amp; co'
 */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut a string to at most `max` characters, ending with an ellipsis when cut. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  // A split surrogate pair would be an invalid character: drop its first half.
  return `${s.slice(0, Math.max(0, max - 1)).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/** Cut then escape: the escaped result of an `n`-character cut is at most 5·n characters. */
export function safeText(s: string, max = 100): string {
  return escapeMrkdwn(truncate(s, max));
}

/**
 * A mrkdwn link `<url|label>`. The URL keeps only characters that cannot end the link
 * (`|`, `>`, `<` are percent-encoded), the label is escaped text.
 */
export function link(url: string, label: string): string {
  const safeUrl = url.replace(/[|<> ]/g, (ch) => encodeURIComponent(ch));
  return `<${safeUrl}|${label}>`;
}

/** A user mention when the id looks like a Slack user id, else the escaped text. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{1,30}$/.test(userId) ? `<@${userId}>` : safeText(userId, 60);
}

/** A number with a fixed number of decimals, or an en dash when missing. */
export function num(v: number | null | undefined, digits = 2): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–';
}

/** A signed difference, e.g. `+0.012` / `−0.030`. */
export function delta(v: number | null | undefined, digits = 3): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  const s = Math.abs(v).toFixed(digits);
  return v >= 0 ? `+${s}` : `−${s}`;
}
