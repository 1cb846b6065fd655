import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect, previewPipeline, runPipeline, startProfile } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection, pgLoginRole, pgSandbox } from './support/postgres.js';

const connections = { db: { type: 'postgres' } };

describe('source.postgres', async () => {
  const { client, schema, q } = await pgSandbox();
  const dir = await tempDir();

  it('maps PostgreSQL types to DuckDB and back to the same values (numeric, timestamptz, json/jsonb, arrays, uuid, bytea, interval, NULLs)', async () => {
    await q(`CREATE TABLE types (a int4, b int8, c numeric(12,3), e timestamptz, f timestamp, g date, h json, i jsonb, j int4[], k text[], l uuid, m bytea, n text, o bool, p float8, iv interval)`);
    await q(`INSERT INTO types VALUES
      (1, 9007199254740993, 123.456, '2024-01-02 03:04:05.123456+02', '2024-01-02 03:04:05', '2024-01-02', '{"a":1}', '{"b":[1,2]}', '{1,2,NULL}', '{"a,b","c\\"d",NULL}',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10', E'line1\\nline2 "q", x', true, 1.25, '1 year 2 mons -3 days 04:05:06.5'),
      (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL)`);
    const doc = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'types' } },
        { id: 'dst', type: 'sink.postgres', params: { connection: 'db', schema, table: 'types_copy' } },
      ],
      ['src -> dst'],
      { connections },
    );
    const shape = await inspect({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    expect(shape.problems).toEqual([]);
    const types = Object.fromEntries(shape.nodes.find((n) => n.nodeId === 'src')!.outputs[0]!.columns.map((c) => [c.name, c.type]));
    expect(types).toEqual({
      a: 'INTEGER', b: 'BIGINT', c: 'DECIMAL(12,3)', e: 'TIMESTAMP WITH TIME ZONE', f: 'TIMESTAMP', g: 'DATE', h: 'JSON', i: 'JSON',
      j: 'INTEGER[]', k: 'VARCHAR[]', l: 'UUID', m: 'BLOB', n: 'VARCHAR', o: 'BOOLEAN', p: 'DOUBLE', iv: 'INTERVAL',
    });
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    expect(s.error).toBeUndefined();
    expect(s.outputs[0]!.rows).toBe(2);
    // Same values on both sides, compared as PostgreSQL prints them (json → jsonb is the one type change).
    const text = (t: string) => q<{ r: string }>(`SELECT concat_ws('|', a, b, c, e, f, g, h::jsonb, i, j, k, l, m, coalesce(n, '<null>'), o, p, iv) AS r FROM ${t} ORDER BY a NULLS LAST`);
    expect(await text('types_copy')).toEqual(await text('types'));
    const nulls = await q<{ n: number }>(`SELECT num_nulls(a, b, c, e, f, g, h, i, j, k, l, m, o, p, iv)::int AS n FROM types_copy WHERE a IS NULL`);
    expect(nulls[0]!.n).toBe(15);
    const created = await q<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'types_copy' ORDER BY ordinal_position`,
      [schema],
    );
    expect(created.map((c) => c.data_type)).toEqual([
      'integer', 'bigint', 'numeric', 'timestamp with time zone', 'timestamp without time zone', 'date', 'jsonb', 'jsonb', 'ARRAY', 'ARRAY', 'uuid', 'bytea', 'text', 'boolean', 'double precision', 'interval',
    ]);
  });

  it('pushes column selection and filters down: the server sees them, with values as bind parameters', async () => {
    await q(`CREATE TABLE orders (id int PRIMARY KEY, status text, amount numeric(10,2), note text)`);
    await q(`INSERT INTO orders SELECT g, CASE WHEN g % 3 = 0 THEN 'shipped' ELSE 'open' END, g * 1.5, 'n' || g FROM generate_series(1, 300) g`);
    const doc = pipeline(
      [
        {
          id: 'src',
          type: 'source.postgres',
          params: { connection: 'db', schema, table: 'orders', columns: ['id', 'amount'], filters: [{ column: 'status', op: '=', value: 'shipped' }, { column: 'id', op: '<=', value: 90 }] },
        },
        { id: 'out', type: 'sink.csv', params: { path: 'pushdown.csv' } },
      ],
      ['src -> out'],
      { connections },
    );
    // Hold a lock so the read waits on the server, where pg_stat_activity shows the statement it received.
    await q('BEGIN');
    await q(`LOCK TABLE orders IN ACCESS EXCLUSIVE MODE`);
    const run = runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    let seen: string | undefined;
    for (let i = 0; i < 200 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 50));
      // Statistics views are a snapshot per transaction: clear it to see the waiting session.
      await q('SELECT pg_stat_clear_snapshot()');
      const rows = await q<{ query: string }>(`SELECT query FROM pg_stat_activity WHERE application_name = 'caudal' AND wait_event_type = 'Lock' AND query LIKE $1`, [`%"${schema}"%`]);
      seen = rows[0]?.query;
    }
    await q('COMMIT');
    const s = await run;
    expect(s.error).toBeUndefined();
    expect(seen).toBeDefined();
    expect(seen).toContain(`SELECT "id", "amount" FROM "${schema}"."orders" WHERE "status" = $1 AND "id" <= $2`);
    expect(seen).not.toContain('shipped');
    expect(s.outputs[0]!.rows).toBe(30);
  });

  it('runs a query with bound params, and SQL injection in names and values stays inert', async () => {
    const evil = `x"; DROP TABLE victims; --`;
    await q(`CREATE TABLE victims (id int)`);
    await q(`CREATE TABLE "${evil.replaceAll('"', '""')}" ("Order ID" int, "Mixed Case" text, "say ""hi""" text)`);
    await q(`INSERT INTO "${evil.replaceAll('"', '""')}" VALUES (1, 'a', 'x'), (2, $1, 'y')`, [`'; DROP TABLE victims; --`]);
    const fromTable = pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: evil, filters: [{ column: 'Mixed Case', op: 'in', value: [`'; DROP TABLE victims; --`, 'a'] }] } }], [], { connections });
    const p1 = await previewPipeline({ pipeline: fromTable, baseDir: dir, nodeId: 'src', connections: pgConnection() });
    expect(p1.columns.map((c) => c.name)).toEqual(['Order ID', 'Mixed Case', 'say "hi"']);
    expect(p1.rows.length).toBe(2);
    const fromQuery = pipeline(
      [{ id: 'src', type: 'source.postgres', params: { connection: 'db', query: `SELECT "Order ID" AS id, "Mixed Case" AS v FROM "${schema}"."${evil.replaceAll('"', '""')}" WHERE "Mixed Case" = $1 OR "Order ID" = $2`, query_params: [`'; DROP TABLE victims; --`, 1] } }],
      [],
      { connections },
    );
    const p2 = await previewPipeline({ pipeline: fromQuery, baseDir: dir, nodeId: 'src', connections: pgConnection() });
    expect(p2.rows).toEqual([{ id: 1, v: 'a' }, { id: 2, v: `'; DROP TABLE victims; --` }]);
    expect(await q(`SELECT to_regclass('victims') IS NOT NULL AS still_there`)).toEqual([{ still_there: true }]);
  });

  it('reports a missing table, a missing column and an unreachable server with the node and connection named', async () => {
    await q(`CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, status text, amount numeric(10,2), note text)`);
    const missing = await inspect({ pipeline: pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'nope' } }], [], { connections }), baseDir: dir, connections: pgConnection() });
    expect(missing.problems[0]).toMatchObject({ nodeId: 'src', path: 'nodes[0].params.table' });
    expect(missing.problems[0]!.message).toMatch(/node 'src' \(connection 'db'\): table ".*"\."nope" does not exist/);
    const col = await inspect({ pipeline: pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'orders', columns: ['id', 'amout'] } }], [], { connections }), baseDir: dir, connections: pgConnection() });
    expect(col.problems[0]!.message).toContain('column "amout" does not exist');
    const down = pgConnection();
    down.db!.config.port = 1;
    const unreachable = await inspect({ pipeline: pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'orders' } }], [], { connections }), baseDir: dir, connections: down });
    expect(unreachable.problems[0]!.message).toMatch(/cannot reach the server/);
    const undeclared = await inspect({ pipeline: pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'other', schema, table: 'orders' } }], [], { connections }), baseDir: dir, connections: pgConnection() });
    expect(undeclared.problems[0]).toMatchObject({ code: 'unknown_connection', nodeId: 'src' });
  });

  it('a value that fails on the server while rows stream is a failed run (not an invalid pipeline) naming node, column and row', async () => {
    // Row 30,000 of 40,000 holds text that does not convert to int: the server fails mid-stream.
    const query = (bound: boolean) =>
      `SELECT g AS id, g * 2 AS twice, CASE WHEN g = 30000 THEN 'x' ELSE g::text END::int AS v FROM generate_series(1, 40000) g${bound ? ' WHERE g > $1' : ''}`;
    const doc = (bound: boolean) =>
      pipeline(
        [
          { id: 'src', type: 'source.postgres', params: { connection: 'db', query: query(bound), ...(bound ? { query_params: [0] } : {}) } },
          { id: 'out', type: 'sink.csv', params: { path: `streamed-${bound}.csv` } },
        ],
        ['src -> out'],
        { connections },
      );
    const copy = await runPipeline({ pipeline: doc(false), baseDir: dir, connections: pgConnection() });
    expect(copy.status).toBe('failed');
    expect(copy.error).toMatchObject({ kind: 'execution', nodeId: 'src', column: 'v' });
    // COPY's rows travel in the server's send buffer, so the row is given as a lower bound.
    const [, after] = /^node 'src' \(connection 'db'\): column 'v', a row after the first ([\d,]+) of the result: invalid input syntax for type integer: "x"$/.exec(copy.error!.message) ?? [];
    expect(Number(after?.replaceAll(',', ''))).toBeGreaterThan(20_000);
    expect(Number(after?.replaceAll(',', ''))).toBeLessThan(30_000);
    expect(copy.error!.hint).toMatch(/a value does not fit its type/);
    // A cursor (bound values) fails a whole batch: the row is given as a range.
    const cursor = await runPipeline({ pipeline: doc(true), baseDir: dir, connections: pgConnection() });
    expect(cursor.error).toMatchObject({ kind: 'execution', nodeId: 'src', column: 'v' });
    expect(cursor.error!.message).toMatch(/column 'v', one of rows 20,001–30,000 of the result: invalid input syntax/);
  });

  it('fills pipeline params into filter values, list items too, as the Spark form does', async () => {
    await q(`CREATE TABLE IF NOT EXISTS param_orders (id int, status text)`);
    await q(`INSERT INTO param_orders VALUES (1, 'open'), (2, 'shipped'), (3, 'lost'), (4, 'shipped')`);
    const doc = pipeline(
      [
        {
          id: 'src',
          type: 'source.postgres',
          params: { connection: 'db', schema, table: 'param_orders', filters: [{ column: 'status', op: 'in', value: ['${wanted}', 'lost'] }, { column: 'id', op: '>=', value: '${from}' }] },
        },
        { id: 'out', type: 'sink.json', params: { path: 'param-filters.json', format: 'array' } },
      ],
      ['src -> out'],
      { connections, params: { wanted: { type: 'string', default: 'shipped' }, from: { type: 'number', default: 3 } } },
    );
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    expect(s.error).toBeUndefined();
    const rows = JSON.parse(await readFile(path.join(dir, 'param-filters.json'), 'utf8')) as Array<{ id: number }>;
    expect(rows.sort((a, b) => a.id - b.id)).toEqual([{ id: 3, status: 'lost' }, { id: 4, status: 'shipped' }]);
  });

  it('a table with two columns one name apart in case is refused naming both, with how to read it', async () => {
    await q(`CREATE TABLE cased ("Col" int, col int)`);
    const doc = pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'cased' } }], [], { connections });
    const { problems } = await inspect({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    expect(problems).toEqual([
      expect.objectContaining({
        message: `node 'src': table "${schema}"."cased" has columns 'Col' and 'col', one name for DuckDB, which compares names ignoring case`,
        hint: expect.stringContaining('list the columns to read in Columns with only one of them'),
      }),
    ]);
  });

  it('a division by zero on the server while rows stream says so, with NULLIF as the way out', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', query: 'SELECT g AS id, 100 / (g - 3) AS ratio FROM generate_series(1, 5) g' } },
        { id: 'out', type: 'sink.csv', params: { path: 'divided.csv' } },
      ],
      ['src -> out'],
      { connections },
    );
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    expect(s.error).toMatchObject({ kind: 'execution', nodeId: 'src', column: 'ratio' });
    expect(s.error!.message).toContain('division by zero');
    expect(s.error!.hint).toContain('NULLIF(divisor, 0)');
  });

  it('a value DuckDB cannot hold names the source column, not a position in the transfer file', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', query: "SELECT g AS id, CASE WHEN g = 3 THEN 'NaN'::numeric(10,2) ELSE g::numeric(10,2) END AS amount FROM generate_series(1, 5) g" } },
        { id: 'out', type: 'sink.csv', params: { path: 'nan.csv' } },
      ],
      ['src -> out'],
      { connections },
    );
    const s = await runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    expect(s.error).toMatchObject({ kind: 'execution', nodeId: 'src', column: 'amount' });
    expect(s.error!.message).toMatch(/Could not convert string "NaN" to 'DECIMAL'/);
  });

  it('numeric without a precision reads as DOUBLE where no digit is lost, and stops the read where one would be', async () => {
    const read = async (values: string) => {
      const doc = pipeline(
        [
          { id: 'src', type: 'source.postgres', params: { connection: 'db', query: `SELECT * FROM (VALUES ${values}) t(id, v)` } },
          { id: 'out', type: 'sink.csv', params: { path: 'unconstrained.csv', if_exists: 'overwrite' } },
        ],
        ['src -> out'],
        { connections },
      );
      return runPipeline({ pipeline: doc, baseDir: dir, connections: pgConnection() });
    };
    const exact = await read("(1, 12.34::numeric), (2, 0.1), (3, 123456789012345), (4, -0.000000000000000001), (5, 1000000000000000000000), (6, 'NaN'), (7, NULL)");
    expect(exact.error).toBeUndefined();
    expect(await readFile(path.join(dir, 'unconstrained.csv'), 'utf8')).toBe('id,v\n1,12.34\n2,0.1\n3,123456789012345.0\n4,-1e-18\n5,1e+21\n6,nan\n7,\n');
    // DuckDB's DOUBLE would keep 1234567890.1234567.
    const lossy = await read('(1, 12.34::numeric), (2, 1234567890.123456789)');
    expect(lossy.error).toMatchObject({ nodeId: 'src', column: 'v' });
    expect(lossy.error!.message).toContain(`column "v": numeric without a declared precision is read as DOUBLE, which keeps 15 significant digits, but '1234567890.123456789' has more: cast it in a query to keep them, e.g. v::numeric(38,10)`);
  });

  it('numeric arrays keep every digit: numeric(p,s)[] as DECIMAL lists, numeric[] as DOUBLE lists refusing more digits than a DOUBLE keeps', async () => {
    await q(`CREATE TABLE num_arrays (id int, exact numeric(20,2)[], loose numeric[])`);
    await q(`INSERT INTO num_arrays VALUES (1, ARRAY[12345678901234567.89, NULL, 0.10], ARRAY[12.34, 0.1, NULL])`);
    const read = () =>
      runPipeline({
        pipeline: pipeline(
          [
            { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'num_arrays' } },
            { id: 'out', type: 'sink.json', params: { path: 'num_arrays.jsonl', if_exists: 'overwrite' } },
          ],
          ['src -> out'],
          { connections },
        ),
        baseDir: dir,
        connections: pgConnection(),
      });
    const ok = await read();
    expect(ok.error).toBeUndefined();
    // Through a JSON number DuckDB gave 12345678901234567.68, and DOUBLE lists for both columns.
    // (Compared as text: a JavaScript number cannot tell .89 from .68 at this size.)
    expect(await readFile(path.join(dir, 'num_arrays.jsonl'), 'utf8')).toBe('{"id":1,"exact":[12345678901234567.89,null,0.10],"loose":[12.34,0.1,null]}\n');
    const shape = await inspect({ pipeline: pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'num_arrays' } }], [], { connections }), baseDir: dir, connections: pgConnection() });
    expect(shape.nodes[0]!.outputs[0]!.columns.map((c) => c.type)).toEqual(['INTEGER', 'DECIMAL(20,2)[]', 'DOUBLE[]']);
    await q(`INSERT INTO num_arrays VALUES (2, NULL, ARRAY[1234567890.123456789])`);
    const lossy = await read();
    expect(lossy.error!.message).toContain(`numeric without a declared precision is read as DOUBLE, which keeps 15 significant digits, but '1234567890.123456789' has more`);
  });

  it('dates and timestamps before year 1 keep their era (PostgreSQL writes 0044-03-15 BC, which DuckDB read as 44 AD)', async () => {
    await q(`CREATE TABLE eras (id int, d date, ts timestamp, tz timestamptz, days date[], stamps timestamp[])`);
    await q(`INSERT INTO eras VALUES (1, '0044-03-15 BC', '0044-03-15 10:00:00 BC', '0044-03-15 10:00:00+00 BC', '{"0044-03-15 BC",2024-03-15,NULL}', '{"0044-03-15 10:00:00 BC","2024-03-15 10:00:00.5"}'), (2, '2024-03-15', '2024-03-15 10:00:00.123456', '2024-03-15 10:00:00+00', NULL, NULL), (3, '0001-01-01 BC', '-infinity', 'infinity', '{}', '{}'), (4, NULL, NULL, NULL, NULL, NULL)`);
    const s = await runPipeline({
      pipeline: pipeline(
        [
          { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'eras' } },
          { id: 'seconds', type: 'transform.derive', params: { columns: [{ name: 'd_s', expression: 'epoch(d)' }, { name: 'ts_s', expression: 'CASE WHEN isfinite(ts) THEN epoch(ts) END' }, { name: 'tz_s', expression: 'CASE WHEN isfinite(tz) THEN epoch(tz) END' }] } },
          { id: 'out', type: 'sink.json', params: { path: 'eras.jsonl', if_exists: 'overwrite' } },
        ],
        ['src -> seconds', 'seconds -> out'],
        { connections },
      ),
      baseDir: dir,
      connections: pgConnection(),
    });
    expect(s.error).toBeUndefined();
    const read = (await readFile(path.join(dir, 'eras.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const server = await q(`SELECT id, extract(epoch FROM d)::float8 AS d_s, CASE WHEN isfinite(ts) THEN extract(epoch FROM ts)::float8 END AS ts_s, CASE WHEN isfinite(tz) THEN extract(epoch FROM tz)::float8 END AS tz_s FROM eras ORDER BY id`);
    expect(read.map((r) => ({ id: r.id, d_s: r.d_s, ts_s: r.ts_s, tz_s: r.tz_s }))).toEqual(server.map((r) => ({ id: r.id, d_s: r.d_s, ts_s: r.ts_s, tz_s: r.tz_s })));
    expect(read[0]).toMatchObject({ d: '0044-03-15 (BC)', ts: '0044-03-15 (BC) 10:00:00', days: ['0044-03-15 (BC)', '2024-03-15', null], stamps: ['0044-03-15 (BC) 10:00:00', '2024-03-15 10:00:00.5'] });
    expect(read[2]).toMatchObject({ d: '0001-01-01 (BC)', ts: '-infinity', tz: 'infinity' });
  });

  it('never lets a secret out of the engine, even when the server echoes it', async () => {
    const secret = 'S3cr3t-pa55word';
    const conn = pgConnection();
    // Logged in with that very password, so the server's error really carries it.
    Object.assign(conn.db!.config, { user: await pgLoginRole(secret), password: secret });
    const doc = pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', query: `SELECT * FROM "missing_${secret}"` } }], [], { connections });
    const result = await inspect({ pipeline: doc, baseDir: dir, connections: conn });
    const text = JSON.stringify(result);
    expect(text).toContain('missing_***');
    expect(text).not.toContain(secret);
  });

  it('profiles a PostgreSQL source through its declared connection', async () => {
    await q(`CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, status text, amount numeric(10,2), note text)`);
    await q(`CREATE TABLE profiled (id int, amount numeric(10,2))`);
    await q(`INSERT INTO profiled SELECT g, g FROM generate_series(1, 10) g`);
    const doc = pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'profiled' } }], [], { connections });
    const p = await startProfile({ pipeline: doc, baseDir: dir, nodeId: 'src', connections: pgConnection() }).done;
    expect(p.rows).toBe(10);
    expect(p.columns.map((c) => c.name)).toEqual(['id', 'amount']);
  });

  it('previews the first rows and says the preview is sampled', async () => {
    await q(`CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, status text, amount numeric(10,2), note text)`);
    const doc = pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'orders' } }], [], { connections });
    await q(`INSERT INTO orders SELECT g, 'open', 1, '' FROM generate_series(1000, 2500) g`);
    const p = await previewPipeline({ pipeline: doc, baseDir: dir, nodeId: 'src', limit: 10, connections: pgConnection() });
    expect(p.rows.length).toBe(10);
    expect(p.sampled).toBe(true);
    void client;
  });
});
