import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, run, tempDir } from '../../../../test/support/pipeline.js';
import { inDb } from '../../../../test/support/duckdb.js';

/**
 * A failure while the run commits names the sink and what it writes, keeps the reason (the file
 * system's, DuckDB's) and says what to do. Each of these used to reach the user bare: an EPERM on a
 * rename of a temp name, a DuckDB constraint error naming neither node nor database.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-commit-errors-');
});

const ROWS = 'SELECT range::INT AS id, range::INT AS amt FROM range(5)';

function load(table: string, mode: 'append' | 'replace', database = 'w.duckdb') {
  return pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: ROWS } },
      { id: 'load', type: 'sink.duckdb', params: { database, table, mode } },
    ],
    ['src -> load'],
  );
}

const stageTables = (file: string) => inDb(file, `SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_caudal\\_stage\\_%' ESCAPE '\\'`);

/** Whether this system lets the test mark a file immutable (chattr +i: root on a file system that has the flag). */
function immutable(file: string, on: boolean): boolean {
  try {
    execFileSync('chattr', [on ? '+i' : '-i', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('errors while committing', () => {
  it('a file sink whose target cannot be moved aside (immutable) names the sink and the file, and leaves it as it was', async (t) => {
    const folder = path.join(dir, 'ro');
    const target = path.join(folder, 'o.csv');
    await mkdir(folder);
    await writeFile(target, 'before\n');
    if (!immutable(target, true)) t.skip('chattr +i is not available here (it needs root and a file system with the flag)');
    try {
      const doc = pipeline(
        [
          { id: 'src', type: 'transform.sql', params: { query: ROWS } },
          { id: 'o', type: 'sink.csv', params: { path: 'ro/o.csv', if_exists: 'overwrite' } },
        ],
        ['src -> o'],
      );
      const { summary } = await run(doc, dir);
      expect(summary.status).toBe('failed');
      expect(summary.error).toMatchObject({
        nodeId: 'o',
        message: expect.stringMatching(new RegExp(`^sink 'o': cannot replace ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: moving the previous version aside failed \\(EPERM: operation not permitted, rename `)),
        hint: expect.stringContaining('an immutable or append-only file refuses it (lsattr shows the flag, chattr -i or -a removes it)'),
      });
    } finally {
      immutable(target, false);
    }
    expect(await readFile(target, 'utf8')).toBe('before\n');
    expect(await readdir(folder)).toEqual(['o.csv']);
  });

  it("an append the table's CHECK constraint refuses names the sink, the table and the database, and says how to find the rows", async () => {
    const file = path.join(dir, 'check.duckdb');
    await inDb(file, 'CREATE TABLE t5 (id INT, amt INT CHECK (amt < 2)); INSERT INTO t5 VALUES (-1, 0)');
    const { summary } = await run(load('t5', 'append', 'check.duckdb'), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({
      nodeId: 'load',
      message: `sink 'load': cannot load ${file} (table main.t5): Constraint Error: CHECK constraint failed on table t5 with expression CHECK((amt < 2))`,
      hint: "the table's CHECK constraint refused rows of the input: find them with a quality check before this sink (quality.check with the same condition), then filter or correct them; the table is as it was",
    });
    expect(await inDb(file, 'SELECT id, amt FROM t5')).toEqual([{ id: -1, amt: 0 }]);
    expect(await stageTables(file)).toEqual([]);
  });

  it('an append that repeats a primary key names the sink and the table, and says to remove the duplicates', async () => {
    const file = path.join(dir, 'pk.duckdb');
    await inDb(file, 'CREATE TABLE t (id INT PRIMARY KEY, amt INT); INSERT INTO t VALUES (3, 0)');
    const { summary } = await run(load('t', 'append', 'pk.duckdb'), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({
      nodeId: 'load',
      message: `sink 'load': cannot load ${file} (table main.t): Constraint Error: Duplicate key "id: 3" violates primary key constraint.`,
      hint: expect.stringMatching(/^the input repeats a key of the table's PRIMARY KEY or UNIQUE constraint, .*remove the duplicates before this sink \(a Dedupe node\).*; the table is as it was$/),
    });
    expect(await inDb(file, 'SELECT id, amt FROM t')).toEqual([{ id: 3, amt: 0 }]);
    expect(await stageTables(file)).toEqual([]);
  });

  it('a replace of a table another table references by foreign key names the sink and the other table, and what to do', async () => {
    const file = path.join(dir, 'fk.duckdb');
    await inDb(file, 'CREATE TABLE parent (id INT PRIMARY KEY); INSERT INTO parent VALUES (1); CREATE TABLE child (pid INT REFERENCES parent (id)); INSERT INTO child VALUES (1)');
    const { summary } = await run(load('parent', 'replace', 'fk.duckdb'), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({
      nodeId: 'load',
      message: `sink 'load': cannot load ${file} (table main.parent): Catalog Error: Could not drop the table because this table is main key table of the table "child"`,
      hint: 'table "child" references this table by a foreign key, and DuckDB does not drop a table another one references, which replace does: set mode to "append" to add the rows to the table as it is, or recreate "child" without that foreign key (DuckDB cannot drop one in place); the table is as it was',
    });
    expect(await inDb(file, 'SELECT id FROM parent')).toEqual([{ id: 1 }]);
    expect(await stageTables(file)).toEqual([]);
  });
});
