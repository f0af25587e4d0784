import { describe, expect, it } from 'vitest';
import { closestNames, levenshtein } from '../../src/text/closest.ts';

describe('closestNames', () => {
  it('computes edit distances', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3); // k→s, e→i, +g
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2); // −f, +n
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('orders candidates by distance, ignoring case, ties in input order', () => {
    // distances to 'resnet-v2': resnet-v1 1, vit 7, ResNet-V3 1 (case ignored), cnn 8
    expect(closestNames('resnet-v2', ['resnet-v1', 'vit', 'ResNet-V3', 'cnn'])).toEqual([
      'resnet-v1',
      'ResNet-V3',
      'vit',
    ]);
    expect(closestNames('x', ['a', 'b'], 1)).toEqual(['a']);
    expect(closestNames('x', [])).toEqual([]);
  });
});
