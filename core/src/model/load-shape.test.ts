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
