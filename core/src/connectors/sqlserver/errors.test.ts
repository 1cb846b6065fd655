import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { CaudalError } from '../../util/errors.js';
import { connectionLost, explainSqlServerError, readStopped, statementTimedOut } from './errors.js';

/** The driver's errors by code, in the words of the node: the driver's own error classes, no server. */
describe('a connection that broke is not a server that cannot be reached', () => {
  const load = { nodeId: 'load', connection: 'erp', spec: { table: { schema: 'dbo', name: 'orders' }, mode: 'append' as const, createTable: true }, password: 's3cret!' };
  const read = { nodeId: 'src', connection: 'erp', spec: { table: { schema: 'dbo', name: 'orders' } }, password: 's3cret!' };

  it('ESOCKET while connecting: cannot reach the server, check host, port or instance', () => {
    const e = explainSqlServerError(new sql.ConnectionError('Failed to connect to db:1433 - connect ECONNREFUSED 10.0.0.1:1433', 'ESOCKET'), load);
    expect(e.message).toBe("node 'load' (connection 'erp'): cannot reach the server: Failed to connect to db:1433 - connect ECONNREFUSED 10.0.0.1:1433");
    expect(e.hint).toMatch(/^check host, port or instance/);
  });

  it('ESOCKET after connecting (mid-load): the connection was lost, the transaction rolls back, nothing was written', () => {
    const e = explainSqlServerError(new sql.RequestError('Connection lost - read ECONNRESET', 'ESOCKET'), load);
    expect(e.kind).toBe('io');
    expect(e.message).toBe("node 'load' (connection 'erp'): the connection to the server was lost: Connection lost - read ECONNRESET");
    expect(e.hint).toMatch(/the load's transaction ends with the session and the server rolls it back, so nothing was written: run again$/);
    expect(e.hint).not.toMatch(/host|port|instance/);
  });

  it.each([
    ['ECLOSE', 'Connection closed before request completed.'],
    ['ECONNCLOSED', 'Connection is closed.'],
    ['EINVALIDSTATE', 'Requests can only be made in the LoggedIn state, not the Final state'],
    ['ETIMEOUT', 'Failed to cancel request in 5000ms'],
  ])('%s is a lost connection too', (code, message) => {
    const err = new sql.RequestError(message, code as sql.MSSQLError['code']);
    expect(connectionLost(err)).toBe(true);
    expect(explainSqlServerError(err, load).message).toBe(`node 'load' (connection 'erp'): the connection to the server was lost: ${message}`);
  });

  it('a lost connection wrapped by the driver (a transaction error keeps the original) is recognized by its code', () => {
    const wrapped = new sql.TransactionError(Object.assign(new Error('Connection lost - write EPIPE'), { code: 'ESOCKET' }) as unknown as string);
    expect(connectionLost(wrapped)).toBe(true);
  });

  it('ETIMEOUT while connecting: cannot reach the server, and connect_timeout_s is what a slow server needs', () => {
    const e = explainSqlServerError(new sql.ConnectionError('Failed to connect to db:1433 in 15000ms', 'ETIMEOUT'), read);
    expect(e.message).toBe("node 'src' (connection 'erp'): cannot reach the server: Failed to connect to db:1433 in 15000ms");
    expect(e.hint).toMatch(/connect_timeout_s/);
  });

  it('ETIMEOUT of a statement: request_timeout_s is what to raise, by name', () => {
    const err = new sql.RequestError('Timeout: Request failed to complete in 30000ms', 'ETIMEOUT');
    expect(statementTimedOut(err)).toBe(true);
    expect(connectionLost(err)).toBe(false);
    const e = explainSqlServerError(err, load);
    expect(e.message).toBe("node 'load' (connection 'erp'): a statement of the load ran longer than the connection's request_timeout_s allows: Timeout: Request failed to complete in 30000ms");
    expect(e.hint).toBe("nothing was written; raise request_timeout_s of connection 'erp' (0 lets statements run as long as they need)");
  });

  it("the connector's own errors (no driver code, no server number) are not put as something SQL Server said", () => {
    const e = explainSqlServerError(new CaudalError('execution', "the load's transaction did not survive creating its commit marker", { hint: 'fix that' }), load);
    expect(e.message).toBe("node 'load' (connection 'erp'): the load's transaction did not survive creating its commit marker");
    expect(e.nodeId).toBe('load');
    expect(e.hint).toBe('fix that');
  });

  it('a read stopped midway names the rows read, and that the watermark did not move', () => {
    const lost = readStopped(new sql.RequestError('Connection lost - read ECONNRESET', 'ESOCKET'), { rows: 12_345, incremental: true }, read);
    expect(lost?.message).toBe("node 'src' (connection 'erp'): the connection to the server was lost after 12,345 rows of the read: Connection lost - read ECONNRESET");
    expect(lost?.hint).toMatch(/nothing was written and the watermark did not move: run again$/);
    const slow = readStopped(new sql.RequestError('Timeout: Request failed to complete in 60000ms', 'ETIMEOUT'), { rows: 10, incremental: false }, read);
    expect(slow?.message).toMatch(/the read ran longer than the connection's request_timeout_s allows and was cancelled after 10 rows/);
    expect(slow?.hint).toMatch(/^raise request_timeout_s of connection 'erp'.*nothing was written: run again$/);
    // Other errors are left to explainSqlServerError.
    expect(readStopped(Object.assign(new sql.RequestError('Invalid object name', 'EREQUEST'), { number: 208 }), { rows: 0, incremental: false }, read)).toBeUndefined();
  });
});
