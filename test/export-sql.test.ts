import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { commentLine, scriptLine } from '../core/src/compiler/sql.js';
import { sqlScript } from '../core/src/host/export-sql.js';
import { inspect, pipeline, tempDir } from './support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-export-sql-');
});

describe('SQL export', () => {
  it('is a script DuckDB runs as it is: a quality evaluation comes after the outputs it reads', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT range AS id FROM range(5)' } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'id unique', kind: 'unique', columns: ['id'], severity: 'warn' }] } },
        { id: 'out', type: 'sink.csv', params: { path: path.join(dir, 'out.csv') } },
      ],
      ['src -> q', 'q -> out'],
    );
    const script = sqlScript('export test', await inspect({ pipeline: doc, baseDir: dir }));
    expect(script.indexOf('/* quality checks')).toBeGreaterThan(script.indexOf('CREATE OR REPLACE TEMP VIEW "_n_q__out"'));
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await expect(conn.run(script)).resolves.toBeDefined();
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('names with line breaks (a table from a param, a column from the data) stay inside their comment lines', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'out', type: 'sink.duckdb', params: { database: path.join(dir, 'nl.duckdb'), table: 't\nCREATE TABLE pwned AS SELECT 42 AS x; --' } },
      ],
      ['src -> out'],
    );
    const lines = sqlScript('line\nbreak', await inspect({ pipeline: doc, baseDir: dir })).split('\n');
    expect(lines.find((l) => l.startsWith('-- writes'))).toContain('t CREATE TABLE pwned AS SELECT 42 AS x; --');
    expect(commentLine('output out: id BIGINT, a\r\nDROP TABLE x; --\u2028y VARCHAR')).toBe('-- output out: id BIGINT, a  DROP TABLE x; -- y VARCHAR');
    expect(scriptLine('-- two\nlines')).toBe('-- two lines');
    expect(scriptLine('SELECT 1')).toBe('SELECT 1;');
  });
});
