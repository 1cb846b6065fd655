import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, previewPipeline, runPipeline } from '../core/src/engine/engine.js';
import { getBytes } from '../core/src/connectors/s3/objects.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pyarrowScript } from './support/pyarrow.js';
import { s3Sandbox } from './support/s3.js';

const lake = await s3Sandbox(['lake', 'out']);
const dir = await tempDir();
const env = process.env;
env.CAUDAL_CACHE_DIR = path.join(dir, 'cache');
const connections = { lake: { type: 's3' } };

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  try {
    const c = await db.connect();
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    db.closeSync();
  }
}

/** Parquet bytes of a query (DuckDB writes a local file, read back). */
async function parquetOf(sql: string, rowGroupSize = 122880): Promise<Uint8Array> {
  const file = path.join(dir, `p-${Math.random().toString(36).slice(2)}.parquet`);
  await duck(`COPY (${sql}) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE ${rowGroupSize})`);
  return readFile(file);
}

const readAll = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.s3', params: { connection: 'lake', ...params } }], [], { connections });
const rowsOf = async (params: Record<string, unknown>, limit = 1000) => {
  const p = await previewPipeline({ pipeline: readAll(params), baseDir: dir, nodeId: 'src', connections: lake.connection(), limit });
  return p;
};

describe('source.s3', () => {
  beforeAll(async () => {
    await lake.put('lake', 'sales/country=ES/part-0.csv', 'id,amount\n1,10.5\n2,20\n');
    await lake.put('lake', 'sales/country=FR/part-0.csv', 'id,amount\n3,7\n');
    await lake.put('lake', 'sales/_SUCCESS', '');
    await lake.put('lake', 'events/2025-01/a.jsonl', '{"id":1,"customer":{"city":"Madrid"}}\n{"id":2,"customer":{"city":"Paris"}}\n');
    await lake.put('lake', 'events/2025-02/b.jsonl', '{"id":3,"customer":{"city":"Roma"}}\n');
    await lake.put('lake', 'events/2024-12/c.jsonl', '{"id":0,"customer":{"city":"Old"}}\n');
    await lake.put('lake', 'big/orders.parquet', await parquetOf(`SELECT range AS id, range * 2 AS twice, 'n' || range AS name FROM range(300000)`, 50_000));
  });

  it('reads every object under a prefix as one table, partitions as columns, _SUCCESS skipped, s3:// file names', async () => {
    const d = pipeline(
      [
        { id: 'src', type: 'source.s3', params: { connection: 'lake', url: 's3://lake/sales/', csv: { filename_column: 'object' } } },
        { id: 'dst', type: 'sink.json', params: { path: path.join(dir, 'sales.json'), format: 'array' } },
      ],
      ['src -> dst'],
      { connections },
    );
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: lake.connection() });
    expect(s.error).toBeUndefined();
    const rows = JSON.parse(await readFile(path.join(dir, 'sales.json'), 'utf8')) as Array<Record<string, unknown>>;
    expect(rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1, amount: 10.5, object: 's3://lake/sales/country=ES/part-0.csv', country: 'ES' },
      { id: 2, amount: 20, object: 's3://lake/sales/country=ES/part-0.csv', country: 'ES' },
      { id: 3, amount: 7, object: 's3://lake/sales/country=FR/part-0.csv', country: 'FR' },
    ]);
  });

  it('a CSV object that is not UTF-8 (UTF-16, Windows-1252) is refused with what to do about an object', async () => {
    await lake.put('lake', 'encodings/unicode.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id\tname\r\n1\tZoë\r\n', 'utf16le')]));
    await lake.put('lake', 'encodings/excel.csv', Buffer.from([...Buffer.from('id,name\n1,Zo'), 0xeb, 0x0a]));
    for (const [key, says] of [
      ['encodings/unicode.txt', 's3://lake/encodings/unicode.txt is UTF-16 (little-endian) text'],
      ['encodings/excel.csv', 's3://lake/encodings/excel.csv is not UTF-8 text'],
    ]) {
      const { problems } = await inspect({ pipeline: readAll({ url: `s3://lake/${key}` }), baseDir: dir, connections: lake.connection() });
      expect(problems, key).toEqual([expect.objectContaining({ path: 'nodes[0].params.csv.encoding' })]);
      expect(problems[0]!.message).toContain(says);
      expect(problems[0]!.hint).toMatch(/^S3 objects are read as UTF-8: convert the objects to UTF-8/);
    }
  });

  it('reads a glob of newline-delimited JSON with the JSON source options (flatten)', async () => {
    const p = await rowsOf({ url: 's3://lake/events/2025-*/*.jsonl', json: { flatten: true } });
    // Previews carry BIGINT as text (exact beyond 2^53).
    expect(p.rows).toEqual([{ id: '1', customer_city: 'Madrid' }, { id: '2', customer_city: 'Paris' }]);
    expect(p.sampled).toBe(true);
    const d = pipeline(
      [
        { id: 'src', type: 'source.s3', params: { connection: 'lake', url: 's3://lake/events/2025-*/*.jsonl', json: { flatten: true } } },
        { id: 'dst', type: 'sink.csv', params: { path: path.join(dir, 'events.csv') } },
      ],
      ['src -> dst'],
      { connections },
    );
    expect((await runPipeline({ pipeline: d, baseDir: dir, connections: lake.connection() })).outputs[0]!.rows).toBe(3);
  });

  it('plans a Parquet object from its footer (one range read), previews from its first row group, then reads no bytes again', async () => {
    const objectGets = () => lake.server.log.filter((l) => l.method === 'GET' && l.path.endsWith('/big/orders.parquet'));
    const start = objectGets().length;
    const problems = (await inspect({ pipeline: readAll({ url: 's3://lake/big/orders.parquet' }), baseDir: dir, connections: lake.connection() })).problems;
    expect(problems).toEqual([]);
    const planning = objectGets().slice(start);
    expect(planning).toHaveLength(1);
    expect(planning[0]!.range).toMatch(/^bytes=\d+-\d+$/);

    const p = await rowsOf({ url: 's3://lake/big/orders.parquet' }, 5);
    expect(p.rows).toEqual([0, 1, 2, 3, 4].map((i) => ({ id: String(i), twice: String(i * 2), name: `n${i}` })));
    expect(p.sampled).toBe(true);
    const previewing = objectGets().slice(start + planning.length);
    expect(previewing, JSON.stringify(previewing)).toHaveLength(1);
    expect(previewing[0]!.range).toMatch(/^bytes=0-\d+$/);

    const before = objectGets().length;
    await rowsOf({ url: 's3://lake/big/orders.parquet' }, 5);
    await inspect({ pipeline: readAll({ url: 's3://lake/big/orders.parquet' }), baseDir: dir, connections: lake.connection() });
    expect(objectGets()).toHaveLength(before);

    // A new version (new ETag) is read again.
    await lake.put('lake', 'big/orders.parquet', await parquetOf(`SELECT range AS id, range * 3 AS twice, 'm' || range AS name FROM range(10)`));
    expect((await rowsOf({ url: 's3://lake/big/orders.parquet' }, 1)).rows).toEqual([{ id: '0', twice: '0', name: 'm0' }]);
  });

  it('refuses a Parquet DECIMAL wider than 38 digits in an object, which DuckDB would read as wrong numbers', async () => {
    const file = path.join(dir, 'wide.parquet');
    await pyarrowScript(`pq.write_table(pa.table({'amount': pa.array([decimal.Decimal('12.34')], type=pa.decimal256(40, 2))}), ${JSON.stringify(file)})`);
    await lake.put('lake', 'wide/a.parquet', await parquetOf(`SELECT 1.5::DOUBLE AS amount`));
    await lake.put('lake', 'wide/b.parquet', await readFile(file));
    const problems = (await inspect({ pipeline: readAll({ url: 's3://lake/wide/b.parquet' }), baseDir: dir, connections: lake.connection() })).problems;
    expect(problems[0]).toMatchObject({ column: 'amount', message: expect.stringContaining("column 'amount' of s3://lake/wide/b.parquet is a DECIMAL(40,2), wider than the 38 digits DuckDB reads") });
  });

  describe('objects after the first, which planning does not see, are held to it before anything is read', () => {
    /** Runs source.s3 over `url` into a JSON file; the run's error message, or '' with the rows written. */
    const readInto = async (name: string, params: Record<string, unknown>) => {
      const out = path.join(dir, `${name}.json`);
      const d = pipeline([{ id: 'src', type: 'source.s3', params: { connection: 'lake', ...params } }, { id: 'dst', type: 'sink.json', params: { path: out } }], ['src -> dst'], { connections });
      const s = await runPipeline({ pipeline: d, baseDir: dir, connections: lake.connection() });
      return { error: s.error?.message ?? '', written: await readFile(out, 'utf8').catch(() => undefined) };
    };

    it('Parquet: a later object whose column has another type stops the run (1.5 would be read as the first one\'s BIGINT 2)', async () => {
      await lake.put('lake', 'typed/a.parquet', await parquetOf(`SELECT 9007199254740993::BIGINT AS x`));
      await lake.put('lake', 'typed/b.parquet', await parquetOf(`SELECT 1.5::DOUBLE AS x`));
      const r = await readInto('typed', { url: 's3://lake/typed/' });
      expect(r.error).toContain("node 'src': column 'x' is DOUBLE in s3://lake/typed/b.parquet but BIGINT in s3://lake/typed/a.parquet, the first file, whose types every file is read with");
      expect(r.written).toBeUndefined();
    });

    it('Parquet combined by name: a value the combined type would change stops the run', async () => {
      await lake.put('lake', 'widened/a.parquet', await parquetOf(`SELECT 9007199254740993::BIGINT AS x`));
      await lake.put('lake', 'widened/b.parquet', await parquetOf(`SELECT 1.5::DOUBLE AS x`));
      const r = await readInto('widened', { url: 's3://lake/widened/', parquet: { union_by_name: true } });
      expect(r.error).toContain('column "x" holds 9007199254740993 (BIGINT in s3://lake/widened/a.parquet), which the DOUBLE type the files are combined into cannot hold exactly');
      expect(r.written).toBeUndefined();
    });

    it('CSV: a later object whose header has the columns in another order stops the run (its values would be swapped)', async () => {
      await lake.put('lake', 'people/a.csv', 'first,last\nAda,Lovelace\n');
      await lake.put('lake', 'people/b.csv', 'last,first\nHopper,Grace\n');
      const r = await readInto('people', { url: 's3://lake/people/' });
      expect(r.error).toContain("node 'src': s3://lake/people/b.csv does not have the columns of s3://lake/people/a.csv (first, last): its header is last, first");
      expect(r.written).toBeUndefined();
      await lake.put('lake', 'people/b.csv', 'first,last\nGrace,Hopper\n');
      expect((await readInto('people', { url: 's3://lake/people/' })).written).toBe('{"first":"Ada","last":"Lovelace"}\n{"first":"Grace","last":"Hopper"}\n');
    });

    it("a value a later object's column does not convert is named by its object, not the local copy", async () => {
      await lake.put('lake', 'counts/a.csv', 'id\n1\n');
      await lake.put('lake', 'counts/b.csv', 'id\n2.5\n');
      expect((await readInto('counts', { url: 's3://lake/counts/' })).error).toContain(`column "id" of s3://lake/counts/b.csv: '2.5' is not a whole number of type BIGINT`);
    });
  });

  it('reads objects saved by Windows tools as their records: a JSON array behind a byte-order mark, a CSV behind Excel\'s sep=; line', async () => {
    await lake.put('lake', 'windows/people.json', '\uFEFF' + JSON.stringify([{ id: 1, name: 'José' }, { id: 2, name: 'Zoë' }], null, 2));
    await lake.put('lake', 'windows/people.csv', 'sep=;\r\nid;name\r\n1;José\r\n2;Zoë\r\n');
    for (const url of ['s3://lake/windows/people.json', 's3://lake/windows/people.csv']) {
      const p = await rowsOf({ url });
      expect(p.rows, url).toEqual([
        { id: '1', name: 'José' },
        { id: '2', name: 'Zoë' },
      ]);
    }
  });

  it('reads the records held in a list inside each JSON object (records_path), as the JSON file source does', async () => {
    await lake.put('lake', 'dumps/p1.json', JSON.stringify({ meta: { page: 1 }, data: [{ id: 1, name: 'José' }, { id: 2, name: 'Zoë' }] }));
    const p = await rowsOf({ url: 's3://lake/dumps/p1.json', json: { records_path: 'data' } });
    expect(p.rows).toEqual([
      { id: '1', name: 'José' },
      { id: '2', name: 'Zoë' },
    ]);
  });

  it('says when nothing matches, before the run', async () => {
    const problems = (await inspect({ pipeline: readAll({ url: 's3://lake/nothing/*.csv' }), baseDir: dir, connections: lake.connection() })).problems;
    expect(problems[0]).toMatchObject({ code: 'io_error', path: 'nodes[0].params.url', message: "node 'src': no object matches s3://lake/nothing/*.csv" });
    const bucket = (await inspect({ pipeline: readAll({ url: 's3://no-such-bucket/x.csv' }), baseDir: dir, connections: lake.connection() })).problems;
    expect(bucket[0]!.message).toMatch(/NoSuchBucket/);
    expect(bucket[0]!.hint).toMatch(/bucket name/);
  });
});

describe('sink.s3', () => {
  const write = (url: string, params: Record<string, unknown> = {}, query = `SELECT range::INT AS id, ['ES','FR','PT'][range % 3 + 1] AS country FROM range(1, 11)`) =>
    pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query } },
        { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url, ...params } },
      ],
      ['src -> dst'],
      { connections },
    );
  const run = (d: ReturnType<typeof write>) => runPipeline({ pipeline: d, baseDir: dir, connections: lake.connection() });
  const readBack = async (key: string) => {
    const file = path.join(dir, `back-${Math.random().toString(36).slice(2)}${path.extname(key)}`);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, await getBytes(lake.client, 'out', key));
    return file;
  };

  it('writes one Parquet object; the staging prefix is gone afterwards', async () => {
    const s = await run(write('s3://out/exports/orders.parquet'));
    expect(s.error).toBeUndefined();
    expect(s.outputs[0]).toMatchObject({ rows: 10, target: 's3://out/exports/orders.parquet' });
    expect(await lake.keys('out')).toEqual(['exports/orders.parquet']);
    expect((await duck(`SELECT count(*) AS n, sum(id) AS s FROM '${await readBack('exports/orders.parquet')}'`))[0]).toEqual({ n: '10', s: '55' });
  });

  it('if_exists fail stops before reading; overwrite replaces', async () => {
    const again = await run(write('s3://out/exports/orders.parquet'));
    expect(again.error?.problems?.[0]).toMatchObject({ code: 'destination_exists', message: "node 'dst': s3://out/exports/orders.parquet already exists" });
    const over = await run(write('s3://out/exports/orders.parquet', { if_exists: 'overwrite' }, 'SELECT 7 AS id'));
    expect(over.error).toBeUndefined();
    expect(await duck(`SELECT id FROM '${await readBack('exports/orders.parquet')}'`)).toEqual([{ id: 7 }]);
  });

  it('CSV and JSON with the file sinks\' options', async () => {
    await run(write('s3://out/exports/orders.csv', { csv: { delimiter: ';' } }, 'SELECT 1 AS id, \'a;b\' AS s'));
    expect((await getBytes(lake.client, 'out', 'exports/orders.csv')).toString()).toBe('id;s\n1;"a;b"\n');
    await run(write('s3://out/exports/orders.jsonl', {}, 'SELECT 1 AS id'));
    expect((await getBytes(lake.client, 'out', 'exports/orders.jsonl')).toString()).toBe('{"id":1}\n');
  });

  it('partitioned overwrite replaces the whole prefix: partitions without rows disappear; source.s3 reads it back', async () => {
    expect((await run(write('s3://out/lake/orders/', { partition_by: ['country'] }))).error).toBeUndefined();
    expect((await lake.keys('out', 'lake/orders/')).map((k) => k.replace(/data_\d+/, 'data'))).toEqual(['lake/orders/country=ES/data.parquet', 'lake/orders/country=FR/data.parquet', 'lake/orders/country=PT/data.parquet']);
    await run(write('s3://out/lake/orders/', { partition_by: ['country'], if_exists: 'overwrite' }, `SELECT 100 AS id, 'ES' AS country`));
    expect((await lake.keys('out', 'lake/orders/')).map((k) => k.replace(/data_\d+/, 'data'))).toEqual(['lake/orders/country=ES/data.parquet']);
    const back = await previewPipeline({ pipeline: pipeline([{ id: 'src', type: 'source.s3', params: { connection: 'lake', url: 's3://out/lake/orders/' } }], [], { connections }), baseDir: dir, nodeId: 'src', connections: lake.connection() });
    expect(back.rows).toEqual([{ id: 100, country: 'ES' }]);
    expect(await lake.keys('out', '.caudal-staging/')).toEqual([]);
  });

  it('refuses a partition column listed twice (in any letter case) before the run, as the Parquet sink does', async () => {
    const { problems } = await inspect({ pipeline: write('s3://out/lake/twice/', { partition_by: ['country', 'Country'] }), baseDir: dir, connections: lake.connection() });
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[1].params.partition_by[1]', message: "node 'dst' (sink.s3): column 'Country' is listed twice in partition_by" })]);
  });

  it('checks the CSV options as the CSV sink does, and points at them under csv: a line break as the delimiter, a date pattern DuckDB cannot write', async () => {
    const pathsOf = async (csv: object) => (await inspect({ pipeline: write('s3://out/exports/bad.csv', { csv }), baseDir: dir, connections: lake.connection() })).problems.map((p) => p.path);
    expect(await pathsOf({ delimiter: '\n' })).toEqual(['nodes[1].params.csv.delimiter']);
    expect(await pathsOf({ date_format: '%d/%m/%Q' })).toEqual(['nodes[1].params.csv.date_format']);
    expect(await lake.keys('out', 'exports/bad')).toEqual([]);
  });

  it("a text partition value 'NULL' stops the run before anything is uploaded; the prefix is as it was", async () => {
    const before = await lake.keys('out', 'lake/orders/');
    const s = await run(write('s3://out/lake/orders/', { partition_by: ['country'], if_exists: 'overwrite' }, `SELECT * FROM (VALUES (1, 'ES'), (2, 'NULL')) t(id, country)`));
    expect(s.status).toBe('failed');
    expect(s.error!.message).toContain(`partition column "country" holds the text 'NULL'`);
    expect(await lake.keys('out', 'lake/orders/')).toEqual(before);
    expect(await lake.keys('out', '.caudal-staging/')).toEqual([]);
  });

  it('an upload that fails while DuckDB streams into it fails the run (no hang) and names the bucket', async () => {
    const s = await run(write('s3://no-such-bucket/x.parquet'));
    expect(s.status).toBe('failed');
    expect(s.error!.message).toMatch(/NoSuchBucket/);
  });

  it('a run that fails after the S3 sink staged leaves no new object at the target and no staging', async () => {
    const d = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1 AS id' } },
        { id: 'bad', type: 'transform.sql', params: { query: "SELECT CAST('x' AS INTEGER) AS id" } },
        { id: 'dst', type: 'sink.s3', params: { connection: 'lake', url: 's3://out/failed/orders.parquet' } },
        { id: 'zz', type: 'sink.csv', params: { path: path.join(dir, 'never.csv') } },
      ],
      ['src -> dst', 'bad -> zz'],
      { connections },
    );
    const s = await runPipeline({ pipeline: d, baseDir: dir, connections: lake.connection() });
    expect(s.status).toBe('failed');
    expect(await lake.keys('out', 'failed/')).toEqual([]);
    expect(await lake.keys('out', '.caudal-staging/')).toEqual([]);
  });
});
