import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection, pgSandbox } from './support/postgres.js';

/**
 * A load the table refuses for a key (a primary key the table already holds, a reference to a row
 * that is not there) names the key, as PostgreSQL's DETAIL does, and says what to do; the table is
 * as it was.
 */
describe('sink.postgres refused for a key', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  await writeFile(path.join(dir, 'in.csv'), 'id,parent\n1,10\n2,20\n');
  const load = (table: string, mode = 'append') =>
    pipeline([{ id: 'src', type: 'source.csv', params: { path: 'in.csv' } }, { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema, table, mode } }], ['src -> dst'], { connections: { db: { type: 'postgres' } } });
  const run = (table: string) => runPipeline({ pipeline: load(table), baseDir: dir, connections: pgConnection() });

  it('a key the table already holds: the key is named, with upsert as the way to update', async () => {
    await q(`CREATE TABLE held (id bigint PRIMARY KEY, parent bigint)`);
    await q(`INSERT INTO held VALUES (2, 0)`);
    const s = await run('held');
    expect(s.status).toBe('failed');
    expect(s.error).toMatchObject({ nodeId: 'dst', kind: 'execution', hint: expect.stringContaining('mode "upsert"') });
    expect(s.error!.message).toMatch(/table "[^"]+"\."held" already holds a row with a key of the rows sent: duplicate key value violates unique constraint "held_pkey" \(Key \(id\)=\(2\) already exists\)/);
    expect(await q(`SELECT id, parent FROM held`)).toEqual([{ id: '2', parent: '0' }]);
  });

  it('a reference to a row that is not there: the reference is named', async () => {
    await q(`CREATE TABLE parents (id bigint PRIMARY KEY)`);
    await q(`INSERT INTO parents VALUES (10)`);
    await q(`CREATE TABLE children (id bigint, parent bigint REFERENCES parents (id))`);
    const s = await run('children');
    expect(s.status).toBe('failed');
    expect(s.error!.message).toMatch(/refused a row whose reference is missing: .*\(Key \(parent\)=\(20\) is not present in table "parents"\)/);
    expect(s.error!.hint).toContain('load the referenced table first');
    expect(await q(`SELECT * FROM children`)).toEqual([]);
  });
});
