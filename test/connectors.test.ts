import { describe, expect, it } from 'vitest';
import { connectors, getConnector } from '../core/src/connectors/registry.js';
import { withRetry } from '../core/src/connectors/retry.js';
import { connectionTypes } from '../core/src/connections/registry.js';
import { PG, pgSandbox } from './support/postgres.js';

const fast = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

describe('retries', () => {
  it('retries transient failures up to the limit, then gives up with the last error', async () => {
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw Object.assign(new Error(`refused ${calls}`), { code: 'ECONNREFUSED' });
      },
      (e) => (e as { code?: string }).code === 'ECONNREFUSED',
      fast,
    );
    await expect(failing).rejects.toThrow('refused 3');
    expect(calls).toBe(3);
  });

  it('returns as soon as an attempt succeeds', async () => {
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 2) throw new Error('blip');
        return 'ok';
      },
      () => true,
      fast,
    );
    expect(value).toBe('ok');
    expect(calls).toBe(2);
  });

  it('does not retry errors that are not transient (a wrong password stays wrong)', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw Object.assign(new Error('password authentication failed'), { code: '28P01' });
        },
        (e) => (e as { code?: string }).code !== '28P01',
        fast,
      ),
    ).rejects.toThrow('password');
    expect(calls).toBe(1);
  });
});

describe('connector registry', () => {
  it('lists PostgreSQL with its capabilities, and connection types derive from connectors', () => {
    expect(getConnector('postgres')?.capabilities).toEqual({ pushdown: true, upsert: true, incremental: true, transactional: true });
    expect(connectionTypes.map((t) => t.type)).toEqual(connectors.map((c) => c.type));
    expect(getConnector('postgres')?.secrets).toEqual(['password']);
  });
});

describe('PostgreSQL discovery', async () => {
  const { schema, q } = await pgSandbox();
  const config = { ...PG, ssl: 'disable' as const, connect_timeout_s: 10 };

  it('lists tables and views of a schema, and one table\'s columns with the DuckDB types they read as', async () => {
    await q(`CREATE TABLE "Orders" (id bigint NOT NULL, amount numeric(10,2), tags text[], at timestamptz)`);
    await q(`CREATE VIEW big_orders AS SELECT * FROM "Orders" WHERE amount > 100`);
    const pg = getConnector('postgres')!;
    const discover = pg.discover!;
    const tables = await discover(config, { schema });
    expect(tables).toEqual([
      { schema, name: 'Orders', kind: 'table' },
      { schema, name: 'big_orders', kind: 'view' },
    ]);
    const [orders] = await discover(config, { schema, table: 'Orders' });
    expect(orders!.columns).toEqual([
      { name: 'id', remoteType: 'bigint', type: 'BIGINT', nullable: false },
      { name: 'amount', remoteType: 'numeric(10,2)', type: 'DECIMAL(10,2)', nullable: true },
      { name: 'tags', remoteType: 'text[]', type: 'VARCHAR[]', nullable: true },
      { name: 'at', remoteType: 'timestamp with time zone', type: 'TIMESTAMPTZ', nullable: true },
    ]);
  });
});
