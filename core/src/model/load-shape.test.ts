import { describe, expect, it } from 'vitest';
import { parsePipelineText } from './load.js';

const doc = (params: string) =>
  `{"format":"caudal.pipeline/1","name":"p","nodes":[{"id":"src","type":"source.csv","params":${params}}],"edges":[]}`;

describe('a pipeline file of an absurd shape', () => {
  it('nested deeper than any pipeline is a problem naming where, not a stack overflow', () => {
    const deep = `{"path":"a.csv","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = parsePipelineText(doc(deep), 'deep.json');
    expect(r.pipeline).toBeUndefined();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.path).toBe('nodes[0].params.x');
    expect(r.problems[0]!.message).toMatch(/^deep\.json: nodes\[0\]\.params\.x is nested more than 128 levels deep/);
  });

  it("with a '__proto__' key is a problem naming it, not a key silently dropped", () => {
    const r = parsePipelineText(doc('{"path":"a.csv","__proto__":{"x":1}}'), 'proto.json');
    expect(r.pipeline).toBeUndefined();
    expect(r.problems.map((p) => [p.path, p.message])).toEqual([['nodes[0].params', "proto.json: nodes[0].params has a key '__proto__', which cannot be kept: rename it"]]);
  });
});

describe('numbers a JSON reader would change', () => {
  it('an integer beyond 2^53 is refused where it stands, saying what it would be read as and to write a string', () => {
    const r = parsePipelineText(doc('{"path":"a.csv","filters":[{"column":"id","op":"=","value":9007199254740993}],"limit":-12345678901234567890}'), 'big.json');
    expect(r.pipeline).toBeUndefined();
    expect(r.problems).toEqual([
      expect.objectContaining({ path: 'nodes[0].params.filters[0].value', message: 'big.json: nodes[0].params.filters[0].value is 9007199254740993 (line 1), an integer beyond 2^53, which a JSON number cannot hold: it would be read as 9007199254740992', hint: expect.stringContaining('write it as a string ("9007199254740993")') }),
      expect.objectContaining({ path: 'nodes[0].params.limit', message: expect.stringContaining('it would be read as -12345678901234567168') }),
    ]);
  });

  it('a number beyond the range of a double is refused; fractions and integers a double holds are not', () => {
    expect(parsePipelineText(doc('{"path":"a.csv","x":1e400}'), 'p.json').problems).toEqual([expect.objectContaining({ path: 'nodes[0].params.x', message: expect.stringContaining('read as infinity') })]);
    const fine = parsePipelineText(doc('{"path":"a.csv","skip_rows":9007199254740992,"x":0.1,"y":1e20,"z":-0}'), 'p.json');
    expect(fine.problems.filter((p) => p.code === 'invalid_json')).toEqual([]);
  });
});

describe('connection names', () => {
  it('that differ only in case or in - and _ are refused: headless runs would read both secrets from one variable', () => {
    const text = `{"format":"caudal.pipeline/1","name":"p","connections":{"dw-eu":{"type":"postgres"},"DW_EU":{"type":"postgres"},"dw_us":{"type":"postgres"}},"nodes":[],"edges":[]}`;
    const r = parsePipelineText(text, 'two.json');
    expect(r.pipeline).toBeUndefined();
    expect(r.problems.map((p) => [p.path, p.message])).toEqual([
      ['connections.DW_EU', "connections 'dw-eu' and 'DW_EU' differ only in case or in - and _, so headless runs would read both secrets from the same variables (CAUDAL_SECRET_DW_EU_*): rename one"],
    ]);
    expect(parsePipelineText(text.replace('"DW_EU"', '"dw_eu2"'), 'ok.json').problems).toEqual([]);
  });
});
