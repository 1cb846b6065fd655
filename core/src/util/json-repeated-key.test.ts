import { describe, expect, it } from 'vitest';
import { repeatedKey } from './json-repeated-key.js';

describe('repeatedKey', () => {
  it('finds a key an object repeats, at any depth, and only within one object', () => {
    expect(repeatedKey('{"id": 1, "id": 2}')).toBe('id');
    expect(repeatedKey('{"a": [{"x": 1}, {"x": 2, "y": {"k": 1, "k" : 2}}]}')).toBe('k');
    expect(repeatedKey('{"a": {"id": 1}, "b": {"id": 2}, "id": 3}')).toBeUndefined();
    expect(repeatedKey('[{"id": 1}, {"id": 2}]')).toBeUndefined();
  });
  it('reads keys as JSON strings: escapes name the same key, and text inside values is no key', () => {
    expect(repeatedKey('{"d\\u0061ta": 1, "data": 2}')).toBe('data');
    expect(repeatedKey('{"s": "\\"id\\": 1, \\"id\\": 2", "t": ["id", "id"]}')).toBeUndefined();
    expect(repeatedKey('{"a\\\\": 1, "b": "}{\\"a\\\\\\": 2"}')).toBeUndefined();
  });
});
