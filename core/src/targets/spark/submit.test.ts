import { describe, expect, it } from 'vitest';
import { readResult } from './submit.js';

describe('readResult (the Spark job\'s result.json)', () => {
  it('reads a report as written', () => {
    expect(readResult('{"status": "failed", "error": {"kind": "quality", "message": "m"}}', 3)).toEqual({ status: 'failed', error: { kind: 'quality', message: 'm' } });
  });

  it('never turns a committed run into a failed one because its report does not parse (bare NaN)', () => {
    const text = '{\n  "runId": "r",\n  "pipeline": "p",\n  "status": "succeeded",\n  "nodes": {},\n  "quality": [{"checks": [{"samples": [{"f": NaN}]}]}]\n}';
    expect(readResult(text, 0)).toEqual({ exitCode: 0, status: 'succeeded' });
    expect(readResult('{"status": "succeeded", "quality": [NaN', 1).status).toBe('succeeded');
    expect(readResult('not json at all', 0).status).toBe('succeeded');
  });

  it("keeps a failed run's kind and message when the report does not parse", () => {
    const text = '{"status": "failed", "quality": [{"f": NaN, "status": "x"}], "error": {"kind": "quality", "message": "node \\u0027qc\\u0027: 1 check failed"}}';
    expect(readResult(text, 3)).toEqual({ exitCode: 3, status: 'failed', error: { kind: 'quality', message: "node 'qc': 1 check failed" } });
    expect(readResult('garbage', 1)).toMatchObject({ status: 'failed', error: { kind: 'execution' } });
  });
});
