import { DuckDBInstance } from '@duckdb/node-api';

/**
 * Test data: runs statements (typically `COPY (SELECT ...) TO '...' (FORMAT parquet)`) in a
 * throwaway in-memory DuckDB, so Parquet fixtures are generated at test time, not checked in.
 */
export async function duckdbScript(...statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const conn = await instance.connect();
    try {
      for (const sql of statements) await conn.run(sql);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
