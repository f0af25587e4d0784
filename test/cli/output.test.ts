import { expect, it } from 'vitest';
import { formatTable } from '../../src/cli/output.ts';

it('prints a score column with four decimals even when a score is a whole 0 or 1', () => {
  const text = formatTable(
    [
      { id: 'a', score: 0, n: 3 },
      { id: 'b', score: 1, n: 4 },
    ],
    ['id', 'score', 'n'],
  );
  expect(text.split('\n')).toEqual(['id  score   n', '--  ------  -', 'a   0.0000  3', 'b   1.0000  4']);
});

it('lines up a column where whole and fractional numbers mix', () => {
  const text = formatTable([{ x: 0 }, { x: 0.25 }], ['x']);
  expect(text.split('\n').slice(2)).toEqual(['0.0000', '0.2500']);
});
