import { describe, expect, it } from 'vitest';
import { checkExpressionShape, ident, literal, substituteParams, tokenize } from '../core/src/compiler/sql.js';
import { buildGraph, topologicalOrder, upstreamClosure } from '../core/src/compiler/graph.js';
import { inspect, pipeline, tempDir } from './support/pipeline.js';

describe('quoting helpers', () => {
  it('quotes identifiers and doubles embedded quotes', () => {
    expect(ident('My "Orders"')).toBe('"My ""Orders"""');
    expect(literal("O'Brien")).toBe("'O''Brien'");
    expect(literal(null)).toBe('NULL');
    expect(literal(1.5)).toBe('1.5');
    expect(literal([1, 'a'])).toBe("[1, 'a']");
    expect(() => literal(Number.NaN)).toThrow();
  });

  it('substitutes $params outside strings, quoted identifiers and comments only', () => {
    const sql = `d >= $run_date AND note = '$run_date' AND "$run_date" > 0 -- $run_date\nAND x = $other`;
    const unknown: string[] = [];
    const out = substituteParams(sql, { run_date: "DATE '2024-01-01'" }, (n) => unknown.push(n));
    expect(out).toBe(`d >= DATE '2024-01-01' AND note = '$run_date' AND "$run_date" > 0 -- $run_date\nAND x = $other`);
    expect(unknown).toEqual(['other']);
  });

  it('a string param value cannot break out of its literal', () => {
    const out = substituteParams('name = $who', { who: literal("x' OR 1=1 --") });
    expect(out).toBe("name = 'x'' OR 1=1 --'");
    expect(tokenize(out).filter((t) => t.kind === 'string')).toHaveLength(1);
  });

  it('expression shape: balanced, single statement, not empty', () => {
    expect(checkExpressionShape('a > 1')).toBeUndefined();
    expect(checkExpressionShape("a = ')'")).toBeUndefined();
    expect(checkExpressionShape('a > 1)')).toMatch(/unbalanced/);
    expect(checkExpressionShape('(a > 1')).toMatch(/unclosed/);
    expect(checkExpressionShape('1; DROP TABLE t')).toMatch(/several statements/);
    expect(checkExpressionShape("'abc")).toMatch(/unterminated string/);
    expect(checkExpressionShape('  -- nothing')).toBe('the expression is empty');
  });
});

describe('graph', () => {
  const f = (id: string) => ({ id, type: 'transform.filter', params: { condition: 'true' } });
  it('orders topologically, keeping document order between independent nodes', () => {
    const doc = pipeline([f('d'), f('c'), f('b'), f('a')], ['a -> b', 'c -> d']);
    expect(topologicalOrder(buildGraph(doc))).toEqual(['c', 'd', 'a', 'b']);
  });
  it('computes the upstream closure of a node', () => {
    const doc = pipeline([f('a'), f('b'), f('c'), f('x')], ['a -> b', 'b -> c', 'x -> c']);
    expect([...upstreamClosure(buildGraph(doc), ['b'])].sort()).toEqual(['a', 'b']);
  });
});

describe('compiled SQL (snapshots)', () => {
  it('each transform compiles to readable SQL with params as literals', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [
        { id: 'orders', type: 'transform.sql', params: { query: "SELECT range AS id, 'Completed ' AS status, range * 1.5 AS amount FROM range(5);" } },
        { id: 'keep', type: 'transform.filter', params: { condition: 'amount >= $min AND id <> 3' } },
        { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'status', expression: 'lower(trim(status))' }, { name: 'amount_x2', expression: 'amount * 2' }] } },
        { id: 'pick', type: 'transform.select', params: { columns: [{ column: 'id', as: 'order_id' }, { column: 'amount_x2' }] } },
        { id: 'drop', type: 'transform.select', params: { drop: ['status'] } },
        { id: 'q', type: 'transform.sql', params: { query: 'SELECT count(*) AS n FROM pick JOIN "drop" ON pick.order_id = "drop".id' } },
      ],
      ['orders -> keep', 'keep -> calc', 'calc -> pick', 'calc -> drop', 'pick -> q', 'drop -> q'],
      { params: { min: { type: 'number', default: 1.5 } } },
    );
    const result = await inspect({ pipeline: doc, baseDir: dir });
    expect(result.problems).toEqual([]);
    const sql = Object.fromEntries(result.nodes.map((n) => [n.nodeId, n.outputs[0]!.sql]));
    expect(sql).toMatchSnapshot();
    const schemas = Object.fromEntries(result.nodes.map((n) => [n.nodeId, n.outputs[0]!.columns.map((c) => `${c.name} ${c.type}`).join(', ')]));
    expect(schemas).toEqual({
      orders: 'id BIGINT, status VARCHAR, amount DECIMAL(21,1)',
      keep: 'id BIGINT, status VARCHAR, amount DECIMAL(21,1)',
      calc: 'id BIGINT, status VARCHAR, amount DECIMAL(21,1), amount_x2 DECIMAL(31,1)',
      pick: 'order_id BIGINT, amount_x2 DECIMAL(31,1)',
      drop: 'id BIGINT, amount DECIMAL(21,1), amount_x2 DECIMAL(31,1)',
      q: 'n BIGINT',
    });
  });

  it('a --param override changes the literal, typed by its declaration', async () => {
    const dir = await tempDir();
    const doc = pipeline(
      [
        { id: 's', type: 'transform.sql', params: { query: "SELECT DATE '2024-01-01' + range::INT AS d FROM range(3)" } },
        { id: 'f', type: 'transform.filter', params: { condition: 'd >= $since' } },
      ],
      ['s -> f'],
      { params: { since: { type: 'date', default: '2024-01-02' } } },
    );
    const r = await inspect({ pipeline: doc, baseDir: dir, params: { since: '2024-01-03' } });
    expect(r.nodes[1]!.outputs[0]!.sql).toContain("d >= DATE '2024-01-03'");
  });
});
