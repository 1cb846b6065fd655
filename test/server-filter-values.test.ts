import { describe, expect, it } from 'vitest';
import { pipeline, problemsOf, tempDir } from './support/pipeline.js';

/** A database source's filter value that is not one says what a value may be, not zod's "Invalid input". */
describe.each(['source.postgres', 'source.sqlserver'])('%s filters', (type) => {
  const source = (value: unknown, op = 'not_in') =>
    pipeline([{ id: 'src', type, params: { connection: 'db', table: 't', filters: [{ column: 'c', op, value }] } }], [], { connections: { db: { type: type.slice('source.'.length) } } });
  const valueProblem = async (value: unknown, op?: string) => (await problemsOf(source(value, op), await tempDir())).find((p) => p.path === 'nodes[0].params.filters[0].value');

  it('a NULL in a list is refused, saying why and what to use instead', async () => {
    expect((await valueProblem([1, null]))?.message).toContain('a list of values holds texts, numbers or booleans, not null (a NULL in IN never matches; use op is_null)');
  });

  it('an object is refused, saying what a value may be', async () => {
    expect((await valueProblem({ a: 1 }, '='))?.message).toContain('expected a text, a number, a boolean, null, or a list of them');
  });
});
