import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Db } from '../../compiler/db.js';
import type * as Client from './client.js';
import { sqlserverFields } from '../../connections/sqlserver/sqlserver.connection.js';
import type { HookIo } from '../../nodes/define.js';
import { csvField, planSqlServerRead, scanSql } from './read.js';
import { readTransport } from './types.js';

/**
 * Reads: the file the fetch writes as DuckDB scans it (DuckDB alone), and what the read says when
 * it stops midway or when its watermark does not fit the column. No SQL Server can run here: the
 * driver's pool and requests are fakes answering sp_describe_first_result_set, TRY_CONVERT and the
 * streamed rows.
 */

interface Script {
  described: Array<{ name: string; system_type_name: string; collation_name: string | null; is_nullable: boolean; is_hidden: boolean }>;
  /** TRY_CONVERT's answer for the watermark. */
  converts: boolean;
  /** Rows the fetch streams, then the error it ends with (if any). */
  rows: unknown[][];
  failWith?: Error;
}
const harness = vi.hoisted(() => ({ script: undefined as unknown, statements: [] as string[] }));

class FakeRequest extends EventEmitter {
  stream = false;
  arrayRowMode = false;
  inputs: Record<string, unknown> = {};
  input(name: string, _type: unknown, value: unknown) {
    this.inputs[name] = value;
    return this;
  }
  pause() {}
  resume() {}
  cancel() {}
  async query(text: string) {
    const script = harness.script as Script;
    harness.statements.push(text);
    if (text.includes('sp_describe_first_result_set')) return { recordset: script.described };
    if (text.includes('TRY_CONVERT')) return { recordset: [{ ok: script.converts ? 1 : 0 }] };
    // Stream mode: rows as events, then the end or the error.
    await new Promise((r) => setImmediate(r));
    for (const row of script.rows) this.emit('row', row);
    if (script.failWith) {
      this.emit('error', script.failWith);
      throw script.failWith;
    }
    this.emit('done');
    return { recordset: [] };
  }
}

vi.mock('./client.js', async (importOriginal) => {
  const real = await importOriginal<typeof Client>();
  return {
    ...real,
    connectSqlServer: async () => ({ request: () => new FakeRequest(), close: async () => undefined }),
  };
});

let db: Db;
let dir: string;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-mssql-read-'));
});
afterAll(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  harness.statements = [];
});

const config = sqlserverFields.parse({ host: 'db', database: 'erp', user: 'etl', password: 's3cret!' });
const described = (name: string, type: string) => ({ name, system_type_name: type, collation_name: null, is_nullable: true, is_hidden: false });
const io = (): HookIo => ({ db, isCancelled: () => false, log: () => undefined, progress: () => undefined });

describe('the fetched file as DuckDB scans it', () => {
  it('text holding a carriage return and line feed inside a value reads back as it was (rows end with \\n only)', async () => {
    const columns = [
      { name: 'id', transport: readTransport({ name: 'int' }) },
      { name: 'note', transport: readTransport({ name: 'nvarchar' }) },
    ];
    const rows = [
      [1, 'line one\r\nline two'],
      [2, 'plain'],
      [3, 'a\rb'],
      [4, 'ends with\r\n'],
    ];
    const file = path.join(dir, 'crlf.csv');
    // As streamToCsv writes it.
    await writeFile(file, rows.map((r) => r.map(csvField).join(',') + '\n').join(''));
    expect(await db.rows(`${scanSql(file, columns)} ORDER BY id`)).toEqual([
      { id: 1, note: 'line one\r\nline two' },
      { id: 2, note: 'plain' },
      { id: 3, note: 'a\rb' },
      { id: 4, note: 'ends with\r\n' },
    ]);
  });
});

describe('a read that stops midway says so, with the rows read and what to do', () => {
  const plan = (script: Partial<Script>, incremental = false) => {
    harness.script = { described: [described('id', 'int')], converts: true, rows: [], ...script };
    return planSqlServerRead(config, { table: { schema: 'dbo', name: 'orders' }, ...(incremental ? { watermark: { column: 'id' } } : {}) }, { nodeId: 'src', connection: 'erp' });
  };

  it('the connection lost after 3 rows: "the connection to the server was lost", not "cannot reach the server"', async () => {
    const planned = await plan({ rows: [[1], [2], [3]], failWith: Object.assign(new Error('Connection lost - read ECONNRESET'), { code: 'ESOCKET' }) }, true);
    const failure = (await planned.fetch(io(), path.join(dir, 'lost.csv')).then(
      () => undefined,
      (e: unknown) => e,
    )) as { message: string; hint: string; kind: string };
    expect(failure.kind).toBe('io');
    expect(failure.message).toBe("node 'src' (connection 'erp'): the connection to the server was lost after 3 rows of the read: Connection lost - read ECONNRESET");
    expect(failure.hint).toMatch(/nothing was written and the watermark did not move: run again$/);
  });

  it('the connection closed under the read (ECLOSE) is a lost connection too', async () => {
    const planned = await plan({ rows: [[1]], failWith: Object.assign(new Error('Connection closed before request completed.'), { code: 'ECLOSE' }) });
    await expect(planned.fetch(io(), path.join(dir, 'closed.csv'))).rejects.toThrow("node 'src' (connection 'erp'): the connection to the server was lost after 1 rows of the read");
  });

  it('request_timeout_s reached: says which setting to raise', async () => {
    const planned = await plan({ rows: [[1], [2]], failWith: Object.assign(new Error('Timeout: Request failed to complete in 30000ms'), { code: 'ETIMEOUT' }) });
    const failure = (await planned.fetch(io(), path.join(dir, 'slow.csv')).then(
      () => undefined,
      (e: unknown) => e,
    )) as { message: string; hint: string };
    expect(failure.message).toMatch(/^node 'src' \(connection 'erp'\): the read ran longer than the connection's request_timeout_s allows and was cancelled after 2 rows/);
    expect(failure.hint).toMatch(/^raise request_timeout_s of connection 'erp'/);
  });
});

describe('a watermark the column does not take is refused before the run', () => {
  const plan = (from: 'initial' | 'saved' | 'set', type: string, after: string, converts: boolean) => {
    harness.script = { described: [described('id', 'int'), described('changed_at', type)], converts, rows: [] };
    return planSqlServerRead(config, { table: { schema: 'dbo', name: 'orders' }, watermark: { column: 'changed_at', after } }, { nodeId: 'src', connection: 'erp', watermarkFrom: from });
  };

  it('a Start after value that is not a datetime2: named, with where it comes from and what to set (SQL Server would only fail once the read runs)', async () => {
    const failure = (await plan('initial', 'datetime2(7)', 'yesterday', false).then(
      () => undefined,
      (e: unknown) => e,
    )) as { message: string; hint: string; problems: Array<{ path: string; column?: string }> };
    expect(failure.message).toBe("node 'src': the watermark 'yesterday' (Start after, incremental.initial) is not a value of column 'changed_at' (datetime2(7)): SQL Server cannot convert it");
    expect(failure.hint).toMatch(/^set Start after to a value of the column's type \(datetime2\(7\)\)/);
    expect(failure.problems[0]).toMatchObject({ path: 'params.incremental.initial', column: 'changed_at' });
    expect(harness.statements.some((s) => s.includes('TRY_CONVERT(datetime2(7), @w)'))).toBe(true);
  });

  it('a saved watermark the column no longer takes says how to set or reset it; a datetime one how to write it', async () => {
    const failure = (await plan('saved', 'datetime', '2024-13-01 00:00:00', false).then(
      () => undefined,
      (e: unknown) => e,
    )) as { message: string; hint: string };
    expect(failure.message).toContain("the watermark '2024-13-01 00:00:00' (saved by the last successful run)");
    expect(failure.hint).toContain('caudal state set <pipeline> --node src --value <value>');
    expect(failure.hint).toContain('2024-01-31T08:00:00');
  });

  it('a value the column takes plans as before', async () => {
    const planned = await plan('initial', 'datetime2(7)', '2024-01-01 00:00:00', true);
    expect(planned.remoteSql).toBe('SELECT * FROM [dbo].[orders] WHERE [changed_at] > @caudal_1');
  });
});
