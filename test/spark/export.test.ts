import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeDefinitions } from '../../core/src/nodes/index.js';
import { exportSpark } from '../../core/src/targets/spark/export.js';
import type { SparkStep } from '../../core/src/targets/spark/job.js';
import { pipeline, tempDir } from '../support/pipeline.js';
import { useSparkPython } from './support.js';

/** Export-time behaviour of the Spark target (sqlglot runs; no Spark session is started). */

let dir: string;
beforeAll(async () => {
  useSparkPython();
  dir = await tempDir('caudal-spark-export-');
  await writeFile(path.join(dir, 'orders.csv'), 'order_id,status,amount,day\n1, Shipped ,10.5,2024-01-02\n2,open,3,2024-02-03\n');
});

const csv = { id: 'orders', type: 'source.csv', params: { path: 'orders.csv' } };
const out = { id: 'sink', type: 'sink.parquet', params: { path: 'out/r.parquet', if_exists: 'overwrite' } };
const views = (steps: SparkStep[] | undefined) => (steps ?? []).filter((s): s is Extract<SparkStep, { kind: 'view' }> => s.kind === 'view');

describe('caudal export spark', () => {
  it('every node type declares how it runs on Spark (a form, or why it has none)', () => {
    const missing = nodeDefinitions.filter((d) => !d.spark).map((d) => d.type);
    expect(missing).toEqual([]);
    for (const d of nodeDefinitions) if (d.spark?.kind === 'unsupported') expect(d.spark.reason.length, d.type).toBeGreaterThan(20);
  });

  it("translates DuckDB's * REPLACE and EXCLUDE into explicit columns, keeping the DuckDB spelling of names", async () => {
    const doc = pipeline(
      [csv, { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'STATUS', expression: 'upper(trim(status))' }, { name: 'Month', expression: "strftime(day, '%Y-%m')" }] } }, { id: 'drop', type: 'transform.select', params: { drop: ['amount'] } }, out],
      ['orders -> calc', 'calc -> drop', 'drop -> sink'],
    );
    const { job, problems } = await exportSpark(doc, { baseDir: dir, params: {} });
    expect(problems).toEqual([]);
    const calc = views(job?.steps).find((s) => s.node === 'calc')!;
    expect(calc.sql).not.toMatch(/REPLACE|EXCLUDE/);
    expect(calc.sql).toContain("DATE_FORMAT(");
    expect(calc.columns).toEqual(['order_id', 'status', 'amount', 'day', 'Month']);
    expect(views(job?.steps).find((s) => s.node === 'drop')!.sql).not.toContain('`amount`');
  });

  it('names the node and field of a function Spark does not have', async () => {
    const doc = pipeline(
      [csv, { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'ok', expression: 'lower(status)' }, { name: 'h', expression: "levenshtein(status, 'x') + jaro_winkler_similarity(status, 'y')" }] } }, out],
      ['orders -> calc', 'calc -> sink'],
    );
    const { job, problems } = await exportSpark(doc, { baseDir: dir, params: {} });
    expect(job).toBeUndefined();
    expect(problems).toEqual([
      expect.objectContaining({ code: 'unsupported_on_engine', nodeId: 'calc', path: 'nodes[1].params.columns[1].expression', message: expect.stringContaining('jaro_winkler_similarity()') }),
    ]);
  });

  it("refuses regexp_replace without 'g': DuckDB replaces the first match, Spark every one", async () => {
    const doc = pipeline([csv, { id: 'f', type: 'transform.filter', params: { condition: "regexp_replace(status, 'o', '0') <> ''" } }, out], ['orders -> f', 'f -> sink']);
    const { problems } = await exportSpark(doc, { baseDir: dir, params: {} });
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'f', message: expect.stringContaining("add 'g'") })]);
  });

  it('refuses a regexp_replace replacement that is not a constant, naming the node', async () => {
    const doc = pipeline([csv, { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'r', expression: "regexp_replace(status, 'o', status, 'g')" }] } }, out], ['orders -> calc', 'calc -> sink']);
    const { problems } = await exportSpark(doc, { baseDir: dir, params: {} });
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'calc', message: expect.stringMatching(/^node 'calc': regexp_replace needs a constant replacement/) })]);
  });

  it('refuses first() ordered by a descending key, which min_by cannot order', async () => {
    const doc = pipeline([csv, { id: 'q', type: 'transform.sql', params: { query: 'SELECT first(status ORDER BY amount DESC) AS s FROM orders' } }, out], ['orders -> q', 'q -> sink']);
    const { problems } = await exportSpark(doc, { baseDir: dir, params: {} });
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'q', message: expect.stringContaining('descending key') })]);
  });

  it('refuses parse_dates settings that move between time zones, on their fields, naming the node', async () => {
    const doc = pipeline(
      [
        { id: 'orders', type: 'source.csv', params: { path: 'orders.csv', all_varchar: true } },
        { id: 'tz', type: 'transform.parse_dates', params: { columns: [{ column: 'day', formats: ['%Y-%m-%d'], type: 'TIMESTAMPTZ' }] } },
        { id: 'zoned', type: 'transform.parse_dates', params: { columns: [{ column: 'day', formats: ['%Y-%m-%d'], type: 'TIMESTAMP' }], timezone: 'Europe/Berlin', output_timezone: 'Asia/Kolkata' } },
        { id: 'offset', type: 'transform.parse_dates', params: { columns: [{ column: 'status', formats: ['%Y-%m-%d %H:%M%z'], type: 'TIMESTAMP' }] } },
        out,
        { id: 's2', type: 'sink.parquet', params: { path: 'out/z.parquet', if_exists: 'overwrite' } },
        { id: 's3', type: 'sink.parquet', params: { path: 'out/o.parquet', if_exists: 'overwrite' } },
      ],
      ['orders -> tz', 'tz -> sink', 'orders -> zoned', 'zoned -> s2', 'orders -> offset', 'offset -> s3'],
    );
    const { problems } = await exportSpark(doc, { baseDir: dir, params: {} });
    expect(problems).toEqual([
      expect.objectContaining({ nodeId: 'tz', path: 'nodes[1].params.columns[0].type', message: expect.stringContaining("node 'tz': column 'day': type TIMESTAMPTZ") }),
      expect.objectContaining({ nodeId: 'zoned', path: 'nodes[2].params.output_timezone', message: expect.stringContaining("node 'zoned'") }),
      expect.objectContaining({ nodeId: 'offset', path: 'nodes[3].params.columns[0].formats[0]', message: expect.stringContaining('%z/%Z') }),
    ]);
    expect(problems.map((p) => p.message).join('\n')).not.toContain('timezone()');
  });

  it('says which settings and nodes have no Spark form, on their fields', async () => {
    const doc = pipeline(
      [
        { id: 'orders', type: 'source.csv', params: { path: 'orders.csv', on_error: 'reject' } },
        { id: 'qc', type: 'quality.check', params: { checks: [{ name: 'amount drift', kind: 'distribution', column: 'amount', metric: 'mean' }] } },
        { id: 'db', type: 'sink.duckdb', params: { database: 'w.duckdb', table: 't' } },
      ],
      ['orders -> qc', 'qc -> db'],
    );
    const { problems } = await exportSpark(doc, { baseDir: dir, params: {} });
    expect(problems.map((p) => [p.nodeId, p.path])).toEqual([
      ['orders', 'nodes[0].params.on_error'],
      ['qc', 'nodes[1].params.checks[0].kind'],
      ['db', 'nodes[2]'],
    ]);
    expect(problems[2]!.message).toContain('sink.parquet');
  });

  it('refuses UTF-16 text, detected or stated: Spark\'s CSV reader splits lines on bytes', async () => {
    await writeFile(path.join(dir, 'unicode.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('order_id\tstatus\r\n1\tZoë\r\n', 'utf16le')]));
    for (const params of [{ path: 'unicode.txt' }, { path: 'unicode.txt', encoding: 'utf-16le' }]) {
      const { problems } = await exportSpark(pipeline([{ id: 'orders', type: 'source.csv', params }, out], ['orders -> sink']), { baseDir: dir, params: {} });
      expect(problems, JSON.stringify(params)).toEqual([expect.objectContaining({ nodeId: 'orders', path: 'nodes[0].params.encoding', message: expect.stringContaining('UTF-16 text has no Spark form') })]);
    }
  });

  it('fixes params into the SQL and paths at export time', async () => {
    const doc = pipeline([csv, { id: 'f', type: 'transform.filter', params: { condition: 'amount >= $min' } }, { ...out, params: { path: 'out/${tag}.parquet', if_exists: 'overwrite' } }], ['orders -> f', 'f -> sink'], {
      params: { min: { type: 'number', default: 1 }, tag: { type: 'string', default: 'x' } },
    });
    const { job } = await exportSpark(doc, { baseDir: dir, params: { min: '5', tag: 'june' } });
    expect(views(job?.steps).find((s) => s.node === 'f')!.sql).toContain('>= 5');
    expect(job?.steps.find((s) => s.kind === 'sink')).toMatchObject({ sink: { target: path.join(dir, 'out/june.parquet'), format: 'parquet', singleFile: true } });
    expect(job?.params).toEqual({ min: 5, tag: 'june' });
  });

  it('reads remote files with the columns the node states, and asks for them otherwise', async () => {
    const remote = { id: 'orders', type: 'source.parquet', params: { path: 's3a://lake/orders/*.parquet' } };
    const unknown = await exportSpark(pipeline([remote, out], ['orders -> sink']), { baseDir: dir, params: {} });
    expect(unknown.problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.path', hint: expect.stringContaining('expect_schema') })]);
    const stated = { ...remote, params: { ...remote.params, expect_schema: [{ name: 'order_id', type: 'BIGINT' }, { name: 'amount', type: 'DOUBLE' }] } };
    const { job, problems } = await exportSpark(pipeline([stated, { id: 'f', type: 'transform.filter', params: { condition: 'amount > 1' } }, out], ['orders -> f', 'f -> sink']), { baseDir: dir, params: {} });
    expect(problems).toEqual([]);
    expect(job?.steps[0]).toMatchObject({ kind: 'read', read: { format: 'parquet', paths: ['s3a://lake/orders/*.parquet'] } });
  });

  it("refuses a CSV file that starts with Excel's separator line (sep=;), which Spark's reader would take for the header", async () => {
    await writeFile(path.join(dir, 'excel.csv'), 'sep=;\nid;name\n1;a\n');
    const doc = pipeline([{ id: 'orders', type: 'source.csv', params: { path: 'excel.csv' } }, out], ['orders -> sink']);
    const { job, problems } = await exportSpark(doc, { baseDir: dir, params: {} });
    expect(job).toBeUndefined();
    expect(problems).toEqual([
      expect.objectContaining({ code: 'unsupported_on_engine', nodeId: 'orders', message: expect.stringContaining("the file starts with 1 line(s) before the data, which Spark's CSV reader cannot skip") }),
    ]);
  });

  it('refuses a one-column CSV file with empty lines: rows of NULL on DuckDB, skipped by Spark', async () => {
    await writeFile(path.join(dir, 'one.csv'), 's\na\n\nb\n');
    await writeFile(path.join(dir, 'one-ok.csv'), 's\na\nb\n');
    const doc = (file: string) => pipeline([{ id: 'orders', type: 'source.csv', params: { path: file, all_varchar: true } }, out], ['orders -> sink']);
    const { job, problems } = await exportSpark(doc('one.csv'), { baseDir: dir, params: {} });
    expect(job).toBeUndefined();
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'orders', path: 'nodes[0].params.path', message: expect.stringContaining('an empty line (line 3)') })]);
    expect((await exportSpark(doc('one-ok.csv'), { baseDir: dir, params: {} })).problems).toEqual([]);
  });

  it('refuses, naming the node, what would mean something else on Spark and cannot be translated', async () => {
    const values = { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 'NaN'::DOUBLE, '69-01-01')) t(id, z, txt)" } };
    const cases: Array<[string, string]> = [
      ["try_strptime(txt, '%y-%m-%d')", 'two-digit year'],
      ["try_strptime(txt, '%H:%M')", 'has no year'],
    ];
    for (const [expression, message] of cases) {
      const doc = pipeline([values, { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'x', expression }] } }, out], ['v -> calc', 'calc -> sink']);
      const { problems } = await exportSpark(doc, { baseDir: dir, params: {} });
      expect(problems, expression).toEqual([expect.objectContaining({ code: 'unsupported_on_engine', nodeId: 'calc', message: expect.stringContaining(message) })]);
    }
    const range = pipeline([{ id: 'v', type: 'transform.sql', params: { query: 'SELECT i AS id FROM range(0, 10) t(i)' } }, out], ['v -> sink']);
    expect((await exportSpark(range, { baseDir: dir, params: {} })).problems).toEqual([expect.objectContaining({ nodeId: 'v', message: expect.stringContaining('range()/generate_series() as a table') })]);
  });

  it('translates casts, rounding, list indexes, regular expressions and first/last to what DuckDB means', async () => {
    const values = { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 3.7::DOUBLE, '12.7', [1, 2], 'abc', NULL::VARCHAR)) t(id, half, txt, l, s, k)" } };
    const calc = {
      id: 'calc',
      type: 'transform.derive',
      params: { columns: [{ name: 'a', expression: 'CAST(half AS INTEGER)' }, { name: 'b', expression: 'TRY_CAST(txt AS BIGINT)' }, { name: 'c', expression: 'l[-1]' }, { name: 'd', expression: "regexp_matches(s, '^[[:alpha:]]+$')" }, { name: 'e', expression: 'len(l)' }] },
    };
    const agg = { id: 'agg', type: 'transform.aggregate', params: { group_by: ['id'], aggregations: [{ name: 'f', function: 'first', column: 'k', order_by: 'a' }] } };
    const { job, problems } = await exportSpark(pipeline([values, calc, agg, out], ['v -> calc', 'calc -> agg', 'agg -> sink']), { baseDir: dir, params: {} });
    expect(problems).toEqual([]);
    const derived = views(job?.steps).find((s) => s.node === 'calc')!.sql;
    expect(derived).toContain('CAST(BROUND(');
    expect(derived).toContain('TRY_CAST(ROUND(TRY_CAST(');
    expect(derived).toContain('TRY_ELEMENT_AT(');
    expect(derived).toContain('\\\\p{Alpha}');
    expect(derived).toContain('\\\\z');
    expect(derived).toContain('SIZE(');
    expect(views(job?.steps).find((s) => s.node === 'agg')!.sql).toMatch(/NOT `?\w*`?\.?`k` IS NULL/);
  });
  it('refuses format(), printf() and date parts it cannot write as DuckDB does, naming the function', async () => {
    const values = { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 0.285::DOUBLE, 1.50::DECIMAL(10,2), TIMESTAMP '2024-01-01 10:00:00')) t(id, d, m, ts)" } };
    const cases: Array<[string, string]> = [
      ["printf('%.2f', d)", "printf('%.2f'): only %s and %d translate to Spark"],
      ["printf('%5d', id)", "printf('%5d'): only %s and %d translate to Spark"],
      ["format('{:.2f}', d)", "format('{:.2f}'): only bare {} placeholders translate to Spark"],
      ["format('{}', d)", 'format()/printf() of a value DOUBLE is written differently on Spark'],
      ["format('{}', m)", 'format()/printf() of a value DECIMAL(10, 2) is written differently on Spark'],
      ["printf('%d', d)", 'format()/printf() of a value DOUBLE'],
      ['extract(epoch FROM ts)', "date_part/extract('epoch') has no Spark equivalent"],
    ];
    for (const [expression, message] of cases) {
      const doc = pipeline([values, { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'x', expression }] } }, out], ['v -> calc', 'calc -> sink']);
      const { job, problems } = await exportSpark(doc, { baseDir: dir, params: {} });
      expect(job, expression).toBeUndefined();
      expect(problems, expression).toEqual([expect.objectContaining({ code: 'unsupported_on_engine', nodeId: 'calc', message: expect.stringContaining(message) })]);
    }
  });

  it('translates format() and printf() with bare placeholders, date_diff by boundaries, and division by zero without errors', async () => {
    const values = { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 'a', 0::BIGINT, TIMESTAMP '2024-01-01 10:00:00')) t(id, s, z, ts)" } };
    const calc = {
      id: 'calc',
      type: 'transform.derive',
      params: { columns: [{ name: 'f', expression: "format('{}-{}', s, id)" }, { name: 'p', expression: "printf('%s/%d', s, id)" }, { name: 'h', expression: "date_diff('hour', ts, ts)" }, { name: 'q', expression: 'id / z' }, { name: 'iq', expression: 'id // z' }, { name: 'w', expression: 'isodow(ts)' }] },
    };
    const { job, problems } = await exportSpark(pipeline([values, calc, out], ['v -> calc', 'calc -> sink']), { baseDir: dir, params: {} });
    expect(problems).toEqual([]);
    const sql = views(job?.steps).find((s) => s.node === 'calc')!.sql;
    expect(sql).not.toMatch(/FORMAT_STRING|PRINTF|DATEDIFF\(HOUR/);
    expect(sql).toContain('CONCAT(');
    expect(sql).toContain('NULLIF(');
    expect(sql).toContain('WEEKDAY(');
  });
});
