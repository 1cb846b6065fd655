import { describe, expect, it } from 'vitest';
import { nodeCatalog } from '../../../core/src/host/catalog.js';
import { getNodeDefinition } from '../../../core/src/nodes/index.js';
import { REPORT_MISSING, zodProblems } from '../../../core/src/model/load.js';
import type { ParamJsonSchema, Problem } from '../model/types.js';
import { formModel } from './form-model.js';
import { problemText } from './messages.js';

const fieldsOf = (type: string) => formModel(nodeCatalog().find((n) => n.type === type)!.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields);

/**
 * The problems the host reports for these params: the node's real zod schema, worded as the
 * structure check words them (compiler/validate.ts), so a change in zod's wording fails here.
 */
function reported(type: string, params: Record<string, unknown>): Problem[] {
  const parsed = getNodeDefinition(type)!.params.safeParse(params, REPORT_MISSING);
  expect(parsed.success).toBe(false);
  return zodProblems(parsed.error!, ['nodes', 0, 'params'], 'invalid_param').map((p) => ({
    ...p,
    nodeId: 'n',
    field: p.path.replace(/^nodes\[0\]\.params\.?/, ''),
    message: `node 'n' (${type}): ${p.message}`,
  }));
}

/** What the form and the toolbar's list show for the one problem these params have. */
function shown(type: string, params: Record<string, unknown>): { where: string | null; text: string } {
  const problems = reported(type, params);
  expect(problems).toHaveLength(1);
  return problemText(problems[0]!, fieldsOf(type), params);
}

const check = { kind: 'not_null', name: 'id present', column: 'id', severity: 'warn' };
const quality = (over: Record<string, unknown>, checkOver: Record<string, unknown> = {}) => ({ checks: [{ ...check, ...checkOver }], ...over });

describe("zod's size and whole-number wordings in the form's words", () => {
  it('a fraction in Sample failing rows asks for a whole number', () => {
    expect(shown('quality.check', quality({ samples: 1.5 }))).toEqual({ where: 'Sample failing rows', text: 'Enter a whole number.' });
    // z.int() says the same as z.number().int().
    expect(shown('sink.s3', { connection: 'c', url: 's3://b/k.csv', part_size_mb: 6.5 }).text).toBe('Enter a whole number.');
  });

  it('text too long or too short says how many characters', () => {
    expect(shown('quality.check', quality({}, { name: 'x'.repeat(201) }))).toEqual({ where: 'Check 1 › Check name', text: 'At most 200 characters.' });
    expect(shown('source.csv', { path: 'a.csv', delimiter: 'abcde' }).text).toBe('At most 4 characters.');
    expect(shown('source.csv', { path: 'a.csv', quote: '"\'' }).text).toBe('At most 1 character.');
    expect(shown('source.csv', { path: 'a.csv', comment: '##' }).text).toBe('Exactly 1 character.');
    // Empty where text is required is still a missing value.
    expect(shown('quality.check', quality({}, { name: '' })).text).toBe('Required.');
  });

  it('lists too long or too short say how many entries', () => {
    const routes = Array.from({ length: 9 }, (_, i) => ({ name: `r${i}`, condition: 'true' }));
    expect(shown('transform.split', { routes })).toEqual({ where: 'Routes', text: 'At most 8 entries.' });
    expect(shown('quality.check', { checks: [] }).text).toBe('Add at least one check.');
  });

  it('numbers out of range say the bound', () => {
    expect(shown('quality.check', quality({ samples: 101 })).text).toBe('Enter a number at most 100.');
    expect(shown('quality.check', quality({}, { weight: 0 })).text).toBe('Enter a number more than 0.');
    expect(shown('sink.s3', { connection: 'c', url: 's3://b/k.csv', part_size_mb: 1 }).text).toBe('Enter a number at least 5.');
  });

  it("no raw zod wording reaches the form or the toolbar's list", () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['quality.check', quality({ samples: 1.5 })],
      ['quality.check', quality({ samples: -1 })],
      ['quality.check', quality({ min_score: 101 })],
      ['quality.check', quality({}, { name: 'x'.repeat(201) })],
      ['quality.check', quality({}, { mostly: 2 })],
      ['source.csv', { path: 'a.csv', comment: '' }],
      ['source.rest', { url: '/x', concurrency: 1.5 }],
      ['transform.limit', { count: 'ten' }],
    ];
    for (const [type, params] of cases) {
      const { text } = shown(type, params);
      expect(text, `${type} ${JSON.stringify(params)}`).not.toMatch(/Too (big|small)|expected|\bint\b|[<>]=?\d/);
    }
  });
});
