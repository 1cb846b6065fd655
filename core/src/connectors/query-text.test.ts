import { describe, expect, it } from 'vitest';
import { getNodeDefinition } from '../nodes/index.js';
import { topLevelRowLimit } from './query-text.js';

describe('a source query that limits its rows, which an incremental read cannot take', () => {
  it('finds LIMIT, OFFSET and FETCH FIRST|NEXT at the top level, and TOP on SQL Server', () => {
    expect(topLevelRowLimit('SELECT id, ts FROM t ORDER BY ts LIMIT 2', 'postgres')).toBe('LIMIT');
    expect(topLevelRowLimit('select * from t offset 5', 'postgres')).toBe('OFFSET');
    expect(topLevelRowLimit('SELECT * FROM t ORDER BY id OFFSET 0 ROWS FETCH NEXT 10 ROWS ONLY', 'sqlserver')).toBe('OFFSET');
    expect(topLevelRowLimit('SELECT * FROM t FETCH FIRST 3 ROWS ONLY', 'postgres')).toBe('FETCH FIRST');
    expect(topLevelRowLimit('SELECT TOP (100) * FROM dbo.t ORDER BY ts', 'sqlserver')).toBe('TOP');
  });

  it('leaves alone a limit inside a subquery, a string, a comment or a quoted name', () => {
    expect(topLevelRowLimit('SELECT * FROM (SELECT * FROM t ORDER BY ts LIMIT 2) s', 'postgres')).toBeUndefined();
    expect(topLevelRowLimit(`SELECT 'LIMIT 2' AS x, "limit" FROM t -- LIMIT 5\n/* OFFSET 1 */`, 'postgres')).toBeUndefined();
    expect(topLevelRowLimit('SELECT [limit], [top] FROM t', 'sqlserver')).toBeUndefined();
    expect(topLevelRowLimit('SELECT id AS top FROM t', 'postgres')).toBeUndefined();
    expect(topLevelRowLimit("SELECT 'unterminated", 'postgres')).toBeUndefined();
  });

  it('source.postgres and source.sqlserver refuse such a query when they read incrementally, and only then', () => {
    for (const type of ['source.postgres', 'source.sqlserver']) {
      const def = getNodeDefinition(type)!;
      const top = type === 'source.sqlserver' ? 'SELECT TOP 2 id, ts FROM t ORDER BY ts' : 'SELECT id, ts FROM t ORDER BY ts LIMIT 2';
      const clause = type === 'source.sqlserver' ? 'TOP' : 'LIMIT';
      const problems = def.check!(def.params.parse({ connection: 'db', query: top, incremental: { column: 'ts' } }) as never);
      expect(problems).toEqual([
        {
          path: 'query',
          message: `the query has ${clause} at its top level, but an incremental read filters the query's result by its watermark: ${clause} would pick its rows before the watermark does, so after the first run it would pick rows already read and nothing new would ever be read`,
          hint: `remove ${clause} from the query: each run then reads every row above the watermark (to read less per run, filter the rows in the query, e.g. on a date)`,
        },
      ]);
      expect(def.check!(def.params.parse({ connection: 'db', query: top }) as never)).toEqual([]);
    }
  });
});
