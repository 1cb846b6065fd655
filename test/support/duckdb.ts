import { DuckDBInstance } from '@duckdb/node-api';

/** Rows of one query against a DuckDB file (or ':memory:'), opened and closed around it, as JSON-safe objects. */
export async function inDb(file: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(file);
  try {
    const conn = await instance.connect();
    try {
      return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
