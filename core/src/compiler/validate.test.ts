import { describe, expect, it } from 'vitest';
import { parsePipelineObject } from '../model/load.js';
import type { Pipeline } from '../model/schema.js';
import { exactDecimal, resolveParamValues, validateStructure } from './validate.js';

function doc(nodes: Array<{ id: string; type: string; params?: Record<string, unknown> }>, edges: Array<[string, string]> = []): Pipeline {
  const r = parsePipelineObject({
    format: 'caudal.pipeline/1',
    name: 't',
    nodes: nodes.map((n) => ({ params: {}, ...n })),
    edges: edges.map(([from, to]) => ({ from, to })),
  });
  if (!r.pipeline) throw new Error(JSON.stringify(r.problems));
  return r.pipeline;
}

describe('node ids that differ only in letter case', () => {
  it('are refused, naming both ids (DuckDB view names ignore case)', () => {
    const d = doc(
      [
        { id: 'src', type: 'source.csv', params: { path: 'data.csv' } },
        { id: 'Src', type: 'source.csv', params: { path: 'other.csv' } },
        { id: 'out2', type: 'sink.csv', params: { path: 'o2.csv' } },
        { id: 'OUT2', type: 'sink.csv', params: { path: 'o3.csv' } },
      ],
      [
        ['src:out', 'out2:in'],
        ['Src:out', 'OUT2:in'],
      ],
    );
    const problems = validateStructure(d).problems.filter((p) => p.code === 'duplicate_id');
    expect(problems.map((p) => [p.path, p.nodeId, p.message])).toEqual([
      ['nodes[1].id', 'Src', "node ids 'src' (nodes[0]) and 'Src' (nodes[1]) differ only in letter case; node names in SQL ignore case, so they would be the same node"],
      ['nodes[3].id', 'OUT2', "node ids 'out2' (nodes[2]) and 'OUT2' (nodes[3]) differ only in letter case; node names in SQL ignore case, so they would be the same node"],
    ]);
    expect(problems[0]!.hint).toMatch(/rename one of them/);
  });

  it('ids that differ otherwise are fine, and an exact duplicate is still reported as such', () => {
    const d = doc([
      { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1' } },
      { id: 'src_2', type: 'transform.sql', params: { query: 'SELECT 1' } },
      { id: 'src', type: 'transform.sql', params: { query: 'SELECT 1' } },
    ]);
    expect(validateStructure(d).problems.map((p) => p.message)).toEqual(["duplicate node id 'src' (also used by nodes[0])"]);
  });
});

describe('number params are the exact decimal written', () => {
  const declared = { id: { type: 'number' as const } };
  const value = (raw: string) => resolveParamValues(declared, { id: raw });

  it('keeps integers beyond 2^53 and long decimals exact', () => {
    expect(value('9007199254740993').values.id).toMatchObject({ decimal: '9007199254740993', text: '9007199254740993' });
    expect(value('12345678901234567891').values.id).toMatchObject({ decimal: '12345678901234567891' });
    expect(value('1.00000000000000001').values.id).toMatchObject({ decimal: '1.00000000000000001' });
    expect(value('-0.5').values.id).toMatchObject({ decimal: '-0.5', value: -0.5 });
  });

  it('writes other decimal notations as their canonical value, keeping the spelling for paths', () => {
    expect(exactDecimal('+007.50')).toEqual({ decimal: '7.5' });
    expect(exactDecimal('2.5e3')).toEqual({ decimal: '2500' });
    expect(exactDecimal('1e-3')).toEqual({ decimal: '0.001' });
    expect(exactDecimal('.5')).toEqual({ decimal: '0.5' });
    expect(exactDecimal('-0')).toEqual({ decimal: '0' });
    expect(exactDecimal(' 42 ')).toEqual({ decimal: '42' });
    expect(value('007').values.id).toMatchObject({ text: '007', decimal: '7' });
  });

  it.each([
    ['0x10', 'not a decimal number'],
    ['0b11', 'not a decimal number'],
    ['0o17', 'not a decimal number'],
    ['Infinity', 'not a decimal number'],
    ['-Infinity', 'not a decimal number'],
    ['NaN', 'not a decimal number'],
    ['1,5', 'not a decimal number'],
    ['1_000', 'not a decimal number'],
    ['1e', 'not a decimal number'],
    ['.', 'not a decimal number'],
    ['', 'the value is empty'],
    ['  ', 'the value is empty'],
    ['1e400', 'it has 401 digits; DuckDB keeps at most 38 exactly'],
    ['1e-400', 'it has 401 digits; DuckDB keeps at most 38 exactly'],
    ['1e99999', 'its exponent is beyond'],
    ['123456789012345678901234567890123456789', 'it has 39 digits'],
  ])('refuses %j with a message naming the param and what to write', (raw, why) => {
    const r = value(raw);
    expect(r.values).toEqual({});
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toContain(`param 'id' expects a number, got ${JSON.stringify(raw)}: ${why}`);
    expect(r.problems[0]!.hint).toMatch(/decimal digits, as in 42, -1\.5 or 2\.5e3/);
  });

  it('a JSON default keeps its value; an infinite one is refused', () => {
    expect(resolveParamValues({ n: { type: 'number', default: 0.1 } }, {}).values.n).toMatchObject({ decimal: '0.1' });
    expect(resolveParamValues({ n: { type: 'number', default: 1e21 } }, {}).values.n).toMatchObject({ decimal: '1000000000000000000000' });
    expect(resolveParamValues({ n: { type: 'number', default: Infinity } }, {}).problems[0]!.message).toMatch(/not a finite number/);
  });
});
