import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';
import { inDb } from '../../../../test/support/duckdb.js';
import { canonicalPath } from '../shared/file-sink.js';

/**
 * The database path of sink.duckdb is held to what the file sinks hold their target to: it must be
 * a regular file (or not exist yet). A symbolic link, a named pipe, a device or a folder is refused
 * before anything is read, naming what it is and what to set instead, and is left as it was.
 * Reading a database through a link (source.duckdb) is fine.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-sink-duckdb-dest-');
});

const load = (database: string, id = 'load', table = 't') => ({ id, type: 'sink.duckdb', params: { database, table } });
const SRC = { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS x' } };
const toDb = (database: string) => pipeline([SRC, load(database)], ['src -> load']);

async function refusedBeforeTheRun(database: string, message: string | RegExp, hint?: string | RegExp): Promise<void> {
  const expected = expect.objectContaining({
    nodeId: 'load',
    path: 'nodes[1].params.database',
    message: typeof message === 'string' ? message : expect.stringMatching(message),
    ...(hint === undefined ? {} : { hint: typeof hint === 'string' ? hint : expect.stringMatching(hint) }),
  });
  expect(await problemsOf(toDb(database), dir)).toEqual([expected]);
  const { summary } = await run(toDb(database), dir);
  expect(summary.status).toBe('failed');
  expect(summary.error?.message).toContain(typeof message === 'string' ? message : '');
}

describe('sink.duckdb database path', () => {
  it('a symbolic link to another database is refused, naming its target; the link and that database stay as they were', async () => {
    const real = path.join(dir, 'other.duckdb');
    await inDb(real, 'CREATE TABLE kept AS SELECT 42 AS y');
    await symlink('other.duckdb', path.join(dir, 'link.duckdb'));
    await refusedBeforeTheRun(
      'link.duckdb',
      `node 'load': ${path.join(dir, 'link.duckdb')} is a symbolic link (to other.duckdb); the sink would write the database through the link, and DuckDB would keep its write-ahead log (.wal) next to the link, where a program opening the database itself does not look for it`,
      `write to the link's target instead: set the database to ${await canonicalPath(real)}`,
    );
    expect((await lstat(path.join(dir, 'link.duckdb'))).isSymbolicLink()).toBe(true);
    expect(await inDb(real, 'SELECT table_name FROM duckdb_tables() ORDER BY table_name')).toEqual([{ table_name: 'kept' }]);
  });

  it('a link that points nowhere is refused, and no database is created where it points', async () => {
    await symlink('nowhere.duckdb', path.join(dir, 'dangling.duckdb'));
    await refusedBeforeTheRun('dangling.duckdb', /dangling\.duckdb is a symbolic link \(to nowhere\.duckdb\)/, 'the link points nowhere: remove it or choose another path');
    expect(existsSync(path.join(dir, 'nowhere.duckdb'))).toBe(false);
  });

  it('a link to a folder is refused as a link', async () => {
    await mkdir(path.join(dir, 'a-folder'));
    await symlink('a-folder', path.join(dir, 'folder-link.duckdb'));
    await refusedBeforeTheRun('folder-link.duckdb', /folder-link\.duckdb is a symbolic link \(to a-folder\)/);
    expect(await readdir(path.join(dir, 'a-folder'))).toEqual([]);
  });

  it('/dev/null is refused as a device', async () => {
    await refusedBeforeTheRun(
      '/dev/null',
      "node 'load': /dev/null is a device, not a regular file; a DuckDB database is a regular file that the sink opens and writes in place (a pipe would block the run, a device cannot hold a database)",
      'set the database to a regular file (created if missing)',
    );
    expect((await lstat('/dev/null')).isCharacterDevice()).toBe(true);
  });

  it('a named pipe is refused before the run, which therefore does not wait on it forever', async () => {
    const fifo = path.join(dir, 'pipe.duckdb');
    execFileSync('mkfifo', [fifo]);
    await refusedBeforeTheRun('pipe.duckdb', `node 'load': ${fifo} is a named pipe (FIFO), not a regular file; a DuckDB database is a regular file that the sink opens and writes in place (a pipe would block the run, a device cannot hold a database)`);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  }, 20_000);

  it('a folder is refused, as before', async () => {
    await mkdir(path.join(dir, 'folder.duckdb'));
    await refusedBeforeTheRun('folder.duckdb', `node 'load': ${path.join(dir, 'folder.duckdb')} is a folder, not a DuckDB database file`);
  });

  it('a database reached through a symlinked folder is written, and is one destination with its real path', async () => {
    await mkdir(path.join(dir, 'wh'));
    await symlink('wh', path.join(dir, 'wh-link'));
    expect((await run(toDb('wh-link/w.duckdb'), dir)).summary.status).toBe('succeeded');
    expect(await inDb(path.join(dir, 'wh', 'w.duckdb'), 'SELECT x FROM t')).toEqual([{ x: 1 }]);
    const two = pipeline([SRC, load('wh/w.duckdb', 'first'), load('wh-link/w.duckdb', 'second')], ['src -> first', 'src -> second']);
    expect(await problemsOf(two, dir)).toEqual([expect.objectContaining({ nodeId: 'second', message: expect.stringMatching(/^nodes 'first' and 'second' both write table main\.t in .*wh-link\/w\.duckdb/) })]);
  });

  it('source.duckdb reads a database through a symbolic link (only writing through one is refused)', async () => {
    const real = path.join(dir, 'read-me.duckdb');
    await inDb(real, 'CREATE TABLE orders AS SELECT range AS id FROM range(3)');
    await symlink('read-me.duckdb', path.join(dir, 'read-link.duckdb'));
    const doc = pipeline([{ id: 'src', type: 'source.duckdb', params: { database: 'read-link.duckdb', table: 'orders' } }]);
    expect((await preview(doc, dir, 'src')).rows).toEqual([{ id: '0' }, { id: '1' }, { id: '2' }]);
  });
});
