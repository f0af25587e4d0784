import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../bot/commands/parse.ts';

describe('parseCommand', () => {
  it.each([
    ['', { kind: 'help', public: false }],
    ['runs', { kind: 'runs', public: false }],
    ['runs public', { kind: 'runs', public: true }],
    ['worst-classes', { kind: 'worst-classes', run: undefined, by: undefined, n: 10, public: false }],
    ['worst-classes v2 by f1 5', { kind: 'worst-classes', run: 'v2', by: 'f1', n: 5, public: false }],
    ['errors', { kind: 'errors', run: undefined, iouBelow: 0.5, n: 10, public: false }],
    ['errors det-v1 iou<0.3 7', { kind: 'errors', run: 'det-v1', iouBelow: 0.3, n: 7, public: false }],
    ['mislabels 3', { kind: 'mislabels', run: undefined, n: 3, public: false }],
    [
      'uncertain r 20 margin diverse',
      { kind: 'uncertain', run: 'r', n: 20, strategy: 'margin', diverse: true, public: false },
    ],
    ['similar 42 5', { kind: 'similar', rowId: '42', run: undefined, n: 5, public: false }],
    [
      'batch week 12 from uncertain 100',
      { kind: 'batch', name: 'week 12', from: 'uncertain', ids: [], run: undefined, n: 100, public: false },
    ],
    [
      'batch b from similar 1,2,3 20',
      {
        kind: 'batch',
        name: 'b',
        from: 'similar',
        ids: ['1', '2', '3'],
        run: undefined,
        n: 20,
        public: false,
      },
    ],
    [
      'batch b from rework',
      { kind: 'batch', name: 'b', from: 'rework', ids: [], run: undefined, n: 50, public: false },
    ],
    ['rework', { kind: 'rework', n: 10, public: false }],
    ['digest', { kind: 'digest', public: false }],
    ['board', { kind: 'board', public: false }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it.each([
    ['frobnicate', "I don't know `frobnicate`"],
    ['errors iou=0.5', 'write the IoU threshold as iou<0.5'],
    ['errors iou<1.5', 'the IoU threshold must be in (0, 1], e.g. iou<0.5'],
    ['mislabels 0', 'a count must be between 1 and 1000'],
    ['mislabels a b', '`mislabels` takes one run name, got `a` and `b`'],
    ['similar', '`similar` needs a row id, e.g. `similar 42`'],
    ['batch from uncertain', 'write `batch <name> from uncertain|similar <id,…>|rework [n]`'],
    ['batch x from nowhere', 'a batch comes from uncertain, similar <id,…> or rework'],
    ['runs extra', '`runs` takes no arguments'],
  ])('%j → help with a reason', (text, problem) => {
    expect(parseCommand(text)).toEqual({ kind: 'help', problem, public: false });
  });
});
