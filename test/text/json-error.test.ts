import { describe, expect, it } from 'vitest';
import { jsonErrorOffset } from '../../src/text/json-error.ts';

describe('jsonErrorOffset', () => {
  it('is null for valid JSON, whatever JSON.parse accepts', () => {
    for (const text of ['[]', ' {"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]} ', '"s"', '0'])
      expect([text, jsonErrorOffset(text)]).toEqual([text, null]);
  });

  it('points at the first character a strict parser rejects', () => {
    expect(jsonErrorOffset('[1,]')).toBe(3);
    expect(jsonErrorOffset('[\n  {"a": [}\n]')).toBe(11);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('{"a": 01}')).toBe(7);
    expect(jsonErrorOffset('[1')).toBe(2);
    expect(jsonErrorOffset('"abc')).toBe(4);
    expect(jsonErrorOffset('[tru]')).toBe(1);
    expect(jsonErrorOffset('{} x')).toBe(3);
    for (const text of ['[1,]', '{"a" 1}', '[1', '{} x']) expect(() => JSON.parse(text)).toThrow();
  });
});
