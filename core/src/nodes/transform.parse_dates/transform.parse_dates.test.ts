import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-parse-dates-');
});

const SRC = `SELECT * FROM (VALUES
  (1, '31/01/2025', 'José Muñoz'),
  (2, '2025-02-28', 'Zoë'),
  (3, '02-27-2025 14:30', 'Ann'),
  (4, NULL, 'Bo'),
  (5, '', 'Cy'),
  (6, 'yesterday', 'Di'),
  (7, ' 1/2/2025 ', 'Ed')
) t(id, "Order Day", name)`;
const DAY_FORMATS = ['%d/%m/%Y', '%Y-%m-%d', '%m-%d-%Y %H:%M'];

const parseOver = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'p', type: 'transform.parse_dates', params },
    ],
    ['src -> p'],
  );
const days = (extra: Record<string, unknown> = {}) => parseOver({ columns: [{ column: 'order day', formats: DAY_FORMATS }], ...extra });

const STAMPS = `SELECT * FROM (VALUES
  (1, '2025-01-15 10:00'),
  (2, '2025-07-01T12:00:00+02:00'),
  (3, '2025-03-30 02:30'),
  (4, '2025-01-15 23:30')
) t(id, "Paid At")`;
const STAMP_FORMATS = ['%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M:%S%z'];

/** The parsed column as text; TIMESTAMPTZ shown in UTC whatever the session's zone. */
async function stamps(type: string, zones: Record<string, unknown>) {
  const doc = parseOver({ columns: [{ column: 'Paid At', formats: STAMP_FORMATS, type }], ...zones }, STAMPS);
  const shown = type === 'TIMESTAMPTZ' ? `strftime(timezone('UTC', "Paid At"), '%Y-%m-%d %H:%M UTC')` : 'CAST("Paid At" AS VARCHAR)';
  const doc2 = pipeline([...doc.nodes, { id: 'show', type: 'transform.sql', params: { query: `SELECT ${shown} AS at FROM p ORDER BY id` } }], ['src -> p', 'p -> show']);
  const cols = (await preview(doc2, dir, 'p')).columns;
  expect(cols.find((c) => c.name === 'Paid At')?.type).toBe(type === 'TIMESTAMPTZ' ? 'TIMESTAMP WITH TIME ZONE' : type);
  return (await preview(doc2, dir, 'show')).rows.map((r) => r.at);
}

describe('transform.parse_dates', () => {
  it('tries the formats in order; NULL, empty and unparseable text become NULL with on_error "null"', async () => {
    const r = await preview(days({ on_error: 'null' }), dir, 'p');
    expect(r.columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'Order Day', type: 'DATE' },
      { name: 'name', type: 'VARCHAR' },
    ]);
    expect(r.rows.map((x) => [x.id, x['Order Day'], x.name])).toEqual([
      [1, '2025-01-31', 'José Muñoz'],
      [2, '2025-02-28', 'Zoë'],
      [3, '2025-02-27', 'Ann'],
      [4, null, 'Bo'],
      [5, null, 'Cy'],
      [6, null, 'Di'],
      [7, '2025-02-01', 'Ed'],
    ]);
  });

  it('the first format that reads the value wins', async () => {
    const src = `SELECT '01/02/2025' AS d`;
    const dm = await preview(parseOver({ columns: [{ column: 'd', formats: ['%d/%m/%Y', '%m/%d/%Y'] }] }, src), dir, 'p');
    const md = await preview(parseOver({ columns: [{ column: 'd', formats: ['%m/%d/%Y', '%d/%m/%Y'] }] }, src), dir, 'p');
    expect([dm.rows[0]!.d, md.rows[0]!.d]).toEqual(['2025-02-01', '2025-01-02']);
  });

  it('TIMESTAMPTZ: values without an offset are read in `timezone`, values with one keep it', async () => {
    expect(await stamps('TIMESTAMPTZ', { timezone: 'Europe/Paris' })).toEqual([
      '2025-01-15 09:00 UTC',
      '2025-07-01 10:00 UTC',
      // 02:30 does not exist in Paris that night (clocks jump to 03:00): read as 03:30 CEST.
      '2025-03-30 01:30 UTC',
      '2025-01-15 22:30 UTC',
    ]);
    expect(await stamps('TIMESTAMPTZ', {})).toEqual(['2025-01-15 10:00 UTC', '2025-07-01 10:00 UTC', '2025-03-30 02:30 UTC', '2025-01-15 23:30 UTC']);
  });

  it('TIMESTAMP: naive values stay as written; values with an offset become local time in the output zone', async () => {
    expect(await stamps('TIMESTAMP', { timezone: 'Europe/Paris' })).toEqual(['2025-01-15 10:00:00', '2025-07-01 12:00:00', '2025-03-30 02:30:00', '2025-01-15 23:30:00']);
    expect(await stamps('TIMESTAMP', { timezone: 'Europe/Paris', output_timezone: 'America/New_York' })).toEqual([
      '2025-01-15 04:00:00',
      '2025-07-01 06:00:00',
      '2025-03-29 21:30:00',
      '2025-01-15 17:30:00',
    ]);
  });

  it('DATE: the local date in the output zone', async () => {
    expect(await stamps('DATE', {})).toEqual(['2025-01-15', '2025-07-01', '2025-03-30', '2025-01-15']);
    expect(await stamps('DATE', { output_timezone: 'Asia/Tokyo' })).toEqual(['2025-01-15', '2025-07-01', '2025-03-30', '2025-01-16']);
  });

  it('on_error "reject" sends each row to exactly one of out and rejects; missing values are not failures', async () => {
    const out = await preview(days({ on_error: 'reject' }), dir, 'p');
    expect(out.rows.map((x) => [x.id, x['Order Day']])).toEqual([
      [1, '2025-01-31'],
      [2, '2025-02-28'],
      [3, '2025-02-27'],
      [4, null],
      [5, null],
      [7, '2025-02-01'],
    ]);
    const rejects = await preview(days({ on_error: 'reject' }), dir, 'p', { port: 'rejects' });
    expect(rejects.rows).toEqual([
      { id: 6, 'Order Day': 'yesterday', name: 'Di', _caudal_reason: "column Order Day: 'yesterday' matches none of the formats %d/%m/%Y, %Y-%m-%d, %m-%d-%Y %H:%M" },
    ]);
    expect([...out.rows, ...rejects.rows].map((x) => x.id).sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('in a run, rejects are counted in a warning and a metric', async () => {
    const doc = days({ on_error: 'reject' });
    const { summary, events } = await run(
      pipeline(
        [...doc.nodes, { id: 'good', type: 'sink.csv', params: { path: 'good.csv', if_exists: 'overwrite' } }, { id: 'bad', type: 'sink.csv', params: { path: 'bad.csv', if_exists: 'overwrite' } }],
        ['src -> p', 'p:out -> good', 'p:rejects -> bad'],
      ),
      dir,
    );
    expect(summary.outputs.map((o) => [o.nodeId, o.rows])).toEqual([
      ['good', 6],
      ['bad', 1],
    ]);
    expect(summary.nodes.find((n) => n.nodeId === 'p')?.metrics).toEqual({ rows_rejected: 1, 'rows.out': 6, 'rows.rejects': 1 });
    expect(events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)).toEqual([
      "1 row with values that do not parse was set aside on the 'rejects' port",
    ]);
  });

  it('on_error "fail" stops the run naming the node, the column and the value; NULL and empty text pass', async () => {
    const doc = days();
    const { summary } = await run(pipeline([...doc.nodes, { id: 'out', type: 'sink.csv', params: { path: 'days.csv', if_exists: 'overwrite' } }], ['src -> p', 'p -> out']), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("node 'p' (transform.parse_dates), column 'Order Day' failed");
    expect(summary.error?.message).toContain('Could not parse string "yesterday" according to format specifier "%d/%m/%Y"');
    const ok = parseOver({ columns: [{ column: 'Order Day', formats: DAY_FORMATS }] }, `SELECT * FROM (VALUES (1, NULL), (2, ''), (3, '2025-01-01')) t(id, "Order Day")`);
    expect((await preview(ok, dir, 'p')).rows.map((x) => x['Order Day'])).toEqual([null, null, '2025-01-01']);
  });

  it('on_error "fail" with formats with and without a zone lists every format in the message', async () => {
    const doc = parseOver({ columns: [{ column: 'Paid At', formats: STAMP_FORMATS, type: 'TIMESTAMPTZ' }] }, `${STAMPS} UNION ALL SELECT 5, 'soon'`);
    const { summary } = await run(pipeline([...doc.nodes, { id: 'out', type: 'sink.csv', params: { path: 'stamps.csv', if_exists: 'overwrite' } }], ['src -> p', 'p -> out']), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("node 'p' (transform.parse_dates), column 'Paid At' failed");
    expect(summary.error?.message).toContain(`column "Paid At": 'soon' matches none of the formats %Y-%m-%d %H:%M, %Y-%m-%dT%H:%M:%S%z`);
  });

  it('an empty input gives empty outputs with the parsed schema', async () => {
    const doc = days({ on_error: 'reject' });
    const empty = parseOver(doc.nodes[1]!.params, `${SRC} WHERE false`);
    const r = await preview(empty, dir, 'p');
    expect(r.rows).toEqual([]);
    expect(r.columns[1]).toEqual({ name: 'Order Day', type: 'DATE' });
    expect((await preview(empty, dir, 'p', { port: 'rejects' })).rows).toEqual([]);
  });

  it('checks columns, formats and time zones before running', async () => {
    const unknown = await problemsOf(parseOver({ columns: [{ column: 'Order Dya', formats: ['%Y'] }] }), dir);
    expect(unknown).toEqual([expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining("unknown column 'Order Dya' in node 'p' (did you mean 'Order Day'?)") })]);
    const zone = await problemsOf(days({ timezone: 'Europe/Pariss' }), dir);
    expect(zone).toEqual([expect.objectContaining({ path: 'nodes[1].params.timezone', message: "node 'p': unknown time zone 'Europe/Pariss' (did you mean 'Europe/Paris'?)" })]);
    const format = await problemsOf(parseOver({ columns: [{ column: 'Order Day', formats: ['%d/%m/%Y', '%Y-%Q'] }] }), dir);
    expect(format).toEqual([expect.objectContaining({ path: 'nodes[1].params.columns[0].formats[1]', message: expect.stringContaining("format '%Y-%Q' of column 'Order Day'") })]);
    const typed = await problemsOf(parseOver({ columns: [{ column: 'id', formats: ['%Y'] }] }), dir);
    expect(typed).toEqual([expect.objectContaining({ path: 'nodes[1].params.columns[0].column', message: "node 'p': column 'id' is INTEGER, not text" })]);
    const twice = await problemsOf(parseOver({ columns: [{ column: 'name', formats: ['%Y'] }, { column: 'NAME', formats: ['%d'] }] }), dir);
    expect(twice).toEqual([expect.objectContaining({ path: 'nodes[1].params.columns[1].column' })]);
  });

  describe('text that strptime would read as another date', () => {
    const WORDS = `SELECT * FROM (VALUES (1, 'infinity'), (2, '-Infinity'), (3, ' infinity '), (4, 'EPOCH'), (5, '2024-01-05'), (6, '1900-01-01')) t(id, v)`;
    const failRun = async (params: Record<string, unknown>, src: string) => {
      const doc = parseOver(params, src);
      return (await run(pipeline([...doc.nodes, { id: 'out', type: 'sink.csv', params: { path: 'words.csv', if_exists: 'overwrite' } }], ['src -> p', 'p -> out']), dir)).summary;
    };

    it('infinity, -infinity and epoch match no format (try_strptime would read 1900-01-01, strptime the infinite dates and 1970-01-01)', async () => {
      for (const [formats, type] of [
        [['%Y-%m-%d'], 'DATE'],
        [['%d/%m/%Y', '%Y-%m-%d'], 'TIMESTAMP'],
        [['%Y-%m-%d'], 'TIMESTAMPTZ'],
        [['%Y-%m-%d %z', '%Y-%m-%d'], 'TIMESTAMPTZ'],
      ] as const) {
        const params = { columns: [{ column: 'v', formats, type }], on_error: 'reject' };
        const rejects = await preview(parseOver(params, WORDS), dir, 'p', { port: 'rejects' });
        const tried = formats.join(', ');
        expect(rejects.rows.map((r) => [r.id, r._caudal_reason])).toEqual([
          [1, `column v: 'infinity' matches none of the formats ${tried}`],
          [2, `column v: '-Infinity' matches none of the formats ${tried}`],
          [3, `column v: ' infinity ' matches none of the formats ${tried}`],
          [4, `column v: 'EPOCH' matches none of the formats ${tried}`],
        ]);
        const out = await preview(parseOver(params, WORDS), dir, 'p');
        expect(out.rows.map((r) => r.id)).toEqual([5, 6]);
      }
      const summary = await failRun({ columns: [{ column: 'v', formats: ['%Y-%m-%d'] }] }, `SELECT 'infinity' AS v`);
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toContain(`column "v": 'infinity' matches none of the formats %Y-%m-%d`);
    });

    it('%Y reads a four-digit year only: 01/02/24 does not match %d/%m/%Y (strptime would read the year 24), and a later %d/%m/%y reads it', async () => {
      const src = `SELECT * FROM (VALUES (1, '01/02/24'), (2, '31/12/99'), (3, '01/02/2024'), (4, '01/02/0024'), (5, '1/2/999')) t(id, v)`;
      const only = await preview(parseOver({ columns: [{ column: 'v', formats: ['%d/%m/%Y'] }], on_error: 'null' }, src), dir, 'p');
      expect(only.rows.map((r) => [r.id, r.v])).toEqual([
        [1, null],
        [2, null],
        [3, '2024-02-01'],
        [4, '0024-02-01'],
        [5, null],
      ]);
      const both = await preview(parseOver({ columns: [{ column: 'v', formats: ['%d/%m/%Y', '%d/%m/%y'] }], on_error: 'null' }, src), dir, 'p');
      expect(both.rows.map((r) => [r.id, r.v])).toEqual([
        [1, '2024-02-01'],
        [2, '1999-12-31'],
        [3, '2024-02-01'],
        [4, '0024-02-01'],
        [5, null],
      ]);
      const summary = await failRun({ columns: [{ column: 'v', formats: ['%d/%m/%Y'], type: 'TIMESTAMP' }] }, `SELECT '01/02/24' AS v`);
      expect(summary.error?.message).toContain(`column "v": '01/02/24' matches none of the formats %d/%m/%Y`);
      // on_error "fail" (strptime) reads the same.
      const strict = await preview(parseOver({ columns: [{ column: 'v', formats: ['%d/%m/%Y', '%d/%m/%y'] }] }, `${src} WHERE id < 5`), dir, 'p');
      expect(strict.rows.map((r) => r.v)).toEqual(['2024-02-01', '1999-12-31', '2024-02-01', '0024-02-01']);
    });
  });

  it('compiles to readable SQL (snapshot)', async () => {
    for (const [name, doc] of [
      ['date, fail', days()],
      ['timestamp, zones, reject', parseOver({ columns: [{ column: 'Paid At', formats: STAMP_FORMATS, type: 'TIMESTAMP' }], timezone: 'Europe/Paris', output_timezone: 'UTC', on_error: 'reject' }, STAMPS)],
    ] as const) {
      const result = await inspect({ pipeline: doc, baseDir: dir });
      expect(result.problems).toEqual([]);
      const node = result.nodes.find((n) => n.nodeId === 'p')!;
      expect({ setup: node.setup, outputs: Object.fromEntries(node.outputs.map((o) => [o.port, o.sql])) }).toMatchSnapshot(name);
    }
  });
});

describe('transform.parse_dates with nanoseconds (%n)', () => {
  it('reads times before 1970 and after it to the nanosecond (the checks compared them as nanoseconds, out of that range, and failed)', async () => {
    const src = `SELECT * FROM (VALUES (1, '1960-01-01 10:00:00.123456789'), (2, '2025-01-01 10:00:00.5')) t(id, ts)`;
    const r = await preview(parseOver({ columns: [{ column: 'ts', formats: ['%Y-%m-%d %H:%M:%S.%n'], type: 'TIMESTAMP' }] }, src), dir, 'p');
    expect(r.rows.map((x) => String(x.ts))).toEqual(['1960-01-01 10:00:00.123456789', '2025-01-01 10:00:00.5']);
  });
});
