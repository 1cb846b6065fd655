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
