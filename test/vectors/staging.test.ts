import { describe, expect, it } from 'vitest';
import { createStaging } from '../../src/vectors/staging.ts';

describe('createStaging', () => {
  it('gives back rows from any page, in any order, keys and vectors together', () => {
    const staging = createStaging(2);
    staging.push(new Float64Array([10, 11]), new Float32Array([1, 2, 3, 4]));
    staging.push(new Float64Array([]), new Float32Array([]));
    staging.push(new Float64Array([12]), new Float32Array([5, 6]));
    expect(staging.count).toBe(3);
    expect(Array.from(staging.keysOf([2, 0, 1]), Number)).toEqual([12, 10, 11]);
    expect(Array.from(staging.gather([2, 0, 1]))).toEqual([5, 6, 1, 2, 3, 4]);
    expect(() => staging.gather([3])).toThrow(/staged row 3 out of range \(3 staged\)/);
    expect(() => staging.push(new Float64Array([13]), new Float32Array([1]))).toThrow(
      /1 values for 1 rows of 2/,
    );
  });

  it('keeps bf16 rows to the nearest bf16, ties to even', () => {
    const staging = createStaging(4, { bf16: true });
    // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 (bf16 keeps 7 fraction bits): even is 1.
    // 1 + 3·2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: even is 1 + 2^-6.
    const values = [1 + 2 ** -8, 1 + 3 * 2 ** -8, -0.3, 1 + 2 ** -7 + 2 ** -9];
    staging.push(new Float64Array([1]), new Float32Array(values));
    expect(Array.from(staging.gather([0]))).toEqual([1, 1 + 2 ** -6, -0.30078125, 1 + 2 ** -7]);
  });
});
