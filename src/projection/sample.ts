/**
 * A sample of `size` positions stratified by label (null is a stratum of its own): each stratum
 * gets its share by largest remainder, and at least one row when there is room for all strata,
 * so rare classes still shape the fitted map. Returns positions ascending.
 *
 * @example
 * stratifiedSample([0, 0, 0, 1], 2, createRandom(1)); // one row of class 0, the one row of class 1
 */
export function stratifiedSample(
  labels: ArrayLike<number | null>,
  size: number,
  random: () => number,
): number[] {
  const n = labels.length;
  if (size >= n) return Array.from({ length: n }, (_, i) => i);
  const groups = new Map<number | null, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups.get(labels[i]);
    if (g) g.push(i);
    else groups.set(labels[i], [i]);
  }
  const strata = [...groups.entries()]
    .sort(([a], [b]) => (a ?? -1) - (b ?? -1))
    .map(([, members]) => members);
  const floor = size >= strata.length ? 1 : 0;
  const quotas = strata.map((m) => Math.max(floor, Math.floor((m.length * size) / n)));
  let left = size - quotas.reduce((s, q) => s + q, 0);
  // Largest remainder first; if the minimum of one per stratum overshot, take back from the largest quotas.
  const byRemainder = strata
    .map((m, i) => ({ i, r: (m.length * size) / n - Math.floor((m.length * size) / n) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; left > 0; j = (j + 1) % strata.length) {
    const { i } = byRemainder[j];
    if (quotas[i] < strata[i].length) {
      quotas[i]++;
      left--;
    }
  }
  while (left < 0) {
    const i = quotas.indexOf(Math.max(...quotas));
    quotas[i]--;
    left++;
  }
  const picked: number[] = [];
  strata.forEach((members, s) => {
    const pool = members.slice();
    // Partial Fisher–Yates: the first quota entries are a uniform sample of the stratum.
    for (let j = 0; j < quotas[s]; j++) {
      const r = j + Math.floor(random() * (pool.length - j));
      [pool[j], pool[r]] = [pool[r], pool[j]];
      picked.push(pool[j]);
    }
  });
  return picked.sort((a, b) => a - b);
}
