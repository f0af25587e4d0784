import { describe, expect, it } from 'vitest';
import { decimalOrder } from '../../src/ingest/direct-encode.ts';

describe('decimalOrder', () => {
  it('lists 0 … n-1 as their decimal strings sort', () => {
    expect([...decimalOrder(12)]).toEqual([0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...decimalOrder(1)]).toEqual([0]);
    expect([...decimalOrder(0)]).toEqual([]);
    for (const n of [2, 10, 11, 99, 100, 101, 199, 200, 1000, 1001, 12345]) {
      const bytext = Array.from({ length: n }, (_, i) => i).sort((a, b) => (String(a) < String(b) ? -1 : 1));
      expect([...decimalOrder(n)]).toEqual(bytext);
    }
  });
});
