/**
 * A count with its noun, singular for one: what CLI and bot sentences print.
 *
 * @example
 * counted(1, 'decision'); // "1 decision"
 * counted(3, 'entry', 'entries'); // "3 entries"
 */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
