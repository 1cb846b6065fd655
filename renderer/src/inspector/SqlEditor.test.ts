import { describe, expect, it } from 'vitest';
import type { CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import { completionSource, errorRange, keepLineSeparator } from './SqlEditor.js';

const marked = (text: string, message: string, column?: string) => {
  const r = errorRange(text, { message, column });
  return text.slice(r.from, r.to);
};

describe('SQL errors are marked where they are', () => {
  it('a syntax error marks the token it names, not the whole text', () => {
    expect(marked('price < 10 id > 1', 'invalid SQL in node \'f\': Parser Error: syntax error at or near "id"')).toBe('id');
    expect(marked('price < 10 AND', 'Parser Error: syntax error at or near ")"')).toBe('AND');
    expect(marked('a = 1 AND b =', 'syntax error at end of input')).toBe('=');
    expect(marked("stauts = 'x'", "unknown column 'stauts'", 'stauts')).toBe('stauts');
    expect(marked('(a + 1', "1 unclosed '(' in the expression")).toBe('(');
    expect(marked('a = 1;', "';' at character 6: an expression cannot contain several statements")).toBe(';');
    expect(marked('a = 1', 'something else went wrong')).toBe('a = 1');
  });
});

describe('SQL completion', () => {
  it('lists each column once, even when several inputs have it', async () => {
    const source = completionSource([{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'DOUBLE' }], { a: [{ name: 'id', type: 'BIGINT' }], b: [{ name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }] });
    const state = EditorState.create({ doc: 'i' });
    const ctx = { state, pos: 1, explicit: true, matchBefore: (re: RegExp) => (re.test('i') ? { from: 0, to: 1, text: 'i' } : null), aborted: false, tokenBefore: () => null, addEventListener: () => undefined } as unknown as CompletionContext;
    const result = (await source(ctx)) as CompletionResult;
    const labels = result.options.map((o) => o.label);
    expect(labels.filter((l) => l === 'id')).toHaveLength(1);
    expect(labels).toEqual(expect.arrayContaining(['amount', 'a', 'b', 'name']));
  });
});

describe('the SQL editor keeps the line endings of the query', () => {
  const edit = (doc: string) => {
    const state = EditorState.create({ doc, extensions: [keepLineSeparator(doc)] });
    // Type a space at the end and delete it again, as a user would.
    const typed = state.update({ changes: { from: state.doc.length, insert: ' ' } }).state;
    return typed.update({ changes: { from: typed.doc.length - 1, to: typed.doc.length } }).state;
  };

  it('a CRLF query (with CRLF inside a string literal) is unchanged by an edit', () => {
    const query = "SELECT *\r\nFROM qc\r\nWHERE name <> 'a\r\nb'";
    expect(edit(query).sliceDoc()).toBe(query);
  });

  it('a new line in a CRLF query gets CRLF', () => {
    const query = 'SELECT *\r\nFROM qc';
    const state = EditorState.create({ doc: query, extensions: [keepLineSeparator(query)] });
    expect(state.update({ changes: { from: state.doc.length, insert: state.lineBreak + 'LIMIT 1' } }).state.sliceDoc()).toBe('SELECT *\r\nFROM qc\r\nLIMIT 1');
  });

  it('a query with mixed line endings comes back exactly', () => {
    const query = "SELECT *\nFROM qc\r\nWHERE name <> 'a\r\nb'\n";
    expect(edit(query).doc.lines).toBe(5);
    expect(edit(query).sliceDoc()).toBe(query);
  });
});
