import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { caudal, startWatching } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { pgSandbox, pgSecretEnv, writePgConnectionsFile } from './support/postgres.js';

/**
 * source.postgres_cdc through logical replication on the test server (wal_level = logical, set by
 * test/services/up.sh): a snapshot then changes, mirrored into another table by an upsert-and-delete
 * sink, with the watch killed half way through a 100k-change workload.
 */
const { schema, q } = await pgSandbox();
const root = await tempDir('caudal-cdc-');
const slots: string[] = [];

afterAll(async () => {
  // A slot left behind would keep WAL on the server for ever.
  for (const s of slots) {
    await q(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, [s]).catch(() => undefined);
    await sleep(200);
    await q(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [s]).catch(() => undefined);
    await q(`DROP PUBLICATION IF EXISTS "${s}"`).catch(() => undefined);
  }
});

async function mirrorProject(name: string, source: string, mirror: string): Promise<{ dir: string; env: NodeJS.ProcessEnv; run: (...a: string[]) => ReturnType<typeof caudal> }> {
  const slot = `caudal_test_${name.replace(/-/g, '_')}_${randomUUID().slice(0, 6)}`;
  slots.push(slot);
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  await writePgConnectionsFile(dir);
  await writeFile(
    path.join(dir, 'pipeline.json'),
    JSON.stringify({
      format: 'caudal.pipeline/1',
      name,
      params: {},
      connections: { db: { type: 'postgres' } },
      nodes: [
        { id: 'changes', type: 'source.postgres_cdc', params: { connection: 'db', schema, table: source, slot, max_rows: 5_000, max_wait_ms: 200 } },
        { id: 'latest', type: 'transform.dedupe', params: { keys: ['id'], keep: 'last', order_by: [{ column: '_seq' }] } },
        {
          id: 'mirror',
          type: 'sink.postgres',
          params: { connection: 'db', schema, table: mirror, mode: 'upsert', keys: ['id'], delete_when: "_op = 'delete'", exclude_columns: ['_op', '_lsn', '_seq', '_commit_time'] },
        },
      ],
      edges: [
        { from: 'changes:out', to: 'latest:in' },
        { from: 'latest:out', to: 'mirror:in' },
      ],
    }),
  );
  const env = { ...pgSecretEnv('db'), CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config') };
  return { dir, env, run: (...a) => caudal(['run', 'pipeline.json', ...a], { cwd: dir, env }) };
}

/** Rows that differ between the source and the mirror, both ways. */
async function differences(source: string, mirror: string): Promise<number> {
  const [r] = await q<{ n: number }>(
    `SELECT ((SELECT count(*) FROM (SELECT * FROM "${source}" EXCEPT SELECT * FROM "${mirror}") a) + (SELECT count(*) FROM (SELECT * FROM "${mirror}" EXCEPT SELECT * FROM "${source}") b))::int AS n`,
  );
  return r!.n;
}

describe('source.postgres_cdc', () => {
  it('starts with a snapshot, then each run mirrors the inserts, updates and deletes since the last', async () => {
    await q(`CREATE TABLE cdc_a (id int PRIMARY KEY, name text, amount numeric(10,2), at timestamptz)`);
    await q(`INSERT INTO cdc_a SELECT g, 'n' || g, g * 1.25, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, 200) g`);
    await q(`CREATE TABLE cdc_a_mirror (id int PRIMARY KEY, name text, amount numeric(10,2), at timestamptz)`);
    const p = await mirrorProject('batch', 'cdc_a', 'cdc_a_mirror');
    // A preview shows current rows and creates neither slot nor publication (of any name: slots of
    // an earlier, killed test run may be there).
    const slotsBefore = await q(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'caudal_test_batch_%' ORDER BY 1`);
    const preview = await caudal(['preview', 'pipeline.json', '--node', 'changes', '--limit', '2', '--json'], { cwd: p.dir, env: p.env });
    expect(preview.code, preview.stderr).toBe(0);
    expect((JSON.parse(preview.stdout) as { rows: Array<{ _op: string }> }).rows.map((r) => r._op)).toEqual(['snapshot', 'snapshot']);
    expect(await q(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'caudal_test_batch_%' ORDER BY 1`)).toEqual(slotsBefore);
    const first = await p.run('-q');
    expect(first.code, first.stderr).toBe(0);
    expect(await differences('cdc_a', 'cdc_a_mirror')).toBe(0);

    await q(`INSERT INTO cdc_a VALUES (1000, 'new', 9.99, timestamptz '2025-06-01 12:34:56.789123+02')`);
    await q(`UPDATE cdc_a SET name = 'renamed', amount = amount + 1 WHERE id <= 10`);
    await q(`DELETE FROM cdc_a WHERE id BETWEEN 50 AND 59`);
    const second = await p.run('-q');
    expect(second.code, second.stderr).toBe(0);
    expect(await differences('cdc_a', 'cdc_a_mirror')).toBe(0);
    expect(await q(`SELECT count(*)::int AS n FROM cdc_a_mirror`)).toEqual([{ n: 191 }]);
    // Exact values, microseconds included.
    expect(await q(`SELECT at = timestamptz '2025-06-01 10:34:56.789123+00' AS same FROM cdc_a_mirror WHERE id = 1000`)).toEqual([{ same: true }]);
    // Nothing new: nothing changes, and the slot stays caught up.
    expect((await p.run('-q')).code).toBe(0);
    expect(await differences('cdc_a', 'cdc_a_mirror')).toBe(0);
  });

  it('"run up to here" on the source consumes nothing: the next full run mirrors every change since the last', async () => {
    await q(`CREATE TABLE cdc_h (id int PRIMARY KEY, name text)`);
    await q(`INSERT INTO cdc_h SELECT g, 'n' || g FROM generate_series(1, 50) g`);
    await q(`CREATE TABLE cdc_h_mirror (id int PRIMARY KEY, name text)`);
    const p = await mirrorProject('up-to-here', 'cdc_h', 'cdc_h_mirror');
    // Before the snapshot was written anywhere, a partial run does not count it as done.
    const beforeSnapshot = await p.run('--node', 'changes', '-q');
    expect(beforeSnapshot.code, beforeSnapshot.stderr).toBe(0);
    expect((await p.run('-q')).code).toBe(0);
    expect(await differences('cdc_h', 'cdc_h_mirror')).toBe(0);
    await q(`UPDATE cdc_h SET name = 'renamed' WHERE id <= 5`);
    await q(`DELETE FROM cdc_h WHERE id > 45`);
    const partial = await p.run('--node', 'changes', '-q');
    expect(partial.code, partial.stderr).toBe(0);
    expect(await q(`SELECT count(*)::int AS n FROM cdc_h_mirror WHERE name = 'renamed'`)).toEqual([{ n: 0 }]);
    const full = await p.run('-q');
    expect(full.code, full.stderr).toBe(0);
    expect(await differences('cdc_h', 'cdc_h_mirror')).toBe(0);
  });

  it('mirrors array columns element for element: quotes, backslashes, NULL, braces inside text; a value that does not fit stops the run', async () => {
    await q(`CREATE TABLE cdc_arr (id int PRIMARY KEY, tags text[], nums int[])`);
    await q(`INSERT INTO cdc_arr VALUES (1, ARRAY['plain'], ARRAY[1])`);
    await q(`CREATE TABLE cdc_arr_mirror (id int PRIMARY KEY, tags text[], nums int[])`);
    const p = await mirrorProject('arrays', 'cdc_arr', 'cdc_arr_mirror');
    expect((await p.run('-q')).code).toBe(0);
    // Elements that PostgreSQL's array text quotes and escapes; '{y}' used to arrive as '[y]'.
    await q(`INSERT INTO cdc_arr VALUES (2, ARRAY['a,b', 'say "hi"', 'back\\slash', NULL, 'NULL', '{y}', '', ' pad '], ARRAY[1, NULL, -3]), (3, ARRAY[]::text[], NULL)`);
    const changes = await p.run('-q');
    expect(changes.code, changes.stderr).toBe(0);
    expect(await differences('cdc_arr', 'cdc_arr_mirror')).toBe(0);
    expect(await q(`SELECT tags[6] AS t FROM cdc_arr_mirror WHERE id = 2`)).toEqual([{ t: '{y}' }]);

    // A two-dimensional value in an int[] column has no list form: the run fails instead of writing NULL.
    await q(`INSERT INTO cdc_arr VALUES (4, NULL, '{{1,2},{3,4}}')`);
    const failed = await p.run('-q');
    expect(failed.code).toBe(1);
    // The failure is the source's value, not PostgreSQL's ("PostgreSQL said" before).
    expect(failed.stderr).toContain("node 'changes' (source.postgres_cdc), column 'nums' failed: Conversion Error");
    expect(failed.stderr).not.toContain('PostgreSQL said');
    expect(await q(`SELECT count(*)::int AS n FROM cdc_arr_mirror`)).toEqual([{ n: 3 }]);
  });

  it('reads numeric without a precision as DOUBLE in changes as in the snapshot: a value with more digits than a DOUBLE keeps stops the run', async () => {
    await q(`CREATE TABLE cdc_num (id int PRIMARY KEY, v numeric)`);
    await q(`INSERT INTO cdc_num VALUES (1, 12.34)`);
    await q(`CREATE TABLE cdc_num_mirror (id int PRIMARY KEY, v double precision)`);
    const p = await mirrorProject('numeric', 'cdc_num', 'cdc_num_mirror');
    expect((await p.run('-q')).code).toBe(0);
    await q(`INSERT INTO cdc_num VALUES (2, 0.1), (3, 123456789012345)`);
    expect((await p.run('-q')).code).toBe(0);
    expect(await q(`SELECT id, v FROM cdc_num_mirror ORDER BY id`)).toEqual([{ id: 1, v: 12.34 }, { id: 2, v: 0.1 }, { id: 3, v: 123456789012345 }]);
    // A DOUBLE would keep 1234567890.1234567.
    await q(`INSERT INTO cdc_num VALUES (4, 1234567890.123456789)`);
    const failed = await p.run('-q');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`'1234567890.123456789' has more: cast it in a query to keep them`);
    expect(await q(`SELECT count(*)::int AS n FROM cdc_num_mirror`)).toEqual([{ n: 3 }]);
  });

  it('mirrors numeric arrays digit for digit in changes as in the snapshot (a JSON number would go through a double)', async () => {
    await q(`CREATE TABLE cdc_numarr (id int PRIMARY KEY, exact numeric(20,2)[], loose numeric[])`);
    await q(`INSERT INTO cdc_numarr VALUES (1, ARRAY[12345678901234567.89], ARRAY[0.1])`);
    await q(`CREATE TABLE cdc_numarr_mirror (id int PRIMARY KEY, exact numeric(20,2)[], loose double precision[])`);
    const p = await mirrorProject('numeric-arrays', 'cdc_numarr', 'cdc_numarr_mirror');
    expect((await p.run('-q')).code).toBe(0);
    await q(`INSERT INTO cdc_numarr VALUES (2, ARRAY[98765432109876543.21, NULL], ARRAY[12.34, NULL])`);
    const changes = await p.run('-q');
    expect(changes.code, changes.stderr).toBe(0);
    expect(await q(`SELECT id, exact::text AS exact, loose::text AS loose FROM cdc_numarr_mirror ORDER BY id`)).toEqual([
      { id: 1, exact: '{12345678901234567.89}', loose: '{0.1}' },
      { id: 2, exact: '{98765432109876543.21,NULL}', loose: '{12.34,NULL}' },
    ]);
    await q(`INSERT INTO cdc_numarr VALUES (3, NULL, ARRAY[1234567890.123456789])`);
    const failed = await p.run('-q');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`'1234567890.123456789' has more: cast it in a query to keep them`);
  });

  it('mirrors dates and timestamps before year 1 with their era, in changes as in the snapshot', async () => {
    await q(`CREATE TABLE cdc_eras (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz, days date[])`);
    await q(`INSERT INTO cdc_eras VALUES (1, '0044-03-15 BC', '0044-03-15 10:00:00 BC', '0044-03-15 10:00:00+00 BC', '{"0044-03-15 BC"}')`);
    await q(`CREATE TABLE cdc_eras_mirror (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz, days date[])`);
    const p = await mirrorProject('eras', 'cdc_eras', 'cdc_eras_mirror');
    expect((await p.run('-q')).code).toBe(0);
    await q(`INSERT INTO cdc_eras VALUES (2, '0001-01-01 BC', '0753-04-21 12:00:00 BC', '2024-03-15 10:00:00+00', '{"0753-04-21 BC",2024-03-15,NULL}')`);
    const changes = await p.run('-q');
    expect(changes.code, changes.stderr).toBe(0);
    const rows = (table: string) => q(`SELECT id, d::text AS d, ts::text AS ts, tz::text AS tz, days::text AS days FROM ${table} ORDER BY id`);
    expect(await rows('cdc_eras_mirror')).toEqual(await rows('cdc_eras'));
    expect((await rows('cdc_eras_mirror'))[1]).toMatchObject({ d: '0001-01-01 BC', ts: '0753-04-21 12:00:00 BC', days: '{"0753-04-21 BC",2024-03-15,NULL}' });
  });

  it('under --watch, follows 100,000 changes while being killed half way; the mirror ends equal to the source', async () => {
    await q(`CREATE TABLE cdc_b (id int PRIMARY KEY, name text, amount numeric(12,2), version int)`);
    await q(`INSERT INTO cdc_b SELECT g, 'n' || g, g, 0 FROM generate_series(1, 5000) g`);
    await q(`CREATE TABLE cdc_b_mirror (id int PRIMARY KEY, name text, amount numeric(12,2), version int)`);
    const p = await mirrorProject('watch', 'cdc_b', 'cdc_b_mirror');
    let watch = startWatching(['run', 'pipeline.json', '--watch'], { cwd: p.dir, env: p.env });
    // The workload: 1,000 transactions of 100 changes each (inserts, updates, deletes).
    const workload = (async () => {
      for (let t = 0; t < 1000; t++) {
        const base = 5000 + t * 40;
        await q(`BEGIN`);
        await q(`INSERT INTO cdc_b SELECT g, 'i' || g, g, 0 FROM generate_series(${base + 1}, ${base + 40}) g`);
        await q(`UPDATE cdc_b SET version = version + 1, amount = amount + 0.5 WHERE id IN (SELECT (${t * 37} + g * 101) % ${base} + 1 FROM generate_series(1, 50) g)`);
        await q(`DELETE FROM cdc_b WHERE id IN (SELECT (${t * 53} + g * 211) % ${base} + 1 FROM generate_series(1, 10) g)`);
        await q(`COMMIT`);
        if (t === 400) {
          // Half way: kill the watch outright and start it again.
          watch.child.kill('SIGKILL');
          await watch.result;
          watch = startWatching(['run', 'pipeline.json', '--watch'], { cwd: p.dir, env: p.env });
        }
      }
    })();
    await workload;
    const deadline = Date.now() + 180_000;
    while ((await differences('cdc_b', 'cdc_b_mirror')) > 0) {
      if (Date.now() > deadline) throw new Error(`the mirror still differs by ${await differences('cdc_b', 'cdc_b_mirror')} rows`);
      await sleep(500);
    }
    await watch.running;
    watch.child.kill('SIGINT');
    expect((await watch.result).code).toBe(130);
    expect(await differences('cdc_b', 'cdc_b_mirror')).toBe(0);
  }, 400_000);
});
