import { describe, expect, it } from 'vitest';
import { CaudalError } from '../util/errors.js';
import { parse, parseParams } from './args.js';

function usageError(fn: () => unknown): CaudalError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CaudalError);
    expect((e as CaudalError).kind).toBe('usage');
    return e as CaudalError;
  }
  throw new Error('expected a usage error');
}

describe('command-line slips are refused (exit 2), not ignored', () => {
  it('a second pipeline file', () => {
    expect(parse(['p.json', '-q'], { positionals: 1 }).positionals).toEqual(['p.json']);
    const e = usageError(() => parse(['p.json', 'extra.json'], { positionals: 1 }));
    expect(e.message).toBe("unexpected argument 'extra.json'");
    expect(e.hint).toMatch(/one pipeline file; run it once per file/);
    expect(usageError(() => parse(['p.json', 'a', 'b'], { positionals: 1 })).message).toBe("unexpected arguments 'a', 'b'");
  });

  it('a value option given twice (parseArgs kept the last one without a word); flags and options taking several values may repeat', () => {
    const e = usageError(() => parse(['p.json', '--limit', '10', '--limit=100']));
    expect(e.message).toBe('--limit is given twice ("10", then "100")');
    expect(e.hint).toBe('give --limit once');
    expect(usageError(() => parse(['p.json', '--threads', '2', '--threads', '2'])).message).toBe('--threads is given twice ("2", then "2")');
    expect(parse(['p.json', '--node', 'a', '--node', 'b', '-p', 'x=1', '-p', 'y=2', '--json', '--json']).values).toMatchObject({ node: ['a', 'b'], param: ['x=1', 'y=2'], json: true });
  });

  it('a param given twice', () => {
    expect(parseParams(['who=a', 'n=1', 'eq=a=b'])).toEqual({ who: 'a', n: '1', eq: 'a=b' });
    const e = usageError(() => parseParams(['who=a', 'who=b']));
    expect(e.message).toBe(`--param 'who' is given twice ("a", then "b")`);
    expect(usageError(() => parseParams(['x=1', 'x=1'], '--set')).message).toBe(`--set 'x' is given twice ("1", then "1")`);
  });
});
