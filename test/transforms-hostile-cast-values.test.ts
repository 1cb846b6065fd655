import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, problemsOf, run, tempDir } from './support/pipeline.js';

/**
 * Values the conversion nodes used to change without a word when text arrives from another source
 * (a JSON document, a VARCHAR column of a database): each is now refused with a reason naming the
 * column and the value, or reported before the run.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-cast-');
});

const textRows = (values: string[]) => `SELECT * FROM (VALUES ${values.map((v, i) => `(${i}, '${v.replaceAll("'", "''")}')`).join(', ')}) t(id, v)`;

const over = (node: { type: string; params: Record<string, unknown> }, query: string) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'n', ...node },
    ],
    ['src -> n'],
  );

/** The converted values of `out` and the reasons of `rejects`, by input value. */
async function split(node: { type: string; params: Record<string, unknown> }, values: string[]) {
  const doc = over(node, textRows(values));
  const out = await preview(doc, dir, 'n');
  const rejects = await preview(doc, dir, 'n', { port: 'rejects' });
  return {
    out: Object.fromEntries(out.rows.map((r) => [values[Number(r.id)]!, r.v])),
    rejects: Object.fromEntries(rejects.rows.map((r) => [values[Number(r.id)]!, r._caudal_reason])),
  };
}

/** A run that writes the node's output, and its summary. */
async function runOf(node: { type: string; params: Record<string, unknown> }, values: string[]) {
  const doc = over(node, textRows(values));
  return (await run(pipeline([...doc.nodes, { id: 'sink', type: 'sink.csv', params: { path: 'out.csv', if_exists: 'overwrite' } }], ['src -> n', 'n -> sink']), dir)).summary;
}

describe('transform.cast: fractional digits of a second the type would cut', () => {
  const cast = (type: string) => ({ type: 'transform.cast', params: { columns: [{ column: 'v', type }], on_error: 'reject' } });

  it('TIMESTAMPTZ keeps six digits: a seventh non-zero one is refused, as for TIMESTAMP', async () => {
    const r = await split(cast('TIMESTAMPTZ'), ['2024-02-03 10:00:00.1234567+00', '2024-02-03 10:00:00.123456+02', '2024-02-03 10:00:00.1234560+00', '2024-02-03 10:00:00']);
    expect(r.rejects).toEqual({
      '2024-02-03 10:00:00.1234567+00': "column v: '2024-02-03 10:00:00.1234567+00' has more fractional digits of a second than TIMESTAMPTZ keeps (6): convert to VARCHAR to keep them",
    });
    expect(Object.keys(r.out).sort()).toEqual(['2024-02-03 10:00:00', '2024-02-03 10:00:00.123456+02', '2024-02-03 10:00:00.1234560+00']);
  });

  it('TIMESTAMP_NS keeps nine digits: a tenth non-zero one is refused', async () => {
    const r = await split(cast('TIMESTAMP_NS'), ['2024-02-03 10:00:00.1234567891', '2024-02-03 10:00:00.1234567890', '2024-02-03 10:00:00.123456789']);
    expect(r.rejects).toEqual({
      '2024-02-03 10:00:00.1234567891': "column v: '2024-02-03 10:00:00.1234567891' has more fractional digits of a second than TIMESTAMP_NS keeps (9): list the column as VARCHAR to keep them",
    });
    expect(r.out).toEqual({ '2024-02-03 10:00:00.1234567890': '2024-02-03 10:00:00.123456789', '2024-02-03 10:00:00.123456789': '2024-02-03 10:00:00.123456789' });
  });

  it('on_error "fail" stops the run naming the column and the value', async () => {
    const summary = await runOf({ type: 'transform.cast', params: { columns: [{ column: 'v', type: 'TIMESTAMPTZ' }] } }, ['2024-02-03 10:00:00.1234567+00']);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("column \"v\": '2024-02-03 10:00:00.1234567+00' has more fractional digits of a second than TIMESTAMPTZ keeps (6)");
  });
});

describe('transform.parse_dates: dates strptime makes up', () => {
  const parse = (formats: string[], type = 'DATE', extra: Record<string, unknown> = {}) => ({
    type: 'transform.parse_dates',
    params: { columns: [{ column: 'v', formats, type }], on_error: 'reject', ...extra },
  });

  it('refuses before the run a format without a year, which strptime would give the year 1900', async () => {
    const problems = await problemsOf(over(parse(['%Y-%m-%d', '%d/%m']), textRows(['31/01'])), dir);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'nodes[1].params.columns[0].formats[1]',
        message: "node 'n': format '%d/%m' of column 'v' has no year (%Y, %y or %G): strptime would date every value it reads in the year 1900",
      }),
    ]);
    const time = await problemsOf(over(parse(['%H:%M:%S'], 'TIMESTAMP'), textRows(['10:00:00'])), dir);
    expect(time.map((p) => p.path)).toEqual(['nodes[1].params.columns[0].formats[0]']);
    // A year written any of the ways strptime reads one is fine, as is a literal '%%Y' alongside one.
    for (const f of ['%y/%m/%d', '%-y %m', '%G', '100%% %Y-%m-%d']) expect(await problemsOf(over(parse([f]), textRows(['x'])), dir)).toEqual([]);
    expect((await problemsOf(over(parse(['%%Y %m-%d']), textRows(['x'])), dir)).map((p) => p.path)).toEqual(['nodes[1].params.columns[0].formats[0]']);
  });

  it('refuses day 366 of a year that has 365 (strptime reads it as 1 January of the next year)', async () => {
    const r = await split(parse(['%Y-%j']), ['2025-366', '2024-366', '2026-001', '2026-1', '1900-366', '2000-366']);
    expect(r.rejects).toEqual({
      '2025-366': "column v: '2025-366' matches none of the formats %Y-%j",
      '1900-366': "column v: '1900-366' matches none of the formats %Y-%j",
    });
    expect(r.out).toEqual({ '2024-366': '2024-12-31', '2026-001': '2026-01-01', '2026-1': '2026-01-01', '2000-366': '2000-12-31' });
  });

  it('refuses day 366 in a list of formats, with times and with an offset', async () => {
    const listed = await split(parse(['%d/%m/%Y', '%Y-%j %H:%M'], 'TIMESTAMP'), ['2025-366 23:30', '2024-366 23:30', '31/12/2025']);
    expect(Object.keys(listed.rejects)).toEqual(['2025-366 23:30']);
    expect(listed.out).toEqual({ '2024-366 23:30': '2024-12-31 23:30:00', '31/12/2025': '2025-12-31 00:00:00' });
    const aware = await split(parse(['%Y-%j %H:%M %z'], 'TIMESTAMP'), ['2025-366 01:00 +05', '2024-366 01:00 +05', '2025-365 23:00 -08']);
    expect(Object.keys(aware.rejects)).toEqual(['2025-366 01:00 +05']);
    expect(aware.out).toEqual({ '2024-366 01:00 +05': '2024-12-30 20:00:00', '2025-365 23:00 -08': '2026-01-01 07:00:00' });
  });

  it('refuses a UTC offset no clock shows, which %z reads as hours and minutes past their range', async () => {
    const values = ['2025-01-31 10:00:00+05:75', '2025-01-31 10:00:00+25', '2025-01-31 10:00:00-1600', '2025-01-31 10:00:00+05:30', '2025-01-31 10:00:00-12', '2025-01-31 10:00:00+1400', '1890-01-01 00:00:00+00:09:21'];
    const r = await split(parse(['%Y-%m-%d %H:%M:%S%z'], 'TIMESTAMPTZ'), values);
    expect(Object.keys(r.rejects)).toEqual(values.slice(0, 3));
    expect(r.rejects['2025-01-31 10:00:00+25']).toBe("column v: '2025-01-31 10:00:00+25' matches none of the formats %Y-%m-%d %H:%M:%S%z");
    expect(Object.keys(r.out)).toEqual(values.slice(3));
  });

  it('on_error "fail" stops the run at day 366 of a year of 365 days', async () => {
    const summary = await runOf({ type: 'transform.parse_dates', params: { columns: [{ column: 'v', formats: ['%Y-%j'] }] } }, ['2024-366', '2025-366']);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("column \"v\": '2025-366' matches none of the formats %Y-%j");
  });
});

describe('transform.fill_nulls: a fill value the pipeline file cannot hold exactly', () => {
  const ROWS = `SELECT * FROM (VALUES (1, 5::BIGINT, 0.5::DECIMAL(38,20), 0.5::DOUBLE), (2, NULL, NULL, NULL)) t(id, v, d, f)`;
  const fill = (column: string, value: unknown) => ({ type: 'transform.fill_nulls', params: { rules: [{ column, strategy: 'constant', value }] } });
  /** The value as the pipeline file gives it: JSON.parse keeps a double. */
  const fromFile = (json: string) => (JSON.parse(`{"value": ${json}}`) as { value: number }).value;

  it('refuses a JSON number whose digits reading the file may have changed, asking for a string', async () => {
    const big = await problemsOf(over(fill('v', fromFile('9007199254740993')), ROWS), dir);
    expect(big).toEqual([
      expect.objectContaining({
        path: 'nodes[1].params.rules[0].value',
        message: "node 'n': the fill value 9007199254740992 for column 'v' (BIGINT) is a whole number past 2^53 (9007199254740991), which a number in a pipeline file cannot hold exactly: its last digits may already differ from those written",
        hint: 'write the value as a string with the digits you meant, e.g. "9007199254740992"',
      }),
    ]);
    const long = await problemsOf(over(fill('d', fromFile('0.12345678901234567891')), ROWS), dir);
    expect(long.map((p) => p.message)).toEqual([expect.stringContaining("the fill value 0.12345678901234568 for column 'd' (DECIMAL(38,20)) has 17 significant digits")]);
  });

  it('fills the exact number written as a string, numbers up to 2^53 and any number into a DOUBLE', async () => {
    const exact = await preview(over(fill('v', '9007199254740993'), ROWS), dir, 'n');
    expect(exact.rows.map((r) => r.v)).toEqual(['5', '9007199254740993']);
    const safe = await preview(over(fill('v', fromFile('9007199254740991')), ROWS), dir, 'n');
    expect(safe.rows.map((r) => r.v)).toEqual(['5', '9007199254740991']);
    const decimal = await preview(over(fill('d', fromFile('0.123456789012345')), ROWS), dir, 'n');
    expect(decimal.rows.map((r) => r.d)).toEqual(['0.50000000000000000000', '0.12345678901234500000']);
    const double = await preview(over(fill('f', fromFile('0.12345678901234567891')), ROWS), dir, 'n');
    expect(double.rows.map((r) => r.f)).toEqual([0.5, 0.12345678901234568]);
  });
});

describe('typed constants (fill values, lag/lead and lookup defaults) the column type would change', () => {
  const fill = (value: unknown) => ({ type: 'transform.fill_nulls', params: { rules: [{ column: 'v', strategy: 'constant', value }] } });
  const typed = (type: string, sample: string) => `SELECT * FROM (VALUES (1, CAST(${sample} AS ${type})), (2, NULL)) t(id, v)`;
  const problems = async (type: string, sample: string, value: unknown) => problemsOf(over(fill(value), typed(type, sample)), dir);

  it('a number other than 0 or 1 is not a BOOLEAN (DuckDB took 2 for true)', async () => {
    expect((await problems('BOOLEAN', 'true', 2)).map((p) => p.message).join('\n')).toMatch(/'v'/);
    expect(await problems('BOOLEAN', 'true', 1)).toEqual([]);
    expect(await problems('BOOLEAN', 'true', false)).toEqual([]);
  });

  it("a TIMESTAMPTZ fill is read as the cast node reads text: 'epoch' and a seventh digit of a second are refused", async () => {
    expect((await problems('TIMESTAMPTZ', "TIMESTAMPTZ '2024-01-01 00:00:00+00'", 'epoch')).length).toBe(1);
    expect((await problems('TIMESTAMPTZ', "TIMESTAMPTZ '2024-01-01 00:00:00+00'", '2024-02-03 10:00:00.1234567+00')).length).toBe(1);
    expect(await problems('TIMESTAMPTZ', "TIMESTAMPTZ '2024-01-01 00:00:00+00'", '2024-02-03 10:00:00.123456+00')).toEqual([]);
  });
});

describe('transform.cast: a whole number the type cannot hold', () => {
  it("is said to be out of range (it was 'not a whole number')", async () => {
    const r = await split({ type: 'transform.cast', params: { columns: [{ column: 'v', type: 'INTEGER' }], on_error: 'reject' } }, ['2147483648', '12.5', '7']);
    expect(r.out).toEqual({ '7': 7 });
    expect(r.rejects).toEqual({
      '2147483648': "column v: '2147483648' is out of range for INTEGER",
      '12.5': "column v: '12.5' is not a whole number of type INTEGER",
    });
  });
});
