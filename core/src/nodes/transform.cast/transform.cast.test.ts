import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('caudal-cast-');
});

const SRC = `SELECT * FROM (VALUES
  (1, '10', '2025-01-31', 'José Muñoz'),
  (2, ' 7 ', 'yesterday', 'Zoë'),
  (3, 'abc', '2025-02-01', NULL),
  (4, NULL, NULL, 'Ann'),
  (5, '1e3', '2025-13-01', 'Bo')
) t(id, "Qty Text", "Day", name)`;

const castOver = (params: Record<string, unknown>, src = SRC) =>
  pipeline(
    [
      { id: 'src', type: 'transform.sql', params: { query: src } },
      { id: 'typed', type: 'transform.cast', params },
    ],
    ['src -> typed'],
  );
const QTY_DAY = [
  { column: 'Qty Text', type: 'INTEGER' },
  { column: 'day', type: 'DATE' },
];

const withSinks = (params: Record<string, unknown>, src = SRC) => {
  const doc = castOver(params, src);
  return pipeline(
    [
      ...doc.nodes,
      { id: 'good', type: 'sink.csv', params: { path: 'good.csv', if_exists: 'overwrite' } },
      { id: 'bad', type: 'sink.csv', params: { path: 'bad.csv', if_exists: 'overwrite' } },
    ],
    ['src -> typed', 'typed:out -> good', 'typed:rejects -> bad'],
  );
};

describe('transform.cast', () => {
  it('on_error "null" converts in place and turns values that do not convert into NULL', async () => {
    const r = await preview(castOver({ columns: QTY_DAY, on_error: 'null' }), dir, 'typed');
    expect(r.columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'Qty Text', type: 'INTEGER' },
      { name: 'Day', type: 'DATE' },
      { name: 'name', type: 'VARCHAR' },
    ]);
    expect(r.rows).toEqual([
      { id: 1, 'Qty Text': 10, Day: '2025-01-31', name: 'José Muñoz' },
      { id: 2, 'Qty Text': 7, Day: null, name: 'Zoë' },
      { id: 3, 'Qty Text': null, Day: '2025-02-01', name: null },
      { id: 4, 'Qty Text': null, Day: null, name: 'Ann' },
      { id: 5, 'Qty Text': 1000, Day: null, name: 'Bo' },
    ]);
  });

  it('on_error "reject" sends each row to exactly one of out and rejects, with the reason', async () => {
    const params = { columns: QTY_DAY, on_error: 'reject' };
    const out = await preview(castOver(params), dir, 'typed');
    expect(out.rows).toEqual([
      { id: 1, 'Qty Text': 10, Day: '2025-01-31', name: 'José Muñoz' },
      { id: 4, 'Qty Text': null, Day: null, name: 'Ann' },
    ]);
    const rejects = await preview(castOver(params), dir, 'typed', { port: 'rejects' });
    expect(rejects.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id INTEGER', 'Qty Text VARCHAR', 'Day VARCHAR', 'name VARCHAR', '_caudal_reason VARCHAR']);
    expect(rejects.rows).toEqual([
      { id: 2, 'Qty Text': ' 7 ', Day: 'yesterday', name: 'Zoë', _caudal_reason: "column Day: 'yesterday' is not a valid DATE (YYYY-MM-DD)" },
      { id: 3, 'Qty Text': 'abc', Day: '2025-02-01', name: null, _caudal_reason: "column Qty Text: 'abc' is not a whole number of type INTEGER" },
      { id: 5, 'Qty Text': '1e3', Day: '2025-13-01', name: 'Bo', _caudal_reason: "column Day: '2025-13-01' is not a valid DATE (YYYY-MM-DD)" },
    ]);
    const ids = [...out.rows, ...rejects.rows].map((r) => r.id).sort();
    expect(ids).toEqual([1, 2, 3, 4, 5]);
  });

  it('joins several failures of one row in the reason', async () => {
    const src = `SELECT * FROM (VALUES ('x', 'y')) t(a, b)`;
    const r = await preview(castOver({ columns: [{ column: 'a', type: 'BIGINT' }, { column: 'b', type: 'DOUBLE' }], on_error: 'reject' }, src), dir, 'typed', { port: 'rejects' });
    expect(r.rows).toEqual([{ a: 'x', b: 'y', _caudal_reason: "column a: 'x' is not a whole number of type BIGINT; column b: 'y' is not a valid DOUBLE" }]);
  });

  it('in a run, rejects are counted in a warning and a metric, and both sinks get their rows', async () => {
    const { summary, events } = await run(withSinks({ columns: QTY_DAY, on_error: 'reject' }), dir);
    expect(summary.status).toBe('succeeded');
    expect(summary.outputs.map((o) => [o.nodeId, o.rows])).toEqual([
      ['good', 2],
      ['bad', 3],
    ]);
    // Both connected ports are counted: the rejects are in a table the node's setup filled.
    expect(summary.nodes.find((n) => n.nodeId === 'typed')?.metrics).toEqual({ rows_rejected: 3, 'rows.out': 2, 'rows.rejects': 3 });
    expect(events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)).toEqual([
      "3 rows with values that do not convert were set aside on the 'rejects' port",
    ]);
  });

  it('on_error "fail" stops the run naming the node, the column and the value', async () => {
    const src = `SELECT * FROM (VALUES (1, '10'), (2, NULL), (3, 'abc')) t(id, "Qty Text")`;
    const { summary } = await run(withSinks({ columns: [{ column: 'Qty Text', type: 'INTEGER' }] }, src), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain("node 'typed' (transform.cast), column 'Qty Text' failed");
    expect(summary.error?.message).toContain(`column "Qty Text": 'abc' is not a whole number of type INTEGER`);
  });

  it('on_error "fail" lets NULLs through: NULL is not a failure', async () => {
    const src = `SELECT * FROM (VALUES (1, '10'), (2, NULL)) t(id, q)`;
    const r = await preview(castOver({ columns: [{ column: 'q', type: 'BIGINT' }] }, src), dir, 'typed');
    expect(r.rows).toEqual([
      { id: 1, q: '10' },
      { id: 2, q: null },
    ]);
  });

  it('an empty input gives empty outputs with the converted schema', async () => {
    const src = `SELECT * FROM (VALUES ('1')) t(q) WHERE false`;
    for (const on_error of ['fail', 'null', 'reject']) {
      const doc = castOver({ columns: [{ column: 'q', type: 'SMALLINT' }], on_error }, src);
      const out = await preview(doc, dir, 'typed');
      expect(out.columns).toEqual([{ name: 'q', type: 'SMALLINT' }]);
      expect(out.rows).toEqual([]);
      expect((await preview(doc, dir, 'typed', { port: 'rejects' })).rows).toEqual([]);
    }
  });

  it('reports an unknown column with the closest name, before running', async () => {
    const problems = await problemsOf(castOver({ columns: [{ column: 'nmae', type: 'VARCHAR' }] }), dir);
    expect(problems).toEqual([expect.objectContaining({ code: 'unknown_column', message: expect.stringContaining("unknown column 'nmae' in node 'typed' (did you mean 'name'?)") })]);
  });

  it('checks type names and duplicate columns before running', async () => {
    const problems = await problemsOf(
      castOver({
        columns: [
          { column: 'id', type: 'INTGER' },
          { column: 'name', type: 'VARCHAR' },
          { column: 'NAME', type: 'TEXT' },
          { column: 'Day', type: 'DATE); DROP TABLE x; --' },
        ],
      }),
      dir,
    );
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['nodes[1].params.columns[0].type', "node 'typed' (transform.cast): 'INTGER' is not a DuckDB type: no type is named INTGER (did you mean INTEGER?)"],
      ['nodes[1].params.columns[2].column', "node 'typed' (transform.cast): column 'NAME' is listed twice"],
      ['nodes[1].params.columns[3].type', expect.stringContaining('is not a DuckDB type (e.g.')],
    ]);
  });

  it('refuses reject mode when the input already has the reason column', async () => {
    const src = `SELECT '1' AS q, 'old' AS _caudal_reason`;
    const problems = await problemsOf(castOver({ columns: [{ column: 'q', type: 'INTEGER' }], on_error: 'reject' }, src), dir);
    expect(problems).toEqual([expect.objectContaining({ path: 'nodes[1].params.on_error', message: expect.stringContaining("already has a column named '_caudal_reason'") })]);
  });

  describe('numbers written the local way', () => {
    const LOCAL = `SELECT * FROM (VALUES
      (1, '1.234,56', '1.234'),
      (2, '-7,5', '12'),
      (3, '12.34', '1,5'),
      (4, NULL, NULL),
      (5, ' 1.000 ', '1.000.000'),
      (6, ',5', '12.34')
    ) t(id, amount, qty)`;
    const spanish = (on_error: string) => ({
      columns: [
        { column: 'amount', type: 'DOUBLE' },
        { column: 'qty', type: 'BIGINT' },
      ],
      decimal_separator: ',',
      thousands_separator: '.',
      on_error,
    });

    it('converts with the given separators and checks the grouping (on_error "null")', async () => {
      const r = await preview(castOver(spanish('null'), LOCAL), dir, 'typed');
      expect(r.columns.map((c) => c.type)).toEqual(['INTEGER', 'DOUBLE', 'BIGINT']);
      expect(r.rows).toEqual([
        { id: 1, amount: 1234.56, qty: '1234' },
        { id: 2, amount: -7.5, qty: '12' },
        // 12.34 is not grouped in threes: with '.' between thousands it is not a number (DuckDB would read 1234).
        { id: 3, amount: null, qty: null },
        { id: 4, amount: null, qty: null },
        { id: 5, amount: 1000, qty: '1000000' },
        { id: 6, amount: 0.5, qty: null },
      ]);
    });

    it('on_error "reject" gives the reason in the local terms', async () => {
      const r = await preview(castOver(spanish('reject'), LOCAL), dir, 'typed', { port: 'rejects' });
      expect(r.rows.map((x) => [x.id, x._caudal_reason])).toEqual([
        [3, "column amount: '12.34' is not a number written like 1.234,56 (thousands_separator '.', decimal_separator ','); column qty: '1,5' is not a number written like 1.234 (thousands_separator '.', decimal_separator ',')"],
        [6, "column qty: '12.34' is not a number written like 1.234 (thousands_separator '.', decimal_separator ',')"],
      ]);
    });

    it('on_error "fail" stops the run naming the column and the value', async () => {
      const { summary } = await run(withSinks(spanish('fail'), LOCAL), dir);
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toContain("node 'typed' (transform.cast), column 'amount' failed");
      expect(summary.error?.message).toContain("'12.34' is not a number written like 1.234,56");
    });

    it('reads a decimal comma alone, refusing a decimal point', async () => {
      const src = `SELECT * FROM (VALUES ('7,25'), ('7.25')) t(v)`;
      const r = await preview(castOver({ columns: [{ column: 'v', type: 'DECIMAL(6,2)' }], decimal_separator: ',', on_error: 'null' }, src), dir, 'typed');
      expect(r.rows).toEqual([{ v: '7.25' }, { v: null }]);
    });

    it('checks the separators', async () => {
      const problems = await problemsOf(castOver({ columns: [{ column: 'id', type: 'DOUBLE' }], decimal_separator: ',', thousands_separator: ',' }), dir);
      expect(problems.map((p) => p.path)).toEqual(['nodes[1].params.thousands_separator']);
    });
  });

  it('refuses a fraction in text converted to an integer type, where DuckDB would round it', async () => {
    const src = `SELECT * FROM (VALUES (1, '4.5'), (2, ' 7 '), (3, '+8'), (4, '4.0'), (5, '1,5')) t(id, qty)`;
    const r = await preview(castOver({ columns: [{ column: 'qty', type: 'INTEGER' }], on_error: 'reject' }, src), dir, 'typed', { port: 'rejects' });
    expect(r.rows.map((row) => [row.id, row._caudal_reason])).toEqual([
      [1, "column qty: '4.5' is not a whole number of type INTEGER"],
      [4, "column qty: '4.0' is not a whole number of type INTEGER"],
      [5, "column qty: '1,5' is not a whole number of type INTEGER"],
    ]);
    expect((await preview(castOver({ columns: [{ column: 'qty', type: 'INTEGER' }], on_error: 'reject' }, src), dir, 'typed')).rows).toEqual([
      { id: 2, qty: 7 },
      { id: 3, qty: 8 },
    ]);
  });

  it('refuses more decimal places than a DECIMAL keeps in text, where DuckDB would round them; trailing zeros are fine', async () => {
    const src = `SELECT * FROM (VALUES (1, '12.345'), (2, '12.300'), (3, ' 7 '), (4, '1e-3'), (5, '2.5e1'), (6, 'n/a'), (7, '1e-400'), (8, '1250E-3'), (9, '0e-500'), (10, '1.5E+1'), (11, '-12.5e-2')) t(id, price)`;
    const cast = castOver({ columns: [{ column: 'price', type: 'DECIMAL(10,2)' }], on_error: 'reject' }, src);
    const rejects = await preview(cast, dir, 'typed', { port: 'rejects' });
    expect(rejects.rows.map((row) => [row.id, row._caudal_reason])).toEqual([
      [1, "column price: '12.345' has more than 2 decimal places, which DECIMAL(10,2) would round away (give the type more decimal places, or read the column as DOUBLE)"],
      [4, "column price: '1e-3' has more than 2 decimal places, which DECIMAL(10,2) would round away (give the type more decimal places, or read the column as DOUBLE)"],
      [6, "column price: 'n/a' is not a valid DECIMAL(10,2)"],
      [7, "column price: '1e-400' has more than 2 decimal places, which DECIMAL(10,2) would round away (give the type more decimal places, or read the column as DOUBLE)"],
      [11, "column price: '-12.5e-2' has more than 2 decimal places, which DECIMAL(10,2) would round away (give the type more decimal places, or read the column as DOUBLE)"],
    ]);
    expect((await preview(cast, dir, 'typed')).rows).toEqual([
      { id: 2, price: '12.30' },
      { id: 3, price: '7.00' },
      { id: 5, price: '25.00' },
      { id: 8, price: '1.25' },
      { id: 9, price: '0.00' },
      { id: 10, price: '15.00' },
    ]);
  });

  it('refuses a time after a date in text converted to DATE, and a UTC offset in text converted to TIMESTAMP', async () => {
    const src = `SELECT * FROM (VALUES
      (1, '2024-03-04', '2024-03-04 10:00:00'),
      (2, '2024-03-04 13:45', '2024-03-04T10:00:00Z'),
      (3, '2024-03-1x', '2024-03-04 10:00:00+05'),
      (4, ' 2024-1-2 ', '2024-03-04 10:00:00+00:00')
    ) t(id, d, t)`;
    const columns = [
      { column: 'd', type: 'DATE' },
      { column: 't', type: 'TIMESTAMP' },
    ];
    const rejects = await preview(castOver({ columns, on_error: 'reject' }, src), dir, 'typed', { port: 'rejects' });
    expect(rejects.rows.map((row) => [row.id, row._caudal_reason])).toEqual([
      [2, "column d: '2024-03-04 13:45' is not a DATE: it has a time; convert to TIMESTAMP to keep it"],
      [3, "column d: '2024-03-1x' is not a valid DATE (YYYY-MM-DD); column t: '2024-03-04 10:00:00+05' is not a TIMESTAMP without losing its UTC offset +05: list the column as TIMESTAMPTZ to keep the instant"],
    ]);
    const good = await preview(castOver({ columns, on_error: 'reject' }, src), dir, 'typed');
    expect(good.rows.map((row) => [row.id, String(row.d), String(row.t)])).toEqual([
      [1, '2024-03-04', '2024-03-04 10:00:00'],
      [4, '2024-01-02', '2024-03-04 10:00:00'],
    ]);
  });

  it('refuses AM/PM, a date or an offset in text converted to TIME', async () => {
    const src = `SELECT * FROM (VALUES (1, '13:45'), (2, '01:45:00 PM'), (3, '2024-03-04 13:45:00'), (4, '13:45:00+02'), (5, '13:45:00.5')) t(id, opens)`;
    const columns = [{ column: 'opens', type: 'TIME' }];
    const rejects = await preview(castOver({ columns, on_error: 'reject' }, src), dir, 'typed', { port: 'rejects' });
    expect(rejects.rows.map((row) => row.id)).toEqual([2, 3, 4]);
    expect(rejects.rows[0]?._caudal_reason).toBe("column opens: '01:45:00 PM' is not a TIME written HH:MM or HH:MM:SS with nothing else (a date, an offset or AM/PM would be dropped): list the column as TIMESTAMP, TIMETZ or VARCHAR");
    const good = await preview(castOver({ columns, on_error: 'reject' }, src), dir, 'typed');
    expect(good.rows.map((row) => [row.id, String(row.opens)])).toEqual([
      [1, '13:45:00'],
      [5, '13:45:00.5'],
    ]);
  });

  describe('text that DuckDB would read as another value', () => {
    const reasons = async (columns: Array<{ column: string; type: string }>, src: string) =>
      (await preview(castOver({ columns, on_error: 'reject' }, src), dir, 'typed', { port: 'rejects' })).rows.map((r) => [r.id, r._caudal_reason]);
    const kept = async (columns: Array<{ column: string; type: string }>, src: string) =>
      (await preview(castOver({ columns, on_error: 'reject' }, src), dir, 'typed')).rows.map((r) => Object.values(r).map((v) => (v === null ? null : String(v))));

    it('to DATE, infinity and -infinity stay infinite; epoch and other words do not convert (strptime would read 1900-01-01)', async () => {
      const src = `SELECT * FROM (VALUES (1, 'infinity'), (2, ' -Infinity '), (3, 'epoch'), (4, 'today'), (5, '1900-01-01'), (6, 'inf')) t(id, d)`;
      expect(await reasons([{ column: 'd', type: 'DATE' }], src)).toEqual([
        [3, "column d: 'epoch' is not a valid DATE (YYYY-MM-DD)"],
        [4, "column d: 'today' is not a valid DATE (YYYY-MM-DD)"],
        [6, "column d: 'inf' is not a valid DATE (YYYY-MM-DD)"],
      ]);
      expect(await kept([{ column: 'd', type: 'DATE' }], src)).toEqual([
        ['1', 'infinity'],
        ['2', '-infinity'],
        ['5', '1900-01-01'],
      ]);
    });

    it('to TIMESTAMP and TIMESTAMPTZ, epoch does not convert (DuckDB would read 1970-01-01); infinity stays infinite', async () => {
      const src = `SELECT * FROM (VALUES (1, 'epoch', 'EPOCH'), (2, 'infinity', '-infinity'), (3, '1970-01-01 00:00:00', '1970-01-01 00:00:00+00')) t(id, t, tz)`;
      expect(await reasons([{ column: 't', type: 'TIMESTAMP' }, { column: 'tz', type: 'TIMESTAMPTZ' }], src)).toEqual([
        [1, "column t: 'epoch' is not a valid TIMESTAMP; column tz: 'EPOCH' is not a valid TIMESTAMPTZ"],
      ]);
      const good = await preview(castOver({ columns: [{ column: 't', type: 'TIMESTAMP' }], on_error: 'reject' }, src), dir, 'typed');
      expect(good.rows.map((r) => [r.id, String(r.t)])).toEqual([
        [2, 'infinity'],
        [3, '1970-01-01 00:00:00'],
      ]);
    });

    it('a year needs four digits: 24-03-01 to DATE and 1-1-1 to TIMESTAMP do not convert (DuckDB would read the years 24 and 1); 0024-03-01 does', async () => {
      const src = `SELECT * FROM (VALUES (1, '24-03-01', '1-1-1'), (2, '0024-03-01', '0001-01-01 00:00:00'), (3, '999-12-31', '99-12-31 10:00'), (4, '2024-03-01', '2024-03-01 10:00')) t(id, d, t)`;
      const columns = [
        { column: 'd', type: 'DATE' },
        { column: 't', type: 'TIMESTAMP' },
      ];
      expect(await reasons(columns, src)).toEqual([
        [1, "column d: '24-03-01' is not a valid DATE (YYYY-MM-DD); column t: '1-1-1' is not a valid TIMESTAMP"],
        [3, "column d: '999-12-31' is not a valid DATE (YYYY-MM-DD); column t: '99-12-31 10:00' is not a valid TIMESTAMP"],
      ]);
      expect(await kept(columns, src)).toEqual([
        ['2', '0024-03-01', '0001-01-01 00:00:00'],
        ['4', '2024-03-01', '2024-03-01 10:00:00'],
      ]);
      const { summary } = await run(withSinks({ columns: [{ column: 'd', type: 'DATE' }] }, `SELECT '24-03-01' AS d`), dir);
      expect(summary.error?.message).toContain(`column "d": '24-03-01' is not a valid DATE (YYYY-MM-DD)`);
    });

    it('to an integer type, hexadecimal, binary and digits grouped with _ do not convert (DuckDB would read 31, 3 and 1000)', async () => {
      const src = `SELECT * FROM (VALUES (1, '0x1F', '1_000.5'), (2, '0b11', '2_5'), (3, '1_000', '7'), (4, '1e3', '1e3'), (5, ' +7 ', '0.5')) t(id, qty, price)`;
      const columns = [
        { column: 'qty', type: 'BIGINT' },
        { column: 'price', type: 'DOUBLE' },
      ];
      expect(await reasons(columns, src)).toEqual([
        [1, "column qty: '0x1F' is not a number of type BIGINT written in decimal digits (hexadecimal 0x…, binary 0b… and digits grouped with _ are not read); column price: '1_000.5' is not a number of type DOUBLE written in decimal digits (digits grouped with _ are not read)"],
        [2, "column qty: '0b11' is not a number of type BIGINT written in decimal digits (hexadecimal 0x…, binary 0b… and digits grouped with _ are not read); column price: '2_5' is not a number of type DOUBLE written in decimal digits (digits grouped with _ are not read)"],
        [3, "column qty: '1_000' is not a number of type BIGINT written in decimal digits (hexadecimal 0x…, binary 0b… and digits grouped with _ are not read)"],
      ]);
      expect(await kept(columns, src)).toEqual([
        ['4', '1000', '1000'],
        ['5', '7', '0.5'],
      ]);
      const { summary } = await run(withSinks({ columns: [{ column: 'qty', type: 'BIGINT' }] }, `SELECT '0x1F' AS qty`), dir);
      expect(summary.error?.message).toContain(`column "qty": '0x1F' is not a number of type BIGINT written in decimal digits`);
    });

    it('to DOUBLE or FLOAT, a number the type holds only as infinity or 0 does not convert; inf, infinity and nan are kept', async () => {
      const src = `SELECT * FROM (VALUES (1, '1e400', '1e39'), (2, '-1e309', '1e-46'), (3, '1e-400', '0'), (4, 'inf', '-Infinity'), (5, 'NaN', '3.4e38'), (6, '0.000', '1e-40'), (7, '1e-310', '-0')) t(id, d, f)`;
      const columns = [
        { column: 'd', type: 'DOUBLE' },
        { column: 'f', type: 'FLOAT' },
      ];
      expect(await reasons(columns, src)).toEqual([
        [1, "column d: '1e400' is too large for DOUBLE, which would hold it as infinity; column f: '1e39' is too large for FLOAT, which would hold it as infinity"],
        [2, "column d: '-1e309' is too large for DOUBLE, which would hold it as infinity; column f: '1e-46' is too small for FLOAT, which would hold it as 0"],
        [3, "column d: '1e-400' is too small for DOUBLE, which would hold it as 0"],
      ]);
      expect((await kept(columns, src)).map((r) => r[0])).toEqual(['4', '5', '6', '7']);
      const { summary } = await run(withSinks({ columns: [{ column: 'd', type: 'DOUBLE' }] }, `SELECT '1e400' AS d`), dir);
      expect(summary.error?.message).toContain(`column "d": '1e400' is too large for DOUBLE, which would hold it as infinity`);
    });
  });

  describe('text to a list type', () => {
    const LISTS = `SELECT * FROM (VALUES (1, '[1, 2.5]', '[2024-01-05]'), (2, '[1,2]', '[2024-02-30]'), (3, '[abc]', '[24-01-05]'), (4, '[''1.5'']', NULL), (5, '[3, NULL]', '[2024-01-05, NULL]'), (6, 'abc', '[]')) t(id, n, d)`;
    const columns = [
      { column: 'n', type: 'INTEGER[]' },
      { column: 'd', type: 'DATE[]' },
    ];

    it('converts each element as a single value, and a list with an element that does not convert does not convert, naming it', async () => {
      const rejects = await preview(castOver({ columns, on_error: 'reject' }, LISTS), dir, 'typed', { port: 'rejects' });
      expect(rejects.rows.map((r) => [r.id, r._caudal_reason])).toEqual([
        [1, "column n: '[1, 2.5]': element '2.5' is not a whole number of type INTEGER"],
        [2, "column d: '[2024-02-30]': element '2024-02-30' is not a valid DATE (YYYY-MM-DD)"],
        [3, "column n: '[abc]': element 'abc' is not a whole number of type INTEGER; column d: '[24-01-05]': element '24-01-05' is not a valid DATE (YYYY-MM-DD)"],
        [4, "column n: '['1.5']': element '1.5' is not a whole number of type INTEGER"],
        [6, "column n: 'abc' is not a list of INTEGER written [a, b, …]"],
      ]);
      const good = await preview(castOver({ columns, on_error: 'reject' }, LISTS), dir, 'typed');
      expect(good.columns.map((c) => c.type)).toEqual(['INTEGER', 'INTEGER[]', 'DATE[]']);
      expect(good.rows.map((r) => [r.id, JSON.stringify(r.n), JSON.stringify(r.d)])).toEqual([[5, '[3,null]', '["2024-01-05",null]']]);
    });

    it('on_error "fail" stops the run naming the element', async () => {
      const { summary } = await run(withSinks({ columns: [{ column: 'n', type: 'INTEGER[]' }] }, `SELECT '[1, 2.5]' AS n`), dir);
      expect(summary.status).toBe('failed');
      expect(summary.error?.message).toContain(`column "n": '[1, 2.5]': element '2.5' is not a whole number of type INTEGER`);
    });

    it('refuses before running lists of lists, fixed-size arrays and STRUCT, MAP or UNION members from text', async () => {
      for (const type of ['INTEGER[][]', 'INTEGER[2]', 'STRUCT(a INTEGER)', 'STRUCT(a INTEGER)[]', 'MAP(VARCHAR, INTEGER)']) {
        const problems = await problemsOf(castOver({ columns: [{ column: 'name', type }] }), dir);
        expect(problems).toEqual([expect.objectContaining({ path: 'nodes[1].params.columns[0].type', message: expect.stringContaining(`column 'name': text cannot be converted to ${type.toUpperCase().replace('(A ', '("A" ')} with each member checked`) })]);
      }
    });
  });

  it('compiles to readable SQL (snapshot)', async () => {
    for (const on_error of ['fail', 'null', 'reject']) {
      const result = await inspect({ pipeline: castOver({ columns: QTY_DAY, on_error }), baseDir: dir });
      expect(result.problems).toEqual([]);
      const node = result.nodes.find((n) => n.nodeId === 'typed')!;
      expect({ setup: node.setup, outputs: Object.fromEntries(node.outputs.map((o) => [o.port, o.sql])) }).toMatchSnapshot(on_error);
    }
  });

  it('between other types, a value converts only when it comes back unchanged: 12.7 into an INTEGER, a time of day into a DATE, 2^53 + 1 into a DOUBLE do not', async () => {
    const src = `SELECT * FROM (VALUES
      (1, 12.0::DOUBLE, 12.300::DECIMAL(10,3), TIMESTAMP '2024-01-05 00:00:00', 9007199254740992::BIGINT, 1::INTEGER, TIMESTAMPTZ '2024-01-05 10:30:00+00'),
      (2, 12.7::DOUBLE, 12.345::DECIMAL(10,3), TIMESTAMP '2024-01-05 10:30:00', 9007199254740993::BIGINT, 5::INTEGER, TIMESTAMPTZ '2024-01-05 10:30:00+00')
    ) t(id, d, dec, ts, big, flag, tz)`;
    const columns = [
      { column: 'd', type: 'INTEGER' },
      { column: 'dec', type: 'DECIMAL(10,2)' },
      { column: 'ts', type: 'DATE' },
      { column: 'big', type: 'DOUBLE' },
      { column: 'flag', type: 'BOOLEAN' },
      { column: 'tz', type: 'TIMESTAMP' },
    ];
    const rejects = await preview(castOver({ columns, on_error: 'reject' }, src), dir, 'typed', { port: 'rejects' });
    expect(rejects.rows.map((r) => r._caudal_reason)).toEqual([
      'column d: 12.7 would change converting to INTEGER (it would be 13); convert on purpose first (round, trunc, CAST in a Derive) or choose a type that holds it; ' +
        'column dec: 12.345 would change converting to DECIMAL(10,2) (it would be 12.35); convert on purpose first (round, trunc, CAST in a Derive) or choose a type that holds it; ' +
        'column ts: 2024-01-05 10:30:00 would change converting to DATE (it would be 2024-01-05); convert on purpose first (round, trunc, CAST in a Derive) or choose a type that holds it; ' +
        'column big: 9007199254740993 would change converting to DOUBLE (it would be 9007199254740992.0); convert on purpose first (round, trunc, CAST in a Derive) or choose a type that holds it; ' +
        'column flag: 5 would change converting to BOOLEAN (it would be true); convert on purpose first (round, trunc, CAST in a Derive) or choose a type that holds it',
    ]);
    const kept = await preview(castOver({ columns, on_error: 'reject' }, src), dir, 'typed');
    expect(kept.rows).toEqual([{ id: 1, d: 12, dec: '12.30', ts: '2024-01-05', big: 9007199254740992, flag: true, tz: '2024-01-05 10:30:00' }]);
    const { summary } = await run(withSinks({ columns: [{ column: 'd', type: 'INTEGER' }] }, src), dir);
    expect(summary.error?.message).toContain('column d: 12.7 would change converting to INTEGER (it would be 13)');
  });
});

describe('transform.cast of lists, structs and maps', () => {
  const src = `SELECT * FROM (VALUES
    (1, [1.0, 2.0, NULL]::DOUBLE[], ['7', NULL]::VARCHAR[], [[1.0], [2.0]]::DOUBLE[][], {'a': 1.0}, CAST([] AS VARCHAR[]), [['7']]),
    (2, [1.5, 2.0]::DOUBLE[], ['1.5']::VARCHAR[], [[1.0], [2.5]]::DOUBLE[][], {'a': 1.5}, CAST([] AS VARCHAR[]), [['1.5']])
  ) t(id, d, t, nested, s, empty, texts)`;
  const columns = [
    { column: 'd', type: 'INTEGER[]' },
    { column: 't', type: 'INTEGER[]' },
    { column: 'nested', type: 'INTEGER[][]' },
    { column: 's', type: 'STRUCT(a INTEGER)' },
  ];

  it('an element that would change does not convert: [1.5, 2.0] into INTEGER[] (DuckDB: [2, 2]), also nested lists and struct members', async () => {
    const rejects = await preview(castOver({ columns, on_error: 'reject' }, src), dir, 'typed', { port: 'rejects' });
    expect(rejects.rows.map((r) => r._caudal_reason)).toEqual([
      'column d: [1.5, 2.0] would change converting to INTEGER[] (it would be [2, 2]); convert on purpose first (round, trunc, CAST in a Derive) or choose a type that holds it; ' +
        "column t: '[1.5]': element '1.5' is not a whole number of type INTEGER; " +
        'column nested: [[1.0], [2.5]] would change converting to INTEGER[][] (it would be [[1], [2]]); convert on purpose first (round, trunc, CAST in a Derive) or choose a type that holds it; ' +
        "column s: {'a': 1.5} would change converting to STRUCT(\"A\" INTEGER) (it would be {'a': 2}); convert on purpose first (round, trunc, CAST in a Derive) or choose a type that holds it",
    ]);
    const kept = await preview(castOver({ columns, on_error: 'reject' }, src), dir, 'typed');
    expect(kept.columns.map((c) => c.type)).toEqual(['INTEGER', 'INTEGER[]', 'INTEGER[]', 'INTEGER[][]', 'STRUCT(a INTEGER)', 'VARCHAR[]', 'VARCHAR[][]']);
    expect(kept.rows.map((r) => [r.id, JSON.stringify(r.d), JSON.stringify(r.t), JSON.stringify(r.nested), JSON.stringify(r.s)])).toEqual([[1, '[1,2,null]', '[7,null]', '[[1],[2]]', '{"a":1}']]);
  });

  it('on_error "fail" stops the run naming the list', async () => {
    const { summary } = await run(withSinks({ columns: [{ column: 'd', type: 'INTEGER[]' }] }, src), dir);
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain('column d: [1.5, 2.0] would change converting to INTEGER[] (it would be [2, 2])');
  });

  it('an empty list converts; lists of lists of text convert where the value comes back unchanged', async () => {
    const r = await preview(castOver({ columns: [{ column: 'empty', type: 'INTEGER[]' }, { column: 'texts', type: 'INTEGER[][]' }], on_error: 'null' }, src), dir, 'typed');
    expect(r.rows.map((x) => [JSON.stringify(x.empty), JSON.stringify(x.texts)])).toEqual([['[]', '[[7]]'], ['[]', 'null']]);
  });
});
