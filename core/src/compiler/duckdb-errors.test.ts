import { describe, expect, it } from 'vitest';
import { pipeline, problemsOf, tempDir } from '../../../test/support/pipeline.js';
import { cleanBinderTypes } from './duckdb-errors.js';

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
});
