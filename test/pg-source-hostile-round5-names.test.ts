import { describe, expect, it } from 'vitest';
import { inspect, previewPipeline } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection } from './support/postgres.js';

// PostgreSQL keeps "é" and "É" (and "éa" and "éA") as the names quoted; DuckDB, which the rows are
// loaded into, ignores the case of ASCII letters only: "éa" and "éA" are one column there, "é" and "É" two.

const connections = { db: { type: 'postgres' } };
const fromQuery = (query: string) => pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', query } }], [], { connections });

describe('source.postgres: names that differ in the case of a non-ASCII letter', () => {
  it('reads é and É as two columns', async () => {
    const dir = await tempDir();
    const r = await previewPipeline({ pipeline: fromQuery(`SELECT 1 AS "é", 2 AS "É"`), baseDir: dir, nodeId: 'src', connections: pgConnection() });
    expect(r.rows).toEqual([{ é: 1, É: 2 }]);
  });

  it('names the two columns that are one name for DuckDB, not a column that only JavaScript folds to it', async () => {
    const dir = await tempDir();
    const { problems } = await inspect({ pipeline: fromQuery(`SELECT 1 AS "Éa", 2 AS "éa", 3 AS "éA"`), baseDir: dir, connections: pgConnection() });
    expect(problems).toEqual([expect.objectContaining({ message: "node 'src': the query returns columns 'éa' and 'éA', one name for DuckDB, which compares names ignoring case" })]);
  });
});
