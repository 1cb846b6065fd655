import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipeline, problemsOf, tempDir } from '../../../test/support/pipeline.js';
import { cleanBinderTypes, cleanDuckDbMessage } from './duckdb-errors.js';

describe('DuckDB binder errors about types, as users read them', () => {
  it('a call no function fits: the call with literal types named, no list of candidate signatures, what to do', () => {
    const raw = "Binder Error: No function matches the given name and argument types '+(VARCHAR, INTEGER_LITERAL)'. You might need to add explicit type casts.\n\tCandidate functions:\n\t+(TINYINT) -> TINYINT\n\t+(TINYINT, TINYINT) -> TINYINT";
    expect(cleanBinderTypes(raw)).toBe('Binder Error: no function +(VARCHAR, INTEGER) exists for these types: convert the column first (a Cast node, or CAST(column AS DOUBLE) in the expression)');
  });

  it('a comparison of text with a number says which side to convert', () => {
    expect(cleanBinderTypes('Binder Error: Cannot compare values of type VARCHAR and type INTEGER_LITERAL - an explicit cast is required')).toBe(
      'Binder Error: cannot compare VARCHAR with a number: convert one side first (CAST(column AS …), or quote the value as text)',
    );
  });

  it('reach the user through a node: a derive adding a number to a text column', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: "SELECT 'a' AS s" } },
        { id: 't', type: 'transform.derive', params: { columns: [{ name: 'x', expression: 's + 1' }] } },
      ],
      ['src -> t'],
    );
    const [problem] = await problemsOf(doc, await tempDir());
    expect(problem?.path).toBe('nodes[1].params.columns[0].expression');
    expect(problem?.message).toBe("node 't': Binder Error: no function +(VARCHAR, INTEGER) exists for these types: convert the column first (a Cast node, or CAST(column AS DOUBLE) in the expression)");
  });

  it('a chain of nodes deeper than DuckDB binds names the node where it ends and what to do, not a SET the user cannot make', async () => {
    const n = 520;
    const filters = Array.from({ length: n }, (_, i) => ({ id: `f${i + 1}`, type: 'transform.filter', params: { condition: `id > ${i - n}` } }));
    const edges = ['src -> f1', ...filters.slice(1).map((f, i) => `f${i + 1} -> ${f.id}`)];
    const doc = pipeline([{ id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } }, ...filters], edges);
    const [problem] = await problemsOf(doc, await tempDir());
    expect(problem?.message).toMatch(/^node 'f\d+' ends a chain of nodes too long for DuckDB to read as one query/);
    expect(problem?.hint).toContain('split the pipeline in two');
  }, 120_000);

  it('one expression deeper than DuckDB binds (a sum of 1,200 terms) is named, with how to write it, not blamed on a chain of nodes', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'd', type: 'transform.derive', params: { columns: [{ name: 'ok', expression: 'id + 1' }, { name: 'total', expression: Array.from({ length: 1200 }, () => 'id').join(' + ') }] } },
      ],
      ['src -> d'],
    );
    const [problem] = await problemsOf(doc, await tempDir());
    expect(problem?.path).toBe('nodes[1].params.columns[1].expression');
    expect(problem?.message).toBe("node 'd': columns[1].expression nests too deep for DuckDB (1199 operators; DuckDB reads at most about 1,000 levels)");
    expect(problem?.hint).toContain('list_sum([a, b, c, …])');
  });
});

describe('DuckDB internal errors', () => {
  it('keep their first line and say what they are, without the native stack trace', () => {
    const raw = 'INTERNAL Error: ExpressionExecutor::Execute called with a result vector of type VARCHAR that does not match expression type BIGINT\n\nStack Trace:\n\n/x/libduckdb.so(_ZN6duckdb9Exception6ToJSON+0x5b) [0x7f30]\n/lib/libc.so.6(+0x891f5) [0x7f30]\n\nThis error signals an assertion failure within DuckDB. This usually occurs due to unexpected conditions or errors in the program\'s logic.\nFor more information, see https://duckdb.org/docs/stable/dev/internal_errors';
    const m = cleanDuckDbMessage(raw);
    expect(m).toMatch(/^INTERNAL Error: ExpressionExecutor::Execute called with a result vector of type VARCHAR that does not match expression type BIGINT \(an internal check of DuckDB failed/);
    expect(m).not.toMatch(/Stack Trace|libduckdb|assertion failure within/);
  });
});

describe('a file name column named like a column of the file', () => {
  it('names the param and what to do, not DuckDB\'s option', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'a.csv'), 'id,src\n1,x\n');
    const [problem] = await problemsOf(pipeline([{ id: 'src', type: 'source.csv', params: { path: 'a.csv', filename_column: 'src' } }]), dir);
    expect(problem?.message).toBe("node 'src': Binder Error: the file name column 'src' (filename_column) is also a column of the files read: choose another name for it");
  });
});

describe("DuckDB's malformed JSON record", () => {
  it('is named by its number in the file: DuckDB says one more, as "line" or "record/value"', () => {
    expect(cleanDuckDbMessage('Invalid Input Error: Malformed JSON in file "/d/bad2.ndjson", at byte 8 in line 3: unexpected character. ')).toBe(
      'Invalid Input Error: Malformed JSON in file "/d/bad2.ndjson", in record 2 (at its byte 8): unexpected character.',
    );
    expect(cleanDuckDbMessage('Invalid Input Error: Malformed JSON in file "/d/a.json", at byte 10 in record/value 70002: unexpected character. ')).toBe(
      'Invalid Input Error: Malformed JSON in file "/d/a.json", in record 70001 (at its byte 10): unexpected character.',
    );
  });

  it('leaves the line of a JSON transform error as DuckDB says it (that one is the record\'s own number)', () => {
    const raw = 'Invalid Input Error: JSON transform error in file "/d/t.ndjson", in line 3: Object {"a":3,"a":4} has duplicate key "a"';
    expect(cleanDuckDbMessage(raw)).toBe(raw);
  });
});
