import { describe, expect, it } from 'vitest';
import { readJson, showJson } from './json-text.js';

describe('JSON typed into a field', () => {
  it('is saved as the object it means, not as text', () => {
    expect(readJson('{"number_of_shards": 3, "refresh_interval": "1s"}', 'object')).toEqual({ value: { number_of_shards: 3, refresh_interval: '1s' } });
    expect(readJson('{"name": {"type": "keyword"}}', 'object-of-objects')).toEqual({ value: { name: { type: 'keyword' } } });
  });

  it('empty text removes the setting', () => {
    expect(readJson('  ', 'object')).toEqual({ value: undefined });
  });

  it('a syntax error says where and what, and gives no value', () => {
    const read = readJson('{"name": {"type": "keyword"},\n}', 'object-of-objects');
    expect(read).toEqual({ error: expect.stringMatching(/^Not valid JSON at line 2, column 1: expected a property name in double quotes/) });
    expect(readJson("{name: 'x'}", 'object')).toEqual({ error: expect.stringContaining('line 1, column 2') });
  });

  it('JSON of the wrong shape says which shape to write', () => {
    expect(readJson('[1, 2]', 'object')).toEqual({ error: expect.stringContaining('Write a JSON object') });
    expect(readJson('{"name": "keyword"}', 'object-of-objects')).toEqual({ error: 'The value of "name" must be a JSON object: {"name": {…}}.' });
    expect(readJson('[1, 2]', 'any')).toEqual({ value: [1, 2] });
  });

  it('a key the host refuses (__proto__) is named at the field, not saved to fail every check', () => {
    expect(readJson('{"properties": {"__proto__": {"type": "keyword"}}}', 'object')).toEqual({ error: `"properties" has a key '__proto__', which cannot be kept: rename it.` });
    expect(readJson('{"__proto__": 1}', 'any')).toEqual({ error: `The JSON has a key '__proto__', which cannot be kept: rename it.` });
  });

  it('a number JSON would round is named at the field with what it would become, and not saved', () => {
    expect(readJson('{\n  "max_id": 9007199254740993\n}', 'object')).toEqual({
      error: '9007199254740993 (line 2) cannot be kept exactly: it would be saved as 9007199254740992. Write it as a string ("9007199254740993") to keep every digit.',
    });
    expect(readJson('{"big": 1e400}', 'object')).toEqual({ error: expect.stringContaining('beyond the range of a JSON number') });
    expect(readJson('{"shards": 3, "ratio": 0.1}', 'object')).toEqual({ value: { shards: 3, ratio: 0.1 } });
  });

  it('a stored object shows as indented JSON', () => {
    expect(showJson({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(showJson(undefined)).toBe('');
  });
});
