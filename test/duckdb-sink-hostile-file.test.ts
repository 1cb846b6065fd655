import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { inDb } from './support/duckdb.js';

/**
 * A database path naming a file that is not a DuckDB database (a CSV saved under the name, an empty
 * file from `touch`): DuckDB found out only when the sink attached it, after every upstream node had
 * run (an hour's read, then the failure), and said nothing of what to do.
 */
describe('sink.duckdb: a database path that is not a DuckDB database', async () => {
  const dir = await tempDir();
  const csv = path.join(dir, 'in.csv');
  await writeFile(csv, 'id,v\n1,a\n2,b\n');
  const go = async (database: string) => {
    const d = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: csv } },
        { id: 'dst', type: 'sink.duckdb', params: { database, table: 't' } },
      ],
      ['src -> dst'],
    );
    const events: RunEvent[] = [];
    const s = await runPipeline({ pipeline: d, baseDir: dir, onEvent: (e) => void events.push(e) });
    return { s, started: events.filter((e) => e.type === 'node_started').map((e) => (e as { nodeId: string }).nodeId) };
  };

  it('a file with other content is refused before anything is read, naming the file and what to do; the file stays as it was', async () => {
    const file = path.join(dir, 'orders.duckdb');
    const content = 'id,amount\n1,10\n'.repeat(50);
    await writeFile(file, content);
    const { s, started } = await go(file);
    expect(s.status).toBe('failed');
    expect(s.error!.message).toBe(`node 'dst': ${file} is not a DuckDB database (it does not start with DuckDB's header); the sink writes into a DuckDB database file and does not replace other files`);
    expect(s.error!.hint).toBe('point the database at a DuckDB file, or at a path where none exists yet (the sink creates it); move the file away if it is no longer needed');
    expect(started).not.toContain('src');
    expect(await readFile(file, 'utf8')).toBe(content);
  });

  it('an empty file is refused the same way, saying it is empty', async () => {
    const file = path.join(dir, 'empty.duckdb');
    await writeFile(file, '');
    const { s, started } = await go(file);
    expect(s.status).toBe('failed');
    expect(s.error!.message).toBe(`node 'dst': ${file} is not a DuckDB database (it is empty); the sink writes into a DuckDB database file and does not replace other files`);
    expect(started).not.toContain('src');
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it('a DuckDB database is written as before', async () => {
    const file = path.join(dir, 'real.duckdb');
    expect((await go(file)).s.error).toBeUndefined();
    expect((await go(file)).s.error).toBeUndefined();
    expect(await inDb(file, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 2 }]);
  });
});
