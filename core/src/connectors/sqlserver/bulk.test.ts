import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../compiler/db.js';
import type { HookIo } from '../../nodes/define.js';
import { bulkLoad } from './bulk.js';

/**
 * The bulk copy's batch on the wire, when something fails. No server: the requests are fakes that
 * answer like the driver's (a promise per batch), and DuckDB is real.
 */
let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
  await db.run(`CREATE TABLE many AS SELECT i::BIGINT AS id, 'x' || i AS s FROM range(200000) r(i)`);
  // Row 300,000 of 400,000 has a third decimal place, which a decimal(10,2) column would round
  // (far enough for DuckDB's stream, which computes ahead of what it hands over, to hand over batches first).
  await db.run(`CREATE TABLE priced AS SELECT i::INTEGER AS id, CASE WHEN i = 300000 THEN 12.345 ELSE 1.25 END::DECIMAL(10,3) AS amount FROM range(400000) r(i)`);
});
afterAll(() => db.close());

const io = (): HookIo => ({ db, isCancelled: () => false, log: () => undefined, progress: () => undefined });
const columns = [
  { name: 'id', type: 'BIGINT' },
  { name: 's', type: 'VARCHAR' },
];

describe('bulkLoad: the batch on the wire is never left behind', () => {
  it('a batch that fails while DuckDB makes the next rows fails the load with its own error, handled (the process does not die), and nothing more is sent', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    let sent = 0;
    // The server drops the connection under the first batch, 1 ms after it was sent.
    const request = () =>
      ({
        bulk: () => {
          sent++;
          return new Promise((_resolve, reject) => setTimeout(() => reject(Object.assign(new Error(`bulk ${sent} failed: Connection lost - read ECONNRESET`), { code: 'ESOCKET' })), 1));
        },
      }) as unknown as sql.Request;
    try {
      await expect(bulkLoad(sql, request, '#st', 'many', columns, io(), 10_000)).rejects.toThrow('bulk 1 failed: Connection lost');
      // Give a stray rejection the time to surface.
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect(sent).toBe(1);
  });

  it('a value refused after DuckDB handed over the first rows stops the load with its words (DuckDB\'s stream itself ends as if exhausted), once the batch on the wire has ended', async () => {
    let active = 0;
    let sent = 0;
    const request = () =>
      ({
        bulk: async () => {
          sent++;
          active++;
          await new Promise((r) => setTimeout(r, 200));
          active--;
          return { rowsAffected: 0 };
        },
      }) as unknown as sql.Request;
    const priced = [
      { name: 'id', type: 'INTEGER' },
      { name: 'amount', type: 'DECIMAL(10,3)' },
    ];
    const failure = await bulkLoad(sql, request, '#st', 'priced', priced, io(), 100_000, new Map([['amount', 'decimal(10,2)']])).then(
      () => undefined,
      (e: unknown) => e,
    );
    // DuckDB's own error, naming the column and the value (not the batch's), though batches went out before it.
    expect(String(failure)).toMatch(/column "amount" holds 12\.345/);
    expect(sent).toBeGreaterThan(0);
    // Nothing is still running on the transaction's connection when the load's error arrives.
    expect(active).toBe(0);
  });

  it('a DuckDB stream that throws while a batch is on the wire: the batch ends before the error is thrown', async () => {
    let active = 0;
    const request = () =>
      ({
        bulk: async () => {
          active++;
          await new Promise((r) => setTimeout(r, 200));
          active--;
          return { rowsAffected: 0 };
        },
      }) as unknown as sql.Request;
    // DuckDB's stream as the driver gives it, failing on its second chunk (the first one is a batch).
    const chunk = Array.from({ length: 2048 }, (_, i) => [i, `x${i}`]);
    async function* stream() {
      yield chunk;
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('Invalid Input Error: column "s" holds x');
    }
    const failing = { ...io(), db: { stream } as unknown as Db };
    await expect(bulkLoad(sql, request, '#st', 't', columns, failing, 2048)).rejects.toThrow('column "s" holds x');
    expect(active).toBe(0);
  });

  it("a batch's failure found while the next batch waits to be sent is thrown, and the next one is not sent", async () => {
    let sent = 0;
    const request = () =>
      ({
        bulk: async () => {
          sent++;
          throw Object.assign(new Error('The transaction log for database is full'), { number: 9002 });
        },
      }) as unknown as sql.Request;
    // A batch of one chunk: the second flush finds the first one failed.
    await expect(bulkLoad(sql, request, '#st', 'many', columns, { ...io(), isCancelled: () => false }, 100)).rejects.toThrow(/transaction log/);
    expect(sent).toBe(1);
  });
});
