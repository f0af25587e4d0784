/**
 * Levenshtein edit distance (insertions, deletions, substitutions each cost 1).
 *
 * @example
 * levenshtein('kitten', 'sitting'); // 3
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1] + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * The `n` candidates closest to `name` by edit distance, ignoring case; ties keep the candidates'
 * order. For "did you mean …" messages.
 *
 * @example
 * closestNames('resnet-v2', ['resnet-v1', 'vit', 'resnet-v3']); // ['resnet-v1', 'resnet-v3', 'vit']
 */
export function closestNames(name: string, candidates: readonly string[], n = 3): string[] {
  const target = name.toLowerCase();
  return candidates
    .map((c, i) => ({ c, i, d: levenshtein(target, c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .slice(0, n)
    .map((x) => x.c);
}
