import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, preview, run, tempDir } from './support/pipeline.js';

/**
 * transform.parse_dates with zones in the text: `%Z` (a zone name) and `%z` (a UTC offset). A value
 * is read by the first format that reads it, whatever the order of the formats; a zone name `%Z`
 * does not read is a value that matches no format (NULL, rejected, or an error naming the node, the
 * column and the value), never an error of DuckDB's blamed on the next node.
 */

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-hostile-dates-');
});

const textRows = (values: string[]) => `SELECT * FROM (VALUES ${values.map((v, i) => `(${i}, '${v.replaceAll("'", "''")}')`).join(', ')}) t(id, v)`;

type Params = Record<string, unknown>;

/** src -> p (parse_dates) -> show (the parsed value as text; a TIMESTAMPTZ as UTC whatever the session's zone). */
function over(params: Params, query: string) {
  return pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query } },
      { id: 'p', type: 'transform.parse_dates', params },
      { id: 'show', type: 'transform.sql', params: { query: `SELECT id, CASE WHEN typeof(v) = 'TIMESTAMP WITH TIME ZONE' THEN strftime(timezone('UTC', v), '%Y-%m-%d %H:%M UTC') ELSE CAST(v AS VARCHAR) END AS v FROM p` } },
    ],
    ['src -> p', 'p -> show'],
  );
}

/** The parsed values of `out` and the reasons of `rejects`, by input value. */
async function split(params: Params, values: string[]) {
  const doc = over(params, textRows(values));
  const out = await preview(doc, dir, 'show');
  const rejects = await preview(doc, dir, 'p', { port: 'rejects' });
  return {
    out: Object.fromEntries(out.rows.map((r) => [values[Number(r.id)]!, r.v])),
    rejects: Object.fromEntries(rejects.rows.map((r) => [values[Number(r.id)]!, r._caudal_reason])),
  };
}

/** A run that writes the node's output to CSV, and its summary. */
async function runOf(params: Params, values: string[]) {
  const doc = over(params, textRows(values));
  const nodes = [...doc.nodes.slice(0, 2), { id: 'sink', type: 'sink.csv', params: { path: 'out.csv', if_exists: 'overwrite' } }];
  return (await run(pipeline(nodes, ['src -> p', 'p -> sink']), dir)).summary;
}

const NAME = '%Y-%m-%d %H:%M:%S %Z';
const OFFSET = '%Y-%m-%d %H:%M:%S %z';
const HINT = ': %Z reads IANA time zone names such as UTC or Europe/Paris, not abbreviations such as PST, CET or CEST; write the IANA name, or an offset such as -08:00 read with %z (which also reads a final Z)';

describe('transform.parse_dates: %Z and %z in one list of formats', () => {
  const values = ['2024-06-01 12:00:00 UTC', '2024-06-01 12:00:00 +0200', '2024-06-01 12:00:00 +02:00', '2024-06-01 12:00:00 Europe/Paris', '2024-06-01 12:00:00 -08'];
  const instants = {
    '2024-06-01 12:00:00 UTC': '2024-06-01 12:00 UTC',
    '2024-06-01 12:00:00 +0200': '2024-06-01 10:00 UTC',
    '2024-06-01 12:00:00 +02:00': '2024-06-01 10:00 UTC',
    '2024-06-01 12:00:00 Europe/Paris': '2024-06-01 10:00 UTC',
    '2024-06-01 12:00:00 -08': '2024-06-01 20:00 UTC',
  };

  it('an offset after a %Z format is read by the %z format that follows (it came out NULL, or rejected as matching no format)', async () => {
    for (const formats of [
      [NAME, OFFSET],
      [OFFSET, NAME],
    ]) {
      for (const on_error of ['null', 'reject']) {
        const r = await split({ columns: [{ column: 'v', formats, type: 'TIMESTAMPTZ' }], on_error }, values);
        expect({ formats, on_error, ...r }).toEqual({ formats, on_error, out: instants, rejects: {} });
      }
    }
  });

  it('on_error "fail" reads them all (the run failed on DuckDB\'s "Unknown TimeZone \'+0200\'", blamed on the sink)', async () => {
    const summary = await runOf({ columns: [{ column: 'v', formats: [NAME, OFFSET], type: 'TIMESTAMPTZ' }] }, values);
    expect(summary.error?.message).toBeUndefined();
    expect(summary.outputs.map((o) => o.rows)).toEqual([5]);
  });

  it('the first format that reads a value wins, with zone names as with anything else', async () => {
    // The second format reads the same text as a wall-clock time in `timezone`, without its zone.
    const params = (formats: string[]) => ({ columns: [{ column: 'v', formats, type: 'TIMESTAMPTZ' }], timezone: 'Asia/Tokyo', on_error: 'null' });
    const named = await split(params([NAME, '%Y-%m-%d %H:%M:%S UTC']), ['2024-06-01 12:00:00 UTC']);
    const literal = await split(params(['%Y-%m-%d %H:%M:%S UTC', NAME]), ['2024-06-01 12:00:00 UTC']);
    expect([named.out, literal.out]).toEqual([{ '2024-06-01 12:00:00 UTC': '2024-06-01 12:00 UTC' }, { '2024-06-01 12:00:00 UTC': '2024-06-01 03:00 UTC' }]);
  });
});

describe('transform.parse_dates: zone names %Z reads', () => {
  it('reads IANA names in any case, with their summer time; EST, MST and HST are their fixed offsets', async () => {
    const values = ['2024-06-01 12:00:00 UTC', '2024-06-01 12:00:00 gmt', '2024-01-15 12:00:00 Europe/Paris', '2024-06-01 12:00:00 europe/paris', '2024-06-01 12:00:00 America/Los_Angeles', '2024-06-01 12:00:00 Etc/GMT-2', '2024-06-01 12:00:00 EST5EDT', '2024-06-01 12:00:00 EST', '2024-06-01 12:00:00 MST', '2024-06-01 12:00:00 HST', '2024-06-01 12:00:00 America/Argentina/Buenos_Aires'];
    const r = await split({ columns: [{ column: 'v', formats: [NAME], type: 'TIMESTAMPTZ' }], on_error: 'reject' }, values);
    expect(r).toEqual({
      out: {
        '2024-06-01 12:00:00 UTC': '2024-06-01 12:00 UTC',
        '2024-06-01 12:00:00 gmt': '2024-06-01 12:00 UTC',
        '2024-01-15 12:00:00 Europe/Paris': '2024-01-15 11:00 UTC',
        '2024-06-01 12:00:00 europe/paris': '2024-06-01 10:00 UTC',
        '2024-06-01 12:00:00 America/Los_Angeles': '2024-06-01 19:00 UTC',
        '2024-06-01 12:00:00 Etc/GMT-2': '2024-06-01 10:00 UTC',
        '2024-06-01 12:00:00 EST5EDT': '2024-06-01 16:00 UTC',
        '2024-06-01 12:00:00 EST': '2024-06-01 17:00 UTC',
        '2024-06-01 12:00:00 MST': '2024-06-01 19:00 UTC',
        '2024-06-01 12:00:00 HST': '2024-06-01 22:00 UTC',
        '2024-06-01 12:00:00 America/Argentina/Buenos_Aires': '2024-06-01 15:00 UTC',
      },
      rejects: {},
    });
  });

  it('refuses abbreviations: PST was read as Los Angeles summer time (-07:00), CET in June as +02:00, IST as India; CEST, PDT and Z were not read at all', async () => {
    const values = ['2024-06-01 12:00:00 PST', '2024-01-15 12:00:00 pst', '2024-06-01 12:00:00 CET', '2024-06-01 12:00:00 IST', '2024-06-01 12:00:00 BST', '2024-06-01 12:00:00 CEST', '2024-06-01 12:00:00 PDT', '2024-06-01 12:00:00 Z', '2024-06-01 12:00:00 UTC+2'];
    const r = await split({ columns: [{ column: 'v', formats: [NAME], type: 'TIMESTAMPTZ' }], on_error: 'reject' }, values);
    expect(r.out).toEqual({});
    expect(r.rejects).toEqual(Object.fromEntries(values.map((v) => [v, `column v: '${v}' matches none of the formats ${NAME}${HINT}`])));
    const nulls = await split({ columns: [{ column: 'v', formats: [NAME], type: 'TIMESTAMPTZ' }], on_error: 'null' }, values);
    expect(nulls.out).toEqual(Object.fromEntries(values.map((v) => [v, null])));
  });

  it('every zone DuckDB lists is read as DuckDB reads it, except the abbreviations', async () => {
    const query = `SELECT row_number() OVER (ORDER BY name) AS id, name, '2024-06-01 12:00:00 ' || name AS v FROM pg_timezone_names()`;
    const doc = pipeline(
      [
        { id: 'src', type: 'transform.sql', params: { query } },
        { id: 'p', type: 'transform.parse_dates', params: { columns: [{ column: 'v', formats: [NAME], type: 'TIMESTAMPTZ' }], on_error: 'reject' } },
        // What DuckDB reads, beside what the node read.
        { id: 'cmp', type: 'transform.sql', params: { query: `SELECT count(*) AS n, count(*) FILTER (WHERE p.v IS DISTINCT FROM try_strptime(src.v, '${NAME}')) AS differ FROM p JOIN src USING (id)` } },
      ],
      ['src -> p', 'p -> cmp', 'src -> cmp'],
    );
    const rejected = (await preview(doc, dir, 'p', { port: 'rejects', limit: 1000 })).rows.map((r) => r.name);
    expect(rejected.sort()).toEqual(['ACT', 'AET', 'AGT', 'ART', 'AST', 'BET', 'BST', 'CAT', 'CET', 'CNT', 'CST', 'CTT', 'EAT', 'ECT', 'EET', 'IET', 'IST', 'JST', 'MET', 'MIT', 'NET', 'NST', 'PLT', 'PNT', 'PRT', 'PST', 'SST', 'VST', 'WET']);
    const [cmp] = (await preview(doc, dir, 'cmp')).rows;
    expect(Number(cmp!.n)).toBeGreaterThan(500);
    expect(Number(cmp!.differ)).toBe(0);
  });

  it('on_error "fail": a zone %Z does not read stops the run naming the parse_dates node, the column and the value (DuckDB\'s "Unknown TimeZone \'CEST\'" was blamed on the sink)', async () => {
    const summary = await runOf({ columns: [{ column: 'v', formats: ['%Y-%m-%d %Z'] }] }, ['2024-01-05 UTC', '2024-01-05 CEST']);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`node 'p' (transform.parse_dates), column 'v' failed`);
    expect(summary.error?.message).toContain(`column "v": '2024-01-05 CEST' matches none of the formats %Y-%m-%d %Z${HINT}`);
    expect(summary.error?.message).not.toContain('Unknown TimeZone');
  });

  it('a value that fails for another reason gets no word about zone names', async () => {
    const r = await split({ columns: [{ column: 'v', formats: [NAME], type: 'TIMESTAMPTZ' }], on_error: 'reject' }, ['2024-13-01 12:00:00 UTC']);
    expect(r.rejects).toEqual({ '2024-13-01 12:00:00 UTC': `column v: '2024-13-01 12:00:00 UTC' matches none of the formats ${NAME}` });
  });
});

describe('transform.parse_dates: an ISO 8601 Z with %z', () => {
  const ISO = '%Y-%m-%dT%H:%M:%S%z';
  const values = ['2024-06-01T12:00:00Z', '2024-06-01T12:00:00z', '2024-06-01T12:00:00Z ', '2024-06-01T12:00:00+02:00'];
  const read = { '2024-06-01T12:00:00Z': '2024-06-01 12:00 UTC', '2024-06-01T12:00:00z': '2024-06-01 12:00 UTC', '2024-06-01T12:00:00Z ': '2024-06-01 12:00 UTC', '2024-06-01T12:00:00+02:00': '2024-06-01 10:00 UTC' };

  it('%z reads a final Z as +00:00 (it matched no format)', async () => {
    for (const on_error of ['null', 'reject']) {
      expect(await split({ columns: [{ column: 'v', formats: [ISO], type: 'TIMESTAMPTZ' }], on_error }, values)).toEqual({ out: read, rejects: {} });
    }
    const summary = await runOf({ columns: [{ column: 'v', formats: [ISO], type: 'TIMESTAMPTZ' }] }, values);
    expect(summary.error?.message).toBeUndefined();
    // With on_error "fail" (DuckDB's strptime) as with the others, and to local time in output_timezone.
    const strict = await preview(over({ columns: [{ column: 'v', formats: [ISO], type: 'TIMESTAMP' }], output_timezone: 'Europe/Paris' }, textRows(values)), dir, 'show');
    expect(strict.rows.map((r) => r.v)).toEqual(['2024-06-01 14:00:00', '2024-06-01 14:00:00', '2024-06-01 14:00:00', '2024-06-01 12:00:00']);
  });

  it('a format that writes Z as a literal still reads a wall-clock time in `timezone`, and wins when listed first', async () => {
    const r = await split({ columns: [{ column: 'v', formats: ['%Y-%m-%dT%H:%M:%SZ', ISO], type: 'TIMESTAMPTZ' }], timezone: 'Asia/Tokyo', on_error: 'null' }, ['2024-06-01T12:00:00Z']);
    expect(r.out).toEqual({ '2024-06-01T12:00:00Z': '2024-06-01 03:00 UTC' });
  });

  it('a Z that does not end the value, or follows a letter, is not an offset', async () => {
    const r = await split({ columns: [{ column: 'v', formats: [ISO], type: 'TIMESTAMPTZ' }], on_error: 'reject' }, ['2024-06-01T12:00:00Z+02:00', '2024-06-01T12:00:00XZ']);
    expect(Object.keys(r.rejects)).toEqual(['2024-06-01T12:00:00Z+02:00', '2024-06-01T12:00:00XZ']);
  });
});
