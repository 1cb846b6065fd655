import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect, pipeline, preview, problemsOf, run, tempDir } from '../../../../test/support/pipeline.js';
import { csvSourceNode } from './source.csv.node.js';
import { csvToCsv } from '../../../../test/support/csv-source.js';

let dir: string;

/** Windows-1252 bytes for text made of Latin-1 characters plus the few 0x80-0x9F ones used here. */
function cp1252(text: string): Buffer {
  const special: Record<string, number> = { '€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '–': 0x96, '—': 0x97 };
  return Buffer.from([...text].map((ch) => special[ch] ?? ch.charCodeAt(0)));
}

async function write(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

const csv = (params: Record<string, unknown>) => pipeline([{ id: 'src', type: 'source.csv', params }]);

async function rowsOf(params: Record<string, unknown>, port?: string) {
  return preview(csv(params), dir, 'src', { port });
}

beforeAll(async () => {
  dir = await tempDir('caudal-csv-');
  await write('orders.csv', 'id,name,amount,ordered_on\n1,Ann,10.5,2024-01-02\n2,Bob,7.25,2024-01-03\n3,Cy,1,2024-02-01\n');
  await write('semi.csv', 'label;qty\n"a;b";1\n"say ""hi""";2\n');
  await write('noheader.csv', '1|x\n2|y\n');
  await write('zips.csv', 'zip,city\n01234,Springfield\n00501,Holtsville\n');
  await write('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,city\nJosé Muñoz,Málaga\n', 'utf8')]));
  await write('latin1.csv', Buffer.from('name,city\nJosé Muñoz,Córdoba\nFrançois,Zürich\n', 'latin1'));
  await write('cp1252.csv', cp1252('name,word\nJosé Muñoz,€uro\nZoë,“quoted” – dash\n'));
  for (const [i, who] of ['Ann', 'Bob', 'José'].entries()) {
    await write(`parts/orders_2024_0${i + 1}.csv`, `id,who\n${i + 1},${who}\n`);
    await write(`parts1252/orders_2024_0${i + 1}.csv`, cp1252(`id,who\n${i + 1},${who} €${i}\n`));
  }
  await write('typed_bad.csv', 'id,name,amount\n1,Ann,10\n2,Bob,20\n3,Cy,oops\n4,Di,40\n');
  await write('cp1252_bad.csv', cp1252('id,name,amount\n1,José,10\n2,Zoë,€20\n'));
  const long = ['id,name,amount', ...Array.from({ length: 30_000 }, (_, i) => `${i + 1},n${i + 1},${i}`)];
  long[25_000] = '25000,n25000,1,extra';
  await write('wide_bad.csv', long.join('\n') + '\n');
  await write('messy.csv', 'id,name,amount\n1,Ann,10\n2,Bob,not a number\n3,Cy,30,extra\n4,Di,40\n5,"Ed ""the"" Best",50\n');
  await write('data_eu.csv', 'region,n\neu,1\n');
  await write('dates_eu.csv', 'id,day,at\n1,31/12/2024,31/12/2024 23:59:58\n2,01/02/2025,01/02/2025 08:00:00\n');
  await write('dates_iso.csv', 'id,day,at\n1,2024-12-31,2024-12-31 23:59:58.125\n2,2025-02-01,2025-02-01T08:00:00\n');
  await write('data_us.csv', 'region,n\nus,1\nus,2\n');
});

describe('source.csv: format detection and explicit options', () => {
  it('detects delimiter, header and types', async () => {
    const r = await rowsOf({ path: 'orders.csv' });
    expect(r.columns).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'amount', type: 'DOUBLE' },
      { name: 'ordered_on', type: 'DATE' },
    ]);
    expect(r.rows).toHaveLength(3);
    expect(r.rows[0]).toMatchObject({ id: '1', name: 'Ann', amount: 10.5 });
  });

  it('reads detected day-first dates and timestamps the same way in previews and runs', async () => {
    const r = await rowsOf({ path: 'dates_eu.csv' });
    expect(r.columns.map((c) => c.type)).toEqual(['BIGINT', 'DATE', 'TIMESTAMP']);
    expect(r.rows.map((x) => [x.day, x.at])).toEqual([
      ['2024-12-31', '2024-12-31 23:59:58'],
      ['2025-02-01', '2025-02-01 08:00:00'],
    ]);
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'dates_eu.csv' } },
        { id: 'out', type: 'sink.csv', params: { path: 'out/dates_eu.csv', if_exists: 'overwrite' } },
      ],
      ['src -> out'],
    );
    expect((await run(doc, dir)).summary.status).toBe('succeeded');
    expect(await readFile(path.join(dir, 'out/dates_eu.csv'), 'utf8')).toBe('id,day,at\n1,2024-12-31,2024-12-31 23:59:58\n2,2025-02-01,2025-02-01 08:00:00\n');
  });

  it('reads ISO dates and timestamps, with fractions and a T separator', async () => {
    const r = await rowsOf({ path: 'dates_iso.csv' });
    expect(r.columns.map((c) => c.type)).toEqual(['BIGINT', 'DATE', 'TIMESTAMP']);
    expect(r.rows.map((x) => [x.day, x.at])).toEqual([
      ['2024-12-31', '2024-12-31 23:59:58.125'],
      ['2025-02-01', '2025-02-01 08:00:00'],
    ]);
  });

  it('uses an explicit delimiter, quote, escape and header', async () => {
    const r = await rowsOf({ path: 'semi.csv', delimiter: ';', quote: '"', escape: '"', header: true });
    expect(r.columns.map((c) => c.name)).toEqual(['label', 'qty']);
    expect(r.rows.map((x) => x.label)).toEqual(['a;b', 'say "hi"']);

    await write('tab.tsv', 'a\tb\n"x\t1\n');
    const tsv = await rowsOf({ path: 'tab.tsv', delimiter: '\\t', quote: '', header: true });
    expect(tsv.rows).toEqual([{ a: '"x', b: '1' }]);

    const raw = await rowsOf({ path: 'noheader.csv', delimiter: '|', header: false });
    expect(raw.columns.map((c) => c.name)).toEqual(['column0', 'column1']);
    expect(raw.rows).toEqual([
      { column0: '1', column1: 'x' },
      { column0: '2', column1: 'y' },
    ]);
  });

  it('reads the header row as data when header is false', async () => {
    const r = await rowsOf({ path: 'zips.csv', header: false, all_varchar: true });
    expect(r.rows[0]).toEqual({ column0: 'zip', column1: 'city' });
    expect(r.rows).toHaveLength(3);
  });

  it('applies an explicit column list (names and types, in file order)', async () => {
    const r = await rowsOf({
      path: 'orders.csv',
      columns: [
        { name: 'order_id', type: 'INTEGER' },
        { name: 'customer', type: 'VARCHAR' },
        { name: 'amount', type: 'decimal(10, 2)' },
        { name: '2024', type: 'VARCHAR' },
      ],
    });
    expect(r.columns).toEqual([
      { name: 'order_id', type: 'INTEGER' },
      { name: 'customer', type: 'VARCHAR' },
      { name: 'amount', type: 'DECIMAL(10,2)' },
      { name: '2024', type: 'VARCHAR' },
    ]);
    expect(r.rows[1]).toEqual({ order_id: 2, customer: 'Bob', amount: '7.25', '2024': '2024-01-03' });
  });

  it('pins the detected dialect with an explicit column list too, so downstream views bind without sniffing the file again', async () => {
    // sniff_csv refuses types other than the ones it would detect (INTEGER where it sees BIGINT):
    // the dialect is detected alone and the user's columns stated as given.
    const columns = [
      { name: 'order_id', type: 'INTEGER' },
      { name: 'customer', type: 'VARCHAR' },
      { name: 'amount', type: 'DOUBLE' },
      { name: '2024', type: 'VARCHAR' },
    ];
    const r = await inspect({ pipeline: csv({ path: 'orders.csv', columns }), baseDir: dir });
    const sql = r.nodes[0]!.outputs[0]!.sql;
    expect(sql).toContain("delim := ','");
    // Integer columns are read as text and converted after, refusing fractions (see the next block).
    expect(sql).toContain("columns := {'order_id': 'VARCHAR', 'customer': 'VARCHAR', 'amount': 'DOUBLE', '2024': 'VARCHAR'}");
    expect(sql).toContain('TRY_CAST("order_id" AS INTEGER)');
    // A list that does not match the file says how they differ.
    const wrong = await problemsOf(csv({ path: 'orders.csv', columns: columns.slice(0, 2) }), dir);
    expect(wrong[0]?.message).toMatch(/has 4 columns \(id, name, amount, ordered_on\), the column list 2/);
  });

  it('reads every column as text with all_varchar (leading zeros survive)', async () => {
    const r = await rowsOf({ path: 'zips.csv', all_varchar: true });
    expect(r.columns).toEqual([
      { name: 'zip', type: 'VARCHAR' },
      { name: 'city', type: 'VARCHAR' },
    ]);
    expect(r.rows.map((x) => x.zip)).toEqual(['01234', '00501']);
  });

  it('turns listed null strings into NULL', async () => {
    await write('nulls.csv', 'a,b\nNA,1\nx,-\n');
    const r = await rowsOf({ path: 'nulls.csv', null_strings: ['NA', '-'], all_varchar: true });
    expect(r.rows).toEqual([
      { a: null, b: '1' },
      { a: 'x', b: null },
    ]);
  });

  it('skips leading lines', async () => {
    await write('titled.csv', 'Export of 2024-01-01\ngenerated by ERP\nid,name\n1,Ann\n');
    const r = await rowsOf({ path: 'titled.csv', skip_rows: 2, header: true });
    expect(r.rows).toEqual([{ id: '1', name: 'Ann' }]);
  });
});

describe('source.csv: encodings', () => {
  it('reads UTF-8 with a byte-order mark (the first column name is clean)', async () => {
    const r = await rowsOf({ path: 'bom.csv' });
    expect(r.columns.map((c) => c.name)).toEqual(['name', 'city']);
    expect(r.rows).toEqual([{ name: 'José Muñoz', city: 'Málaga' }]);
    const explicit = await rowsOf({ path: 'bom.csv', header: true, delimiter: ',', encoding: 'utf-8' });
    expect(explicit.rows).toEqual([{ name: 'José Muñoz', city: 'Málaga' }]);
  });

  it('converts latin-1', async () => {
    const r = await rowsOf({ path: 'latin1.csv', encoding: 'latin-1' });
    expect(r.rows).toEqual([
      { name: 'José Muñoz', city: 'Córdoba' },
      { name: 'François', city: 'Zürich' },
    ]);
  });

  it('converts windows-1252, including € and curly quotes in 0x80-0x9F', async () => {
    const r = await rowsOf({ path: 'cp1252.csv', encoding: 'windows-1252' });
    expect(r.rows).toEqual([
      { name: 'José Muñoz', word: '€uro' },
      { name: 'Zoë', word: '“quoted” – dash' },
    ]);
  });
});

describe('source.csv: several files', () => {
  it('reads a glob and records each row’s original file path', async () => {
    const r = await rowsOf({ path: 'parts/orders_*.csv', filename_column: 'source_file' });
    expect(r.columns.at(-1)).toEqual({ name: 'source_file', type: 'VARCHAR' });
    expect(r.rows.map((x) => [x.id, x.who, x.source_file])).toEqual([
      ['1', 'Ann', path.join(dir, 'parts/orders_2024_01.csv')],
      ['2', 'Bob', path.join(dir, 'parts/orders_2024_02.csv')],
      ['3', 'José', path.join(dir, 'parts/orders_2024_03.csv')],
    ]);
  });

  it('shows the original paths, not the converted copies, for windows-1252 files', async () => {
    const r = await rowsOf({ path: 'parts1252/orders_*.csv', encoding: 'windows-1252', filename_column: 'source_file' });
    expect(r.rows.map((x) => [x.who, x.source_file])).toEqual([
      ['Ann €0', path.join(dir, 'parts1252/orders_2024_01.csv')],
      ['Bob €1', path.join(dir, 'parts1252/orders_2024_02.csv')],
      ['José €2', path.join(dir, 'parts1252/orders_2024_03.csv')],
    ]);
    // A full run converts whole files and still maps the paths back.
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params: { path: 'parts1252/orders_*.csv', encoding: 'windows-1252', filename_column: 'source_file' } },
        { id: 'check', type: 'transform.filter', params: { condition: "source_file LIKE '%/parts1252/orders_2024_0_.csv' AND who LIKE '%€%'" } },
      ],
      ['src -> check'],
    );
    const { summary } = await run(doc, dir, { metrics: 'exact' });
    expect(summary.error).toBeUndefined();
    expect(summary.nodes.find((n) => n.nodeId === 'check')?.rowsOut).toBe(3);
  });

  it('resolves ${param} references in the path', async () => {
    const doc = pipeline([{ id: 'src', type: 'source.csv', params: { path: 'data_${region}.csv' } }], [], {
      params: { region: { type: 'string', default: 'eu' } },
    });
    const r = await preview(doc, dir, 'src');
    expect(r.rows).toEqual([{ region: 'eu', n: '1' }]);
    const { summary } = await run(doc, dir, { params: { region: 'us' }, metrics: 'exact' });
    expect(summary.status).toBe('succeeded');
    expect(summary.nodes[0]?.rowsOut).toBe(2);
  });
});

describe('source.csv: malformed rows with on_error "fail"', () => {
  it('fails the run naming the node, the file and the line', async () => {
    const doc = csv({ path: 'typed_bad.csv', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }, { name: 'amount', type: 'BIGINT' }] });
    const { summary } = await run(doc, dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const msg = summary.error?.message ?? '';
    expect(msg).toContain("node 'src'");
    expect(msg).toContain('typed_bad.csv');
    expect(msg).toContain("'oops' is not a whole number of type BIGINT");
    expect(msg).toMatch(/line 4 of \S*typed_bad\.csv: 3,Cy,oops/);
    expect(summary.error?.nodeId).toBe('src');
  });

  it('reports a wrong number of fields far down a file with its line', async () => {
    const { summary } = await run(csv({ path: 'wide_bad.csv', delimiter: ',', header: true }), dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const msg = summary.error?.message ?? '';
    expect(msg).toContain("node 'src'");
    expect(msg).toContain('wide_bad.csv');
    expect(msg).toMatch(/Line: 25001\b/);
  });

  it('names the original file when the file was converted from windows-1252', async () => {
    const doc = csv({ path: 'cp1252_bad.csv', encoding: 'windows-1252', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }, { name: 'amount', type: 'BIGINT' }] });
    const { summary } = await run(doc, dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    const msg = summary.error?.message ?? '';
    expect(msg).toContain("node 'src'");
    expect(msg).toContain('cp1252_bad.csv');
    expect(msg).toMatch(/line 3 of \S*cp1252_bad\.csv: .*€20/);
  });

  it('with the format set, reads a file whose first rows are malformed and stops at the first bad line', async () => {
    const doc = csv({ path: 'messy.csv', delimiter: ',', quote: '"', header: true });
    expect(await problemsOf(doc, dir)).toEqual([]);
    const { summary } = await run(doc, dir, { metrics: 'exact' });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toContain(`CSV Error on Line: 4 of ${path.join(dir, 'messy.csv')}: Expected Number of Columns: 3 Found: 4`);
    expect(summary.error?.message).toContain('Line text: 3,Cy,30,extra');
  });

  it('suggests an encoding when a file is not UTF-8', async () => {
    const problems = await problemsOf(csv({ path: 'latin1.csv', encoding: 'utf-8' }), dir);
    expect(problems[0]).toMatchObject({ code: 'invalid_param', nodeId: 'src', path: 'nodes[0].params.encoding' });
    expect(problems[0]?.message).toBe(`node 'src': ${path.join(dir, 'latin1.csv')} is not UTF-8 text`);
    expect(problems[0]?.hint).toContain('windows-1252');
  });

  it('still has a rejects port, empty, with the documented columns', async () => {
    const r = await rowsOf({ path: 'orders.csv' }, 'rejects');
    expect(r.columns).toEqual([
      { name: 'file', type: 'VARCHAR' },
      { name: 'line', type: 'BIGINT' },
      { name: 'raw_line', type: 'VARCHAR' },
      { name: 'error', type: 'VARCHAR' },
      { name: 'column', type: 'VARCHAR' },
    ]);
    expect(r.rows).toEqual([]);
  });
});

describe('source.csv: malformed rows with on_error "reject"', () => {
  const params = {
    path: 'messy.csv',
    delimiter: ',',
    quote: '"',
    header: true,
    columns: [
      { name: 'id', type: 'BIGINT' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'amount', type: 'BIGINT' },
    ],
    on_error: 'reject',
  };

  it('passes the good rows on "out"', async () => {
    const r = await rowsOf(params);
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'name', 'amount']);
    expect(r.rows).toEqual([
      { id: '1', name: 'Ann', amount: '10' },
      { id: '4', name: 'Di', amount: '40' },
      { id: '5', name: 'Ed "the" Best', amount: '50' },
    ]);
  });

  it('lists the bad rows on "rejects" with file, line, raw line, error and column', async () => {
    const r = await rowsOf(params, 'rejects');
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['file VARCHAR', 'line BIGINT', 'raw_line VARCHAR', 'error VARCHAR', 'column VARCHAR']);
    expect(r.rows.map((x) => [x.file, x.line, x.raw_line, x.column])).toEqual([
      [path.join(dir, 'messy.csv'), '3', '2,Bob,not a number', 'amount'],
      [path.join(dir, 'messy.csv'), '4', '3,Cy,30,extra', null],
    ]);
    expect(String(r.rows[0]?.error)).toContain('not a number');
    expect(String(r.rows[1]?.error)).toMatch(/columns/i);
  });

  it('feeds both ports downstream in a full run and counts the good rows', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params },
        { id: 'good', type: 'transform.filter', params: { condition: 'amount > 0' } },
        { id: 'bad', type: 'transform.filter', params: { condition: 'line > 1 AND raw_line IS NOT NULL' } },
      ],
      ['src -> good', 'src:rejects -> bad'],
    );
    const { summary, events } = await run(doc, dir, { metrics: 'exact' });
    expect(summary.error).toBeUndefined();
    const out = (id: string) => summary.nodes.find((n) => n.nodeId === id)?.rowsOut;
    expect(out('src')).toBe(3);
    expect(out('good')).toBe(3);
    expect(out('bad')).toBe(2);
    expect(events.filter((e) => e.type === 'warning' && e.nodeId === 'src').map((e) => e.type === 'warning' && e.message)).toEqual([
      "2 malformed rows of messy.csv were set aside on the 'rejects' port",
    ]);
  });

  it('warns that rejected rows are dropped when nothing is connected to "rejects"', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params },
        { id: 'good', type: 'transform.filter', params: { condition: 'amount > 0' } },
      ],
      ['src -> good'],
    );
    const { events } = await run(doc, dir);
    const warning = events.find((e) => e.type === 'warning' && e.nodeId === 'src');
    expect(warning).toMatchObject({ message: expect.stringMatching(/^2 malformed rows of messy\.csv were set aside .*nothing is connected to 'rejects', so they are dropped/) });
  });

  it('writes the good rows and the rejects to two CSV sinks in one run', async () => {
    const doc = pipeline(
      [
        { id: 'src', type: 'source.csv', params },
        { id: 'good', type: 'sink.csv', params: { path: 'out/good.csv' } },
        { id: 'bad', type: 'sink.csv', params: { path: 'out/rejects.csv' } },
      ],
      ['src -> good', 'src:rejects -> bad'],
    );
    const { summary } = await run(doc, dir);
    expect(summary.error).toBeUndefined();
    expect(summary.outputs.map((o) => [o.nodeId, o.rows])).toEqual([
      ['good', 3],
      ['bad', 2],
    ]);
    expect(await readFile(path.join(dir, 'out/good.csv'), 'utf8')).toBe('id,name,amount\n1,Ann,10\n4,Di,40\n5,"Ed ""the"" Best",50\n');
    const messy = path.join(dir, 'messy.csv');
    expect(await readFile(path.join(dir, 'out/rejects.csv'), 'utf8')).toBe(
      [
        'file,line,raw_line,error,column',
        `${messy},3,"2,Bob,not a number",'not a number' is not a whole number of type BIGINT,amount`,
        `${messy},4,"3,Cy,30,extra",Expected Number of Columns: 3 Found: 4,`,
        '',
      ].join('\n'),
    );
  });

  it('rejects from several windows-1252 files carry the original paths and line numbers', async () => {
    await write('rej1252/a.csv', cp1252('id,word\n1,€\n2,x\n'));
    await write('rej1252/b.csv', cp1252('id,word\n3,y\nbad€,z\n'));
    const p = { path: 'rej1252/*.csv', encoding: 'windows-1252', header: true, delimiter: ',', columns: [{ name: 'id', type: 'INTEGER' }, { name: 'word', type: 'VARCHAR' }], on_error: 'reject', filename_column: 'f' };
    const good = await rowsOf(p);
    expect(good.rows.map((x) => [x.id, x.word, path.basename(String(x.f))])).toEqual([
      [1, '€', 'a.csv'],
      [2, 'x', 'a.csv'],
      [3, 'y', 'b.csv'],
    ]);
    const bad = await rowsOf(p, 'rejects');
    expect(bad.rows.map((x) => [x.file, x.line, x.raw_line, x.column])).toEqual([[path.join(dir, 'rej1252/b.csv'), '3', 'bad€,z', 'id']]);
  });

  it('shows the setup statement and output SQL when inspected', async () => {
    const r = await inspect({ pipeline: csv(params), baseDir: dir });
    expect(r.problems).toEqual([]);
    const node = r.nodes[0]!;
    expect(node.setup[0]).toContain('store_rejects := TRUE');
    expect(node.setup[0]).toContain("rejects_table := '_n_src__aux_reject_errors'");
    // Integers are read as text (a fraction must not be rounded) and converted in the outputs.
    expect(node.setup[0]).toContain("columns := {'id': 'VARCHAR', 'name': 'VARCHAR', 'amount': 'VARCHAR'}");
    expect(node.outputs.map((o) => o.port)).toEqual(['out', 'rejects']);
  });
});

describe('source.csv: validation', () => {
  it('reports a missing file as an io_error naming the node', async () => {
    for (const encoding of ['utf-8', 'windows-1252']) {
      const problems = await problemsOf(csv({ path: 'nope/missing_*.csv', encoding }), dir);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ code: 'io_error', nodeId: 'src', path: 'nodes[0].params.path' });
      expect(problems[0]?.message).toBe(`node 'src': no file matches nope/missing_*.csv (${path.join(dir, 'nope/missing_*.csv')})`);
    }
    const rejecting = await problemsOf(csv({ path: 'missing.csv', on_error: 'reject' }), dir);
    expect(rejecting[0]).toMatchObject({ code: 'io_error', nodeId: 'src' });
  });

  it('reports an undeclared ${param} in the path', async () => {
    const problems = await problemsOf(csv({ path: 'data_${regoin}.csv' }), dir);
    expect(problems[0]).toMatchObject({ code: 'unknown_param', nodeId: 'src' });
  });

  it('rejects implausible column types with a clear message', async () => {
    const problems = await problemsOf(
      csv({ path: 'orders.csv', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHR' }, { name: 'amount', type: 'number; DROP' }, { name: 'd', type: 'DATE' }] }),
      dir,
    );
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['invalid_param', 'nodes[0].params.columns[1].type'],
      ['invalid_param', 'nodes[0].params.columns[2].type'],
    ]);
    expect(problems[0]?.message).toContain('no type is named VARCHR (did you mean VARCHAR?)');
    expect(problems[1]?.message).toContain("'number; DROP' is not a DuckDB type");
  });

  it('refuses conflicting options', async () => {
    const problems = await problemsOf(
      csv({ path: 'x.csv.gz', encoding: 'latin-1', all_varchar: true, columns: [{ name: 'a', type: 'VARCHAR' }, { name: 'A', type: 'INTEGER' }], filename_column: 'a' }),
      dir,
    );
    expect(problems.map((p) => p.path)).toEqual([
      'nodes[0].params.all_varchar',
      'nodes[0].params.columns[1].name',
      'nodes[0].params.filename_column',
      'nodes[0].params.encoding',
    ]);
    const bad = await problemsOf(csv({ path: 'x.csv', on_error: 'skip', encoding: 'utf-16' }), dir);
    expect(bad.map((p) => p.path).sort()).toEqual(['nodes[0].params.encoding', 'nodes[0].params.on_error']);
  });
});

describe('source.csv: params', () => {
  it('a type written with any of DuckDB\'s aliases is checked as the type it names', async () => {
    // DEC(10,2) is DECIMAL(10,2): 1.255 was rounded to 1.26 without a word, read as DEC(10,2).
    await write('alias.csv', 'price,qty\n1.255,2\n');
    const dec = await run(csvToCsv({ path: 'alias.csv', columns: [{ name: 'price', type: 'dec(10, 2)' }, { name: 'qty', type: 'INT4' }] }, 'alias_out.csv'), dir);
    expect(dec.summary.status).toBe('failed');
    expect(dec.summary.error!.message).toContain("'1.255' has more than 2 decimal places, which DECIMAL(10,2) would round away");
    await write('alias_int.csv', 'qty\n2.5\n');
    const int = await run(csvToCsv({ path: 'alias_int.csv', columns: [{ name: 'qty', type: 'integral' }] }, 'alias_out.csv'), dir);
    expect(int.summary.error!.message).toContain("'2.5' is not a whole number of type INTEGER");
    // TIMESTAMP(3) is TIMESTAMP_MS, and TIME WITHOUT TIME ZONE is TIME: both accepted and read.
    await write('alias_time.csv', 'at,t\n2024-01-02 03:04:05.123,10:00:00\n');
    const rows = await rowsOf({ path: 'alias_time.csv', columns: [{ name: 'at', type: 'TIMESTAMP(3)' }, { name: 't', type: 'time without time zone' }] });
    expect(rows.columns.map((c) => c.type)).toEqual(['TIMESTAMP_MS', 'TIME']);
  });

  it('the documented example passes its own checks', () => {
    const parsed = csvSourceNode.params.parse(csvSourceNode.example.params);
    expect(csvSourceNode.check?.(parsed)).toEqual([]);
  });
});
