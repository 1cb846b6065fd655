import path from 'node:path';
import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatProfile } from '../core/src/cli/profile.js';
import { profile, type ProfileResult } from '../core/src/quality/profile/index.js';
import { renderProfileHtml } from '../core/src/quality/profile/report-html.js';
import { pipeline, tempDir } from './support/pipeline.js';

const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;

let dir: string;
const doc = () =>
  pipeline(
    [
      { id: 'src', type: 'source.duckdb', params: { database: 'db.duckdb', table: 't' } },
      { id: 'agg', type: 'transform.aggregate', params: { group_by: ['grp'], aggregations: [{ function: 'count', name: 'n' }] } },
    ],
    ['src:out -> agg:in'],
  );

beforeAll(async () => {
  dir = await tempDir('caudal-profile-round3-');
  const db = await DuckDBInstance.create(path.join(dir, 'db.duckdb'));
  const conn = await db.connect();
  await conn.run('CREATE TABLE t AS SELECT i AS id, i % 3 AS grp FROM range(5000) r(i)');
  conn.closeSync();
  db.closeSync();
});

describe('a profile says truthfully which rows it covers', () => {
  it('an exact profile of a DuckDB table reads every row of the table, not the 1,000 a preview reads', async () => {
    const p = await profile(doc(), 'src', { baseDir: dir, mode: 'exact' });
    expect(p).toMatchObject({ rows: 5000, sampled: false, method: 'all 5,000 rows' });
    expect(p.columns.find((c) => c.name === 'id')).toMatchObject({ count: 5000, distinct: 5000, max: '4999' });
  });

  it('an exact profile downstream of a DuckDB table computes over every row of the table', async () => {
    const p = await profile(doc(), 'agg', { baseDir: dir, mode: 'exact' });
    expect(p.sampled).toBe(false);
    const n = p.columns.find((c) => c.name === 'n')!;
    expect(n.topValues.map((t) => String(t.value)).sort()).toEqual(['1666', '1667']);
  });

  it('a sampled profile of a DuckDB table says it covers only the 1,000 rows a preview reads, in the result, the text and the HTML', async () => {
    const p: ProfileResult = await profile(doc(), 'src', { baseDir: dir });
    expect(p.rows).toBe(1000);
    expect(p.sampled).toBe(true);
    expect(p.method).toBe("sampled: only part of the input, the rows a preview reads from 'src' (source.duckdb: 1,000 rows, and it may have more)");
    expect(formatProfile(p)).toContain("src:out: sampled: only part of the input, the rows a preview reads from 'src' (source.duckdb: 1,000 rows, and it may have more)");
    expect(renderProfileHtml(p)).toContain('<span class="badge">sampled</span> sampled: only part of the input');
    const down = await profile(doc(), 'agg', { baseDir: dir });
    expect(down.sampled).toBe(true);
    expect(down.method).toContain("the rows a preview reads from 'src' (source.duckdb: 1,000 rows");
  });

  it('a sampled profile that also keeps only some of what it read says both', async () => {
    const p = await profile(doc(), 'src', { baseDir: dir, sampleRows: 100 });
    expect(p.rows).toBe(100);
    expect(p.method).toMatch(/^sampled: only part of the input, the rows a preview reads from 'src' \(source\.duckdb: 1,000 rows, and it may have more\); of those, the first 100 rows in read order/);
  });
});
