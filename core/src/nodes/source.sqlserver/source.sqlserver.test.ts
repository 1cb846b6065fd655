import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Db } from '../../compiler/db.js';
import type { PlannedRead, RemoteColumn } from '../../connectors/connector.js';
import type { CompileContext, CompiledNode, HookIo, NodeState } from '../define.js';
import { sqlserverSourceNode, watermarkText } from './source.sqlserver.node.js';

/**
 * The incremental read's watermark, at compile: columns it cannot be, a saved watermark of a
 * column whose type changed since, the kind it records, and the text it is saved as. No SQL Server
 * can run here: the planned read (what the server describes) is a fake.
 */
const harness = vi.hoisted(() => ({ columns: [] as unknown[], planned: [] as unknown[] }));
vi.mock('../../connectors/sqlserver/read.js', () => ({
  planSqlServerRead: async (_config: unknown, spec: unknown, ctx: unknown): Promise<PlannedRead> => {
    harness.planned.push({ spec, ctx });
    return { columns: harness.columns as RemoteColumn[], remoteSql: 'SELECT …', scanSql: () => 'SELECT 1', fetch: async () => 0 };
  },
}));

let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
});
afterAll(() => db.close());

const column = (name: string, type: string, remoteType: string): RemoteColumn => ({ name, type, remoteType });

function compile(columns: RemoteColumn[], params: Record<string, unknown>, saved?: NodeState): Promise<CompiledNode> {
  harness.columns = columns;
  harness.planned = [];
  const ctx = {
    nodeId: 'src',
    params: sqlserverSourceNode.params.parse({ connection: 'erp', table: 'orders', ...params }),
    mode: 'run',
    target: 'duckdb',
    text: (s: string) => s,
    connection: () => ({ name: 'erp', type: 'sqlserver', config: { host: 'db', database: 'erp', user: 'etl', password: 'x' } }),
    readState: async () => (saved ? { state: saved, adopted: false } : undefined),
    tempPath: (n: string) => `/tmp/${n}`,
    auxName: (s: string) => `"src_${s}"`,
  } as unknown as CompileContext<unknown>;
  return Promise.resolve(sqlserverSourceNode.compile!(ctx as never));
}

describe('the watermark column must compare on the server as the read orders it', () => {
  it('a rowversion column is refused before anything is read, with the query that makes it a number (and MIN_ACTIVE_ROWVERSION)', async () => {
    const failure = (await compile([column('id', 'INTEGER', 'int'), column('rv', 'BLOB', 'timestamp')], { incremental: { column: 'rv' } }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { message: string; hint: string; column: string; problems: Array<{ path: string }> };
    expect(failure.message).toBe("node 'src': column 'rv' (timestamp) cannot be the watermark of an incremental read: its bytes would be compared as text on the server, so later runs would read the wrong rows");
    expect(failure.hint).toContain('CAST(rv AS bigint) AS rv_n');
    expect(failure.hint).toContain('MIN_ACTIVE_ROWVERSION()');
    expect(failure.column).toBe('rv');
    expect(failure.problems[0]!.path).toBe('params.incremental.column');
  });

  it('a uniqueidentifier column is refused too', async () => {
    await expect(compile([column('u', 'UUID', 'uniqueidentifier')], { incremental: { column: 'u' } })).rejects.toThrow("node 'src': column 'u' (uniqueidentifier) cannot be the watermark");
  });

  it('a saved watermark taken when the column held dates is refused once the column holds text (it would compare in another order)', async () => {
    const saved = { column: 'changed', watermark: '2024-05-01 10:00:00', kind: 'date/time' };
    await expect(compile([column('changed', 'VARCHAR', 'nvarchar(30)')], { incremental: { column: 'changed' } }, saved)).rejects.toThrow(
      "node 'src': the saved watermark '2024-05-01 10:00:00' was taken when column 'changed' held date/time values; it is now nvarchar(30) (text)",
    );
  });

  it('the state saved records the kind of values, and where the bound watermark came from goes to the read', async () => {
    const compiled = await compile([column('changed', 'TIMESTAMP_NS', 'datetime2(7)')], { incremental: { column: 'changed', initial: '2024-01-01' } });
    expect((harness.planned[0] as { ctx: { watermarkFrom: string } }).ctx.watermarkFrom).toBe('initial');
    await db.run(`CREATE OR REPLACE TABLE "src_data" AS SELECT TIMESTAMP_NS '2024-02-29 23:59:59.1234567' AS changed`);
    const state = await compiled.nextState!({ db, isCancelled: () => false, log: () => undefined, progress: () => undefined } as HookIo);
    expect(state).toEqual({ column: 'changed', watermark: '2024-02-29 23:59:59.1234567', kind: 'date/time' });
    await compile([column('changed', 'TIMESTAMP_NS', 'datetime2(7)')], { incremental: { column: 'changed' } }, { ...state, set_by_hand: true });
    expect((harness.planned[0] as { ctx: { watermarkFrom: string } }).ctx.watermarkFrom).toBe('set');
  });
});

describe('the watermark as SQL Server reads it back', () => {
  it('datetime and smalldatetime get forms no login language reads otherwise (2024-01-02 is February 1st to a British login): ISO 8601 with a T, and unseparated', async () => {
    const [row] = await db.rows(
      `SELECT ${watermarkText('TIMESTAMP', "TIMESTAMP '2024-01-02 10:00:00.123'", 'datetime')} AS dt, ${watermarkText('TIMESTAMP', "TIMESTAMP '2024-01-02 10:00:00'", 'smalldatetime')} AS sdt, ${watermarkText('TIMESTAMP', "TIMESTAMP '2024-01-02 10:00:00.123456'", 'datetime2(6)')} AS dt2`,
    );
    expect(row).toEqual({ dt: '2024-01-02T10:00:00.123', sdt: '20240102 10:00:00', dt2: '2024-01-02 10:00:00.123456' });
  });
});
