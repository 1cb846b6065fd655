import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { preview, run, tempDir } from '../../../../test/support/pipeline.js';
import { csvSource as csv, csvToCsv as toCsv, writeIn } from '../../../../test/support/csv-source.js';

/**
 * DuckDB's date cast stops at the date and ignores what follows, so its CSV reader turned
 * `2024-03-04 13:45:00` in a DATE column into 2024-03-04 and `2024-03-1x` into 2024-03-01. A
 * detected column is typed from the first 20,480 rows only. The source reads DATE columns
 * strictly: such a value stops the run, or is set aside, with its line.
 */

let dir: string;

const write = (name: string, content: string) => writeIn(dir, name, content);

/** `id,day` rows with ISO dates, past DuckDB's 20,480-row sample, then `late` and a good row. */
function datesThen(rows: number, late: string): string {
  const lines = ['id,day'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},2024-01-${String(1 + (i % 28)).padStart(2, '0')}`);
  lines.push(`${rows + 1},${late}`);
  lines.push(`${rows + 2},2024-12-31`);
  return `${lines.join('\n')}\n`;
}

const listed = [
  { name: 'id', type: 'BIGINT' },
  { name: 'day', type: 'DATE' },
];

beforeAll(async () => {
  dir = await tempDir('caudal-csv-dates-');
  await write('late_time.csv', datesThen(30_000, '2024-03-04 13:45:00'));
});

describe('source.csv: a DATE column holds dates alone', () => {
  it('is detected as DATE from the sample', async () => {
    const r = await preview(csv({ path: 'late_time.csv' }), dir, 'src');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id BIGINT', 'day DATE']);
  });

  it('a timestamp past the sample stops the run with its line and what to do, and writes nothing', async () => {
    const out = path.join(dir, 'out/late.csv');
    const { summary } = await run(toCsv({ path: 'late_time.csv' }, out), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error?.message ?? '';
    expect(message).toContain("column 'day'");
    expect(message).toContain("'2024-03-04 13:45:00' is not a DATE: it has a time; list the column as TIMESTAMP to keep it");
    expect(message).toContain(`line 30002 of ${path.join(dir, 'late_time.csv')}: 30001,2024-03-04 13:45:00`);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });

  it('listed as TIMESTAMP, the same file keeps every time', async () => {
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'day', type: 'TIMESTAMP' },
    ];
    const out = path.join(dir, 'out/stamps.csv');
    const { summary } = await run(toCsv({ path: 'late_time.csv', columns }, out), dir, { metrics: 'exact' });
    expect(summary.error).toBeUndefined();
    const rows = (await readFile(out, 'utf8')).trimEnd().split('\n');
    expect(rows).toHaveLength(1 + 30_002);
    expect(rows.at(-2)).toBe('30001,2024-03-04 13:45:00');
  });

  it('with on_error "reject" sets the row aside with its line; every other row goes on', async () => {
    const out = path.join(dir, 'out/good.csv');
    const bad = path.join(dir, 'out/bad.csv');
    const { summary } = await run(toCsv({ path: 'late_time.csv', on_error: 'reject' }, out, bad), dir, { metrics: 'exact' });
    expect(summary.error).toBeUndefined();
    const good = (await readFile(out, 'utf8')).trimEnd().split('\n');
    expect(good).toHaveLength(1 + 30_001);
    expect(good.at(-1)).toBe('30002,2024-12-31');
    expect(good).not.toContain('30001,2024-03-04');
    const rejected = (await readFile(bad, 'utf8')).trimEnd().split('\n');
    expect(rejected).toHaveLength(2);
    expect(rejected[1]).toContain(`${path.join(dir, 'late_time.csv')},30002,"30001,2024-03-04 13:45:00"`);
  });

  it('in a listed DATE column refuses text after the date (2024-03-1x used to read as March 1st)', async () => {
    await write('junk.csv', 'id,day\n1,2024-03-04\n2,2024-03-1x\n');
    const { summary } = await run(csv({ path: 'junk.csv', columns: listed }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`'2024-03-1x' is not a valid DATE (YYYY-MM-DD) (line 3 of ${path.join(dir, 'junk.csv')}: 2,2024-03-1x)`);
  });

  it('still reads dates written with slashes or dots in a listed DATE column (the format is detected)', async () => {
    await write('slashes.csv', 'id,day\n1,2024/03/04\n2,2024/12/31\n');
    await write('dots.csv', 'id,day\n1,2024.03.04\n2,2024.12.31\n');
    for (const file of ['slashes.csv', 'dots.csv']) {
      const r = await preview(csv({ path: file, columns: listed }), dir, 'src');
      expect(r.rows.map((x) => x.day)).toEqual(['2024-03-04', '2024-12-31']);
    }
  });

  it('still reads ISO dates with one-digit months and days, spaces around them, and NULL for an empty field', async () => {
    await write('loose.csv', 'id,day\n1,2024-1-2\n2, 2024-03-04 \n3,\n');
    const r = await preview(csv({ path: 'loose.csv', columns: listed }), dir, 'src');
    expect(r.rows.map((x) => x.day)).toEqual(['2024-01-02', '2024-03-04', null]);
  });
});

describe('source.csv: infinite dates and timestamps read as infinity', () => {
  // What Write CSV writes for DATE 'infinity' and '-infinity': DuckDB's reader, told the ISO date
  // format, read both as 1900-01-01 without a word.
  const file = 'id,day,at\n1,infinity,infinity\n2,-infinity,-infinity\n3,2024-01-01,2024-01-01 10:00:00\n';
  const typed = [
    { name: 'id', type: 'BIGINT' },
    { name: 'day', type: 'DATE' },
    { name: 'at', type: 'TIMESTAMP' },
  ];

  it('a detected DATE column keeps infinity and -infinity', async () => {
    await write('inf_dates.csv', 'id,day\n1,infinity\n2,-infinity\n3,2024-01-01\n');
    const r = await preview(csv({ path: 'inf_dates.csv' }), dir, 'src');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id BIGINT', 'day DATE']);
    expect(r.rows.map((x) => x.day)).toEqual(['infinity', '-infinity', '2024-01-01']);
  });

  it('listed DATE and TIMESTAMP columns keep them, in a preview and in a run', async () => {
    await write('inf_listed.csv', file);
    const r = await preview(csv({ path: 'inf_listed.csv', columns: typed }), dir, 'src');
    expect(r.rows.map((x) => [x.day, x.at])).toEqual([
      ['infinity', 'infinity'],
      ['-infinity', '-infinity'],
      ['2024-01-01', '2024-01-01 10:00:00'],
    ]);
    const out = path.join(dir, 'out/inf.csv');
    const { summary } = await run(toCsv({ path: 'inf_listed.csv', columns: typed }, out), dir, { metrics: 'exact' });
    expect(summary.error).toBeUndefined();
    expect(await readFile(out, 'utf8')).toBe(file);
  });

  it('a stated ISO date_format keeps them too; epoch is still not a date', async () => {
    await write('inf_epoch.csv', 'id,day\n1,infinity\n2,epoch\n');
    const good = await preview(csv({ path: 'inf_epoch.csv', columns: typed.slice(0, 2), date_format: '%Y-%m-%d', on_error: 'reject' }), dir, 'src');
    expect(good.rows.map((x) => x.day)).toEqual(['infinity']);
    const bad = await preview(csv({ path: 'inf_epoch.csv', columns: typed.slice(0, 2), date_format: '%Y-%m-%d', on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(bad.rows.map((x) => [x.line, x.error])).toEqual([['3', "'epoch' is not a valid DATE (YYYY-MM-DD)"]]);
  });
});

describe('source.csv: a TIMESTAMP column keeps the instant it was written with', () => {
  beforeAll(async () => {
    const lines = ['id,at'];
    for (let i = 1; i <= 30_000; i++) lines.push(`${i},2024-01-01 ${String(i % 24).padStart(2, '0')}:00:00`);
    lines.push('30001,2024-03-04 10:00:00+05');
    await write('late_offset.csv', `${lines.join('\n')}\n`);
  });

  it('a UTC offset past the sample stops the run (10:00:00+05 used to read as 10:00), with its line', async () => {
    const { summary } = await run(csv({ path: 'late_offset.csv' }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const message = summary.error?.message ?? '';
    expect(message).toContain("'2024-03-04 10:00:00+05' is not a TIMESTAMP without losing its UTC offset +05: list the column as TIMESTAMPTZ to keep the instant");
    expect(message).toContain(`line 30002 of ${path.join(dir, 'late_offset.csv')}: 30001,2024-03-04 10:00:00+05`);
  });

  it('in a listed TIMESTAMP column reads zero offsets and Z, and sets the others aside with their line', async () => {
    // Row 6 has the usual length (19 characters) with an offset in it.
    // Row 8: an offset with seconds, as PostgreSQL prints local mean time before 1900.
    await write('offsets.csv', 'id,at\n1,2024-03-04 10:00:00\n2,2024-03-04T10:00:00Z\n3,2024-03-04 10:00:00+00:00\n4,2024-03-04 10:00:00-08:00\n5,2024-03-04 10:30\n6,2024-03-04 10:00-05\n7,1900-01-01 00:00:00+05:53:28\n8,1900-01-01 00:00:00+00:00:00\n');
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'at', type: 'TIMESTAMP' },
    ];
    const good = await preview(csv({ path: 'offsets.csv', columns, on_error: 'reject' }), dir, 'src');
    expect(good.rows.map((x) => [x.id, x.at])).toEqual([
      ['1', '2024-03-04 10:00:00'],
      ['2', '2024-03-04 10:00:00'],
      ['3', '2024-03-04 10:00:00'],
      ['5', '2024-03-04 10:30:00'],
      ['8', '1900-01-01 00:00:00'],
    ]);
    const bad = await preview(csv({ path: 'offsets.csv', columns, on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(bad.rows.map((x) => [x.line, x.raw_line, x.column])).toEqual([
      ['5', '4,2024-03-04 10:00:00-08:00', 'at'],
      ['7', '6,2024-03-04 10:00-05', 'at'],
      ['8', '7,1900-01-01 00:00:00+05:53:28', 'at'],
    ]);
    // Listed as TIMESTAMPTZ, the same value is the instant it names.
    const tz = await preview(csv({ path: 'offsets.csv', columns: [columns[0], { name: 'at', type: 'TIMESTAMPTZ' }] }), dir, 'src');
    const instant = String(tz.rows[3]?.at).replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
    expect(new Date(instant).toISOString()).toBe('2024-03-04T18:00:00.000Z');
  });
});

describe('source.csv: dates outside the years 1 to 9999, as every Caudal sink writes them', () => {
  it("a listed DATE column reads '0045-03-15 (BC)' and '12345-06-07' back (they were refused as not YYYY-MM-DD)", async () => {
    await write('far_dates.csv', 'd\n0045-03-15 (BC)\n12345-06-07\n2024-01-05\n');
    const r = await preview(csv({ path: 'far_dates.csv', columns: [{ name: 'd', type: 'DATE' }] }), dir, 'src');
    expect(r.rows.map((x) => x.d)).toEqual(['0045-03-15 (BC)', '12345-06-07', '2024-01-05']);
  });

  it('a two-digit or three-digit year is still no date', async () => {
    await write('short_years.csv', 'd\n24-03-01\n');
    const error = await preview(csv({ path: 'short_years.csv', columns: [{ name: 'd', type: 'DATE' }] }), dir, 'src').then(() => 'no error', (e: Error) => e.message);
    expect(error).toContain("'24-03-01'");
  });
});

describe('source.csv: plain timestamps that DuckDB detects as TIMESTAMPTZ', () => {
  // With `infinity` on a later row, DuckDB's detection made a column of plain timestamps
  // TIMESTAMPTZ: its values read as UTC instants, and nanoseconds (as Write CSV writes a
  // TIMESTAMP_NS) were cut to microseconds, without a word.
  it('with infinity in the sample and no offset, the column is text, as when infinity comes first', async () => {
    await write('late_infinity.csv', 'at\n2024-06-30 14:05:00\ninfinity\n');
    await write('late_infinity_ns.csv', 'at\n2024-01-02 03:04:05.123456789\ninfinity\n');
    for (const file of ['late_infinity.csv', 'late_infinity_ns.csv']) {
      const r = await preview(csv({ path: file }), dir, 'src');
      expect(r.columns).toEqual([{ name: 'at', type: 'VARCHAR' }]);
    }
    const r = await preview(csv({ path: 'late_infinity_ns.csv', columns: [{ name: 'at', type: 'TIMESTAMP_NS' }] }), dir, 'src');
    expect(r.rows.map((x) => x.at)).toEqual(['2024-01-02 03:04:05.123456789', 'infinity']);
  });

  it('a column whose sample shows offsets stays TIMESTAMPTZ', async () => {
    await write('offsets.csv', 'at\n2024-01-02 03:04:05+05\ninfinity\n');
    expect((await preview(csv({ path: 'offsets.csv' }), dir, 'src')).columns).toEqual([{ name: 'at', type: 'TIMESTAMP WITH TIME ZONE' }]);
  });
});

describe('source.csv: fractions of a second are kept, or the run stops', () => {
  it('a detected timestamp column with nanoseconds in the sample is read as TIMESTAMP_NS, every digit kept', async () => {
    await write('nanos.csv', 'id,at\n1,2024-01-01 10:00:00.123456789\n2,2024-01-01 10:00:01\n3,2024-01-01 10:00:02.5\n');
    const r = await preview(csv({ path: 'nanos.csv' }), dir, 'src');
    expect(r.columns[1]).toMatchObject({ name: 'at', type: 'TIMESTAMP_NS' });
    expect(r.rows.map((x) => x.at)).toEqual(['2024-01-01 10:00:00.123456789', '2024-01-01 10:00:01', '2024-01-01 10:00:02.5']);
  });

  it('nanoseconds past the sample stop the run with the line (10:00:00.123456789 used to read as 10:00:00.123456); whole microseconds read as before', async () => {
    const lines = ['id,at'];
    for (let i = 1; i <= 30_000; i++) lines.push(`${i},2024-01-01 ${String(i % 24).padStart(2, '0')}:00:00.25`);
    lines.push('30001,2024-03-04 10:00:00.123456000');
    lines.push('30002,2024-03-04 10:00:00.123456789');
    await write('late_nanos.csv', `${lines.join('\n')}\n`);
    const { summary } = await run(csv({ path: 'late_nanos.csv' }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("'2024-03-04 10:00:00.123456789' has more fractional digits of a second than TIMESTAMP keeps (6): list the column as TIMESTAMP_NS to keep them");
    expect(summary.error?.message).toContain(`line 30003 of ${path.join(dir, 'late_nanos.csv')}`);
  });

  it('a listed TIMESTAMP_NS column stops the run at a tenth non-zero digit of a second (it was cut without a word); trailing zeros read as written', async () => {
    await write('ns_tenth.csv', 'id,at\n1,2024-03-04 10:00:00.1234567890\n2,2024-03-04 10:00:00.1234567891\n');
    const { summary } = await run(csv({ path: 'ns_tenth.csv', columns: [{ name: 'id', type: 'INTEGER' }, { name: 'at', type: 'TIMESTAMP_NS' }] }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("'2024-03-04 10:00:00.1234567891' has more fractional digits of a second than TIMESTAMP_NS keeps (9): list the column as VARCHAR to keep them");
    expect(summary.error?.message).toContain(`line 3 of ${path.join(dir, 'ns_tenth.csv')}`);
  });

  it('TIMESTAMP_NS values before 1970 read as written, detected and listed (they used to fail the read)', async () => {
    const file = 'id,at\n1,1969-12-31 23:59:59.123456789\n2,1960-01-01 00:00:00.000000001\n3,1677-09-22 00:00:00\n4,2024-01-01 00:00:00.000000001\n';
    await write('nanos_1969.csv', file);
    const detected = await preview(csv({ path: 'nanos_1969.csv' }), dir, 'src');
    expect(detected.columns[1]).toMatchObject({ name: 'at', type: 'TIMESTAMP_NS' });
    const written = ['1969-12-31 23:59:59.123456789', '1960-01-01 00:00:00.000000001', '1677-09-22 00:00:00', '2024-01-01 00:00:00.000000001'];
    expect(detected.rows.map((x) => x.at)).toEqual(written);
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'at', type: 'TIMESTAMP_NS' },
    ];
    const out = path.join(dir, 'out/nanos_1969.csv');
    const { summary } = await run(toCsv({ path: 'nanos_1969.csv', columns }, out), dir, { metrics: 'exact' });
    expect(summary.error).toBeUndefined();
    expect(await readFile(out, 'utf8')).toBe(file);
  });

  it('listed TIMESTAMP_MS and TIME refuse digits they would cut, and TIMESTAMP_NS keeps them', async () => {
    await write('fine.csv', 'id,at,t\n1,2024-01-01 10:00:00.500,10:00:00.5\n2,2024-01-01 10:00:00.5678,10:00:00.1234567\n');
    const columns = (at: string) => [
      { name: 'id', type: 'BIGINT' },
      { name: 'at', type: at },
      { name: 't', type: 'VARCHAR' },
    ];
    const bad = await preview(csv({ path: 'fine.csv', columns: columns('TIMESTAMP_MS'), on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(bad.rows.map((x) => [x.line, x.column])).toEqual([['3', 'at']]);
    expect(String(bad.rows[0]!.error)).toContain("'2024-01-01 10:00:00.5678' has more fractional digits of a second than TIMESTAMP_MS keeps (3)");
    const ns = await preview(csv({ path: 'fine.csv', columns: columns('TIMESTAMP_NS') }), dir, 'src');
    expect(ns.rows.map((x) => x.at)).toEqual(['2024-01-01 10:00:00.5', '2024-01-01 10:00:00.5678']);
    const time = await preview(csv({ path: 'fine.csv', columns: [...columns('VARCHAR').slice(0, 2), { name: 't', type: 'TIME' }], on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(time.rows.map((x) => [x.line, x.column])).toEqual([['3', 't']]);
    expect(String(time.rows[0]!.error)).toContain("'10:00:00.1234567' has more fractional digits of a second than TIME keeps (6)");
  });
});

describe('source.csv: a TIME column holds a time of day alone', () => {
  it('refuses AM/PM, a date or an offset around the time (01:45:00 PM used to read as 01:45), with the line', async () => {
    const lines = ['id,opens'];
    for (let i = 1; i <= 30_000; i++) lines.push(`${i},${String(i % 24).padStart(2, '0')}:15:00`);
    lines.push('30001,01:45:00 PM');
    await write('late_pm.csv', `${lines.join('\n')}\n`);
    const detected = await preview(csv({ path: 'late_pm.csv' }), dir, 'src');
    expect(detected.columns[1]).toMatchObject({ name: 'opens', type: 'TIME' });
    const { summary } = await run(csv({ path: 'late_pm.csv' }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("'01:45:00 PM' is not a TIME written HH:MM or HH:MM:SS with nothing else");
    expect(summary.error?.message).toContain(`line 30002 of ${path.join(dir, 'late_pm.csv')}: 30001,01:45:00 PM`);

    await write('times.csv', 'id,opens\n1,9:05\n2, 13:45:00.250 \n3,2024-01-02 13:45:00\n4,13:45:00+02\n5,\n');
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'opens', type: 'TIME' },
    ];
    const good = await preview(csv({ path: 'times.csv', columns, on_error: 'reject' }), dir, 'src');
    expect(good.rows.map((x) => [x.id, x.opens])).toEqual([
      ['1', '09:05:00'],
      ['2', '13:45:00.25'],
      ['5', null],
    ]);
    const bad = await preview(csv({ path: 'times.csv', columns, on_error: 'reject' }), dir, 'src', { port: 'rejects' });
    expect(bad.rows.map((x) => x.line)).toEqual(['4', '5']);
  });
});
