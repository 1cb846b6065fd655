import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
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
});
