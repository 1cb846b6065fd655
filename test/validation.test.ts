import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateStructure, resolveParamValues } from '../core/src/compiler/validate.js';
import { pipeline, previewPipeline, problemsOf, tempDir } from './support/pipeline.js';

const src = (id = 'src', query = 'SELECT range AS id, range % 3 AS grp, \'a@b.c\' AS email FROM range(10)') => ({ id, type: 'transform.sql', params: { query } });

function codes(doc: ReturnType<typeof pipeline>) {
  return validateStructure(doc).problems;
}

describe('structural validation: one problem kind each', () => {
  it('unknown node type, with a suggestion', () => {
    const [p] = codes(pipeline([{ id: 'f', type: 'transform.filtr', params: { condition: 'true' } }]));
    expect(p).toMatchObject({ code: 'unknown_node_type', path: 'nodes[0].type', nodeId: 'f' });
    expect(p!.message).toContain("did you mean 'transform.filter'");
  });

  it('missing param', () => {
    const ps = codes(pipeline([src(), { id: 'f', type: 'transform.filter', params: {} }], ['src -> f']));
    expect(ps).toEqual([expect.objectContaining({ code: 'invalid_param', path: 'nodes[1].params.condition', nodeId: 'f' })]);
  });

  it('bad param: wrong type and unknown key', () => {
    const ps = codes(pipeline([src(), { id: 'f', type: 'transform.filter', params: { condition: 3, conditon: 'x' } }], ['src -> f']));
    expect(ps.map((p) => p.path).sort()).toEqual(['nodes[1].params', 'nodes[1].params.condition']);
  });

  it('replication slot and publication names: lower-case identifiers only (the publication goes into the replication command as text)', () => {
    const cdc = (extra: Record<string, unknown>) =>
      codes(pipeline([{ id: 'c', type: 'source.postgres_cdc', params: { connection: 'db', table: 'orders', ...extra } }], [], { connections: { db: { type: 'postgres' } } }));
    const [p] = cdc({ publication: "pub', streaming 'on" });
    expect(p).toMatchObject({ code: 'invalid_param', path: 'nodes[0].params.publication' });
    expect(p!.message).toMatch(/lower-case letters, digits and _/);
    expect(cdc({ slot: 'My-Slot' })[0]).toMatchObject({ path: 'nodes[0].params.slot' });
    expect(cdc({ slot: 'orders_slot', publication: 'orders_pub' })).toEqual([]);
  });

  it('duplicate id', () => {
    const ps = codes(pipeline([src('a'), src('a')]));
    expect(ps).toEqual([expect.objectContaining({ code: 'duplicate_id', path: 'nodes[1].id' })]);
  });

  it('dangling edge', () => {
    const ps = codes(pipeline([src(), { id: 'f', type: 'transform.filter', params: { condition: 'true' } }], ['srcc -> f']));
    const p = ps.find((x) => x.code === 'dangling_edge')!;
    expect(p.path).toBe('edges[0].from');
    expect(p.message).toContain("did you mean 'src'");
  });

  it('unknown port', () => {
    const ps = codes(pipeline([src(), { id: 'f', type: 'transform.filter', params: { condition: 'true' } }], ['src:output -> f']));
    expect(ps).toEqual([expect.objectContaining({ code: 'unknown_port', path: 'edges[0].from', message: expect.stringContaining("has no output port 'output'") })]);
  });

  it('two edges into a single-input port', () => {
    const ps = codes(pipeline([src('a'), src('b'), { id: 'f', type: 'transform.filter', params: { condition: 'true' } }], ['a -> f', 'b -> f']));
    expect(ps).toEqual([expect.objectContaining({ code: 'port_overfilled', path: 'edges[1].to', nodeId: 'f' })]);
  });

  it('a cycle, naming the path', () => {
    const f = (id: string) => ({ id, type: 'transform.filter', params: { condition: 'true' } });
    const ps = codes(pipeline([f('a'), f('b'), f('c')], ['a -> b', 'b -> c', 'c -> a']));
    const p = ps.find((x) => x.code === 'cycle')!;
    expect(p.message).toBe('the pipeline has a cycle: a → b → c → a');
  });

  it('a node with nothing connected to its input', () => {
    const ps = codes(pipeline([{ id: 'f', type: 'transform.filter', params: { condition: 'true' } }]));
    expect(ps).toEqual([expect.objectContaining({ code: 'missing_input', nodeId: 'f', hint: 'add an edge to "f:in"' })]);
  });

  it('an undeclared ${param} in a text param', () => {
    const ps = codes(pipeline([{ id: 's', type: 'transform.sql', params: { query: 'SELECT 1' } }].map((n) => ({ ...n, params: { query: 'SELECT ${nope}' } }))));
    expect(ps).toEqual([expect.objectContaining({ code: 'unknown_param', path: 'nodes[0].params.query' })]);
  });

  it('collects every problem at once', () => {
    const ps = codes(
      pipeline(
        [src('a'), src('a'), { id: 'f', type: 'transform.nope' }, { id: 'g', type: 'transform.filter', params: {} }],
        ['zz -> g'],
      ),
    );
    expect(new Set(ps.map((p) => p.code))).toEqual(new Set(['duplicate_id', 'unknown_node_type', 'invalid_param', 'dangling_edge', 'missing_input']));
  });
});

describe('validation against the data (binder)', () => {
  it('unknown column gets the node, the field path and the closest name', async () => {
    const dir = await tempDir();
    const doc = pipeline([src(), { id: 'clean', type: 'transform.filter', params: { condition: "emial LIKE '%@%'" } }], ['src -> clean']);
    const [p] = await problemsOf(doc, dir);
    expect(p).toMatchObject({ code: 'unknown_column', nodeId: 'clean', column: 'emial', path: 'nodes[1].params.condition' });
    expect(p!.message).toBe("unknown column 'emial' in node 'clean' (did you mean 'email'?)");
  });

  it('unknown column in the second derived expression points at that field', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [src(), { id: 'd', type: 'transform.derive', params: { columns: [{ name: 'x', expression: 'id + 1' }, { name: 'y', expression: 'gpr * 2' }] } }],
      ['src -> d'],
    );
    const [p] = await problemsOf(doc, dir);
    expect(p).toMatchObject({ code: 'unknown_column', path: 'nodes[1].params.columns[1].expression', column: 'gpr' });
    expect(p!.message).toContain("did you mean 'grp'");
  });

  it('an expression cannot smuggle a second statement', async () => {
    const dir = await tempDir();
    const doc = pipeline([src(), { id: 'f', type: 'transform.filter', params: { condition: 'true); DROP TABLE x; --' } }], ['src -> f']);
    const [p] = await problemsOf(doc, dir);
    expect(p).toMatchObject({ code: 'invalid_expression', nodeId: 'f' });
  });

  it('an undeclared $param in an expression', async () => {
    const dir = await tempDir();
    const doc = pipeline([src(), { id: 'f', type: 'transform.filter', params: { condition: 'id > $limit' } }], ['src -> f']);
    const [p] = await problemsOf(doc, dir);
    expect(p).toMatchObject({ code: 'unknown_param', path: 'nodes[1].params.condition' });
  });

  it('an undeclared $param in a query is one problem that names it, the node and the closest param (not DuckDB\'s prepared-parameter error)', async () => {
    const dir = await tempDir();
    const doc = pipeline([{ id: 'nums', type: 'transform.sql', params: { query: 'SELECT range AS n FROM range(10) WHERE range > $mni_n' } }], [], { params: { min_n: { type: 'number', default: 1 } } });
    expect(await problemsOf(doc, dir)).toEqual([
      expect.objectContaining({
        code: 'unknown_param',
        nodeId: 'nums',
        path: 'nodes[0].params.query',
        message: "undeclared param 'mni_n' in node 'nums' (declare it under params, or did you mean 'min_n'?)",
      }),
    ]);
    const far = pipeline([src(), { id: 'f', type: 'transform.filter', params: { condition: 'id > $nope' } }], ['src -> f']);
    expect((await problemsOf(far, dir)).map((p) => p.message)).toEqual(["undeclared param 'nope' in node 'f' (declare it under params)"]);
  });

  it('transform.sql reading a node that is not its input', async () => {
    const dir = await tempDir();
    const doc = pipeline([src('a'), src('b'), { id: 'q', type: 'transform.sql', params: { query: 'SELECT * FROM b' } }], ['a -> q']);
    const [p] = await problemsOf(doc, dir);
    expect(p!.message).toBe("node 'q' reads 'b', which is not one of its inputs");
    expect(p!.hint).toBe('connected inputs: a');
  });

  // DuckDB's own words, once its internal view is named as the node, contradicted themselves:
  // 'Referenced table "src" not found! Candidate tables: src'.
  it('an expression that names its input node as a table says that an expression sees only columns', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [
        src(),
        { id: 'd', type: 'transform.derive', params: { columns: [{ name: 'z', expression: 'src.id + 1' }] } },
        { id: 'f', type: 'transform.filter', params: { condition: 'id IN (SELECT grp FROM src)' } },
        { id: 'q', type: 'quality.check', params: { checks: [{ name: 'qualified', kind: 'expression', expression: 'src.id >= 0' }, { name: 'sub', kind: 'expression', expression: 'id IN (SELECT grp FROM src)' }] } },
      ],
      ['src -> d', 'src -> f', 'src -> q'],
    );
    const messages = (await problemsOf(doc, dir)).map((p) => p.message);
    expect(messages).toEqual([
      "node 'd': 'src.' names node 'src': an expression sees only the columns of its input row, not nodes; write the column without 'src.'",
      "node 'f': 'src' is a node, which an expression cannot read: an expression sees only the columns of its input row, not nodes; to look values up in another node, join it (transform.join) first",
      "check 'qualified' (expression) in node 'q': 'src.' names node 'src': an expression sees only the columns of its input row, not nodes; write the column without 'src.'",
      "check 'sub' (expression) in node 'q': 'src' is a node, which an expression cannot read: an expression sees only the columns of its input row, not nodes; to look values up in another node, join it (transform.join) first",
    ]);
  });

  it('problems downstream of a broken node are not repeated', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [src(), { id: 'f', type: 'transform.filter', params: { condition: 'nope > 1' } }, { id: 'g', type: 'transform.filter', params: { condition: 'alsonope' } }],
      ['src -> f', 'f -> g'],
    );
    expect((await problemsOf(doc, dir)).map((p) => p.nodeId)).toEqual(['f']);
  });
});

describe('pipeline params named like Object.prototype members', () => {
  const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];

  it('are declared, overridden and substituted like any other name', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'part-42.csv'), 'x\nfrom the file\n');
    const params = Object.fromEntries(names.map((n, i) => [n, { type: 'number' as const, default: i }]));
    const select = names.map((n) => `$${n} AS "${n}"`).join(', ');
    const doc = pipeline(
      [
        { id: 'p', type: 'transform.sql', params: { query: `SELECT ${select}` } },
        { id: 'f', type: 'source.csv', params: { path: 'part-${toString}.csv' } },
      ],
      [],
      { params },
    );
    expect(await problemsOf(doc, dir, { toString: '42' })).toEqual([]);
    const r = await previewPipeline({ pipeline: doc, baseDir: dir, nodeId: 'p', params: { toString: '42' } });
    expect(r.rows).toEqual([{ constructor: 0, toString: 42, hasOwnProperty: 2, valueOf: 3 }]);
    const file = await previewPipeline({ pipeline: doc, baseDir: dir, nodeId: 'f', params: { toString: '42' } });
    expect(file.rows).toEqual([{ x: 'from the file' }]);
  });

  it('are not declared just because every object has them', async () => {
    const dir = await tempDir();
    const doc = pipeline([
      { id: 'p', type: 'transform.sql', params: { query: 'SELECT $constructor AS c' } },
      { id: 'f', type: 'source.csv', params: { path: '${toString}.csv' } },
    ]);
    expect((await problemsOf(doc, dir)).map((p) => [p.nodeId, p.code])).toEqual([
      ['f', 'unknown_param'],
      ['p', 'unknown_param'],
    ]);
    expect(resolveParamValues({}, { constructor: '1' }).problems.map((p) => p.message)).toEqual(["param 'constructor' is not declared by this pipeline"]);
  });
});

describe('pipeline params', () => {
  const declared = {
    run_date: { type: 'date' as const, default: '2024-01-31' },
    n: { type: 'number' as const },
    flag: { type: 'boolean' as const, default: false },
  };
  it('coerces overrides to their declared types', () => {
    const r = resolveParamValues(declared, { n: '5', flag: 'true' });
    expect(r.problems).toEqual([]);
    expect(r.values).toEqual({ run_date: { type: 'date', value: '2024-01-31' }, n: { type: 'number', value: 5, text: '5', decimal: '5' }, flag: { type: 'boolean', value: true } });
  });
  it('reports unknown, missing and mistyped values', () => {
    const r = resolveParamValues(declared, { run_dat: 'x', run_date: '2024-02-30' });
    expect(r.problems.map((p) => p.message)).toEqual([
      "param 'run_dat' is not declared by this pipeline (did you mean 'run_date'?)",
      'param \'run_date\' expects a date, got "2024-02-30"',
      "param 'n' has no default and no value was given",
    ]);
  });
});
