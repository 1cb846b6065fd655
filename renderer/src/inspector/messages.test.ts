import { describe, expect, it } from 'vitest';
import { nodeCatalog } from '../../../core/src/host/catalog.js';
import type { ParamJsonSchema, Problem } from '../model/types.js';
import { formModel } from './form-model.js';
import { fieldAtPath, friendlyMessage, problemText, unknownKeys } from './messages.js';
import { errorsByField, revealedProblems } from './Inspector.js';
import { describeDetected, detectedValue, namedArgs } from './detected.js';

const fieldsOf = (type: string) => formModel(nodeCatalog().find((n) => n.type === type)!.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields);
const problem = (field: string, message: string, hint?: string, code = 'invalid_param'): Problem => ({ code, path: `nodes[3].params.${field}`, field, message, hint, nodeId: 'n' });

describe('problems in the form\'s words', () => {
  it('a missing value says what to do for that kind of field', () => {
    const f = fieldsOf('transform.aggregate');
    const msg = (field: string) => friendlyMessage(problem(field, "node 'n' (transform.aggregate): Invalid input: expected array, received undefined", 'this field is required'), fieldAtPath(f, field, {}).field);
    expect(msg('aggregations')).toBe('Add at least one aggregation.');
    expect(friendlyMessage(problem('condition', 'Invalid input: expected string, received undefined'), fieldsOf('transform.filter')[0])).toBe('Required: write an expression.');
    expect(friendlyMessage(problem('path', 'Invalid input: expected string, received undefined'), fieldsOf('source.csv').find((x) => x.key === 'path'))).toBe('Required: choose a file.');
    expect(friendlyMessage({ message: 'Too small: expected number to be >0' })).toBe('Enter a number more than 0.');
    expect(friendlyMessage({ message: 'Invalid option: expected one of "a"|"b"' })).toBe('Choose one of: a, b.');
    expect(friendlyMessage({ message: "node 'f' (transform.filter) has nothing connected to its input 'in'", hint: 'add an edge to "f:in"' })).toMatch(/^Nothing is connected to its input 'in' yet/);
    // Messages that already speak to the user keep their words, without the node prefix.
    expect(friendlyMessage({ message: "node 'n' (transform.aggregate): percentile needs p (from 0 to 1)", hint: 'e.g. 0.9 for the 90th percentile' })).toBe('percentile needs p (from 0 to 1) (e.g. 0.9 for the 90th percentile)');
  });

  it('JSON paths become field labels, through list entries and check kinds', () => {
    const params = { checks: [{ kind: 'not_null', name: 'a' }, { kind: 'between', name: 'b' }] };
    expect(problemText(problem('checks[1].column', 'Invalid input: expected string, received undefined'), fieldsOf('quality.check'), params)).toEqual({ where: 'Check 2 › Column', text: 'Required: choose a column.' });
    expect(problemText(problem('aggregations[0].function', 'x'), fieldsOf('transform.aggregate'), {}).where).toBe('Aggregation 1 › Function');
  });

  it('a fresh node shows problems of what was typed or finished, not of what is still empty', () => {
    const problems = [problem('condition', "unknown column 'stauts'"), problem('aggregations', 'Invalid input: expected array, received undefined'), { ...problem('', 'x', undefined, 'missing_input'), field: undefined, path: 'nodes[3]' }];
    expect(revealedProblems(problems, undefined)).toHaveLength(3);
    expect(revealedProblems(problems, [], { condition: 'stauts = 1' }).map((p) => p.field)).toEqual(['condition']);
    expect(revealedProblems(problems, ['aggregations'], {}).map((p) => p.field)).toEqual(['aggregations']);
    expect(errorsByField([problems[1]!], fieldsOf('transform.aggregate'), {})).toEqual({ aggregations: [{ message: 'Add at least one aggregation.', column: undefined }] });
  });
});

describe('what a source detected', () => {
  const sql = "SELECT *\nFROM read_csv('/x/t.csv', delim := ';', quote := '', escape := '''', new_line := '\\n', skip := 0, header := TRUE, columns := {'a': 'BIGINT'})";
  it('reads the named arguments of the planned read', () => {
    expect(namedArgs(sql)).toMatchObject({ delim: ';', quote: '', escape: "'", skip: 0, header: true });
    expect(detectedValue(sql, 'header')).toBe(true);
    expect(detectedValue(sql, 'delimiter')).toBe(';');
    expect(detectedValue(sql, 'skip_rows')).toBe(0);
    expect(detectedValue(undefined, 'header')).toBeUndefined();
    expect([true, false, '', '\t', ';'].map(describeDetected)).toEqual(['yes', 'no', 'none', 'tab', ';']);
  });
});

describe('keys a node does not know', () => {
  it('are read from the problem with where they sit, so the inspector can remove them', () => {
    expect(unknownKeys({ path: 'nodes[1].params', field: '', message: `node 'f' (transform.filter): Unrecognized key: "conditon"` })).toEqual({ at: [], keys: ['conditon'] });
    expect(unknownKeys({ path: 'nodes[1].params.aggregations[0]', field: 'aggregations[0]', message: 'Unrecognized keys: "colum", "x"' })).toEqual({ at: ['aggregations', 0], keys: ['colum', 'x'] });
    expect(unknownKeys({ path: 'nodes[1].params.condition', field: 'condition', message: 'Required.' })).toBeUndefined();
  });

  it('are worded with the way out the studio offers, not "remove it from the file"', () => {
    expect(friendlyMessage({ message: 'Unrecognized key: "conditon"' })).toBe('Not a setting of this node: "conditon" (select the node and press Remove beside it).');
  });
});
