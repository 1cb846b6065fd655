import { describe, expect, it } from 'vitest';
import { nodeCatalog } from '../../../core/src/host/catalog.js';
import type { ParamJsonSchema } from '../model/types.js';
import { fieldPathKey, formModel, parseInput, unwrap } from './form-model.js';

const schemaOf = (type: string) => nodeCatalog().find((n) => n.type === type)!.paramsSchema as ParamJsonSchema;
const fields = (type: string) => formModel(schemaOf(type)).flatMap((g) => g.fields);

describe('form model from the node registry', () => {
  it('gives every param of every node a labelled widget the form can render', () => {
    for (const n of nodeCatalog()) {
      for (const f of formModel(n.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields)) {
        expect(f.label, `${n.type}.${f.key}`).toBeTruthy();
        expect(f.kind, `${n.type}.${f.key} has no widget`).not.toBe('json');
        if (f.kind === 'rows' || f.kind === 'object') expect(f.itemFields?.length, `${n.type}.${f.key}`).toBeGreaterThan(0);
        if (f.kind === 'select') expect(f.options?.length, `${n.type}.${f.key}`).toBeGreaterThan(0);
      }
    }
  });

  it('filter: one required SQL field with its label and placeholder', () => {
    expect(fields('transform.filter')).toEqual([
      expect.objectContaining({ key: 'condition', kind: 'sql', label: 'Keep rows where', required: true, placeholder: "status = 'completed' AND amount > 0" }),
    ]);
  });

  it('aggregate: column list, rows of aggregations with column pickers and a select, groups in order', () => {
    const groups = formModel(schemaOf('transform.aggregate'));
    expect(groups.map((g) => g.name)).toEqual(['Groups', 'Aggregations', 'Filter']);
    const [groupBy, aggs, having] = groups.flatMap((g) => g.fields);
    expect(groupBy).toMatchObject({ key: 'group_by', kind: 'columns', default: [] });
    expect(aggs).toMatchObject({ key: 'aggregations', kind: 'rows', required: true });
    const row = Object.fromEntries(aggs!.itemFields!.map((f) => [f.key, f]));
    expect(row.function).toMatchObject({ kind: 'select', required: true });
    expect(row.function!.options).toContain('sum');
    expect(row.column).toMatchObject({ kind: 'column', required: false });
    expect(row.descending).toMatchObject({ kind: 'boolean', default: false });
    expect(row.p).toMatchObject({ kind: 'number', min: 0, max: 1 });
    expect(having).toMatchObject({ kind: 'sql', required: false });
  });

  it('csv source: path, selects with defaults, lists, integer numbers', () => {
    const f = Object.fromEntries(fields('source.csv').map((x) => [x.key, x]));
    expect(f.path).toMatchObject({ kind: 'path', required: true, group: 'File' });
    expect(f.encoding).toMatchObject({ kind: 'select', default: 'auto', options: ['auto', 'utf-8', 'latin-1', 'windows-1252'] });
    expect(fields('source.parquet').find((x) => x.key === 'hive_partitioning')).toMatchObject({ kind: 'select', optionValues: ['auto', true, false], default: 'auto' });
    expect(f.null_strings).toMatchObject({ kind: 'string-list' });
    expect(f.skip_rows).toMatchObject({ kind: 'number', integer: true, min: 0 });
    expect(f.columns).toMatchObject({ kind: 'rows' });
  });

  it('parquet sink: partition columns come from the input port named in the metadata', () => {
    expect(fields('sink.parquet').find((f) => f.key === 'partition_by')).toMatchObject({ kind: 'columns', port: 'in' });
  });
});

describe('form model details', () => {
  it('infers widgets when no metadata says', () => {
    const groups = formModel({
      type: 'object',
      required: ['n'],
      properties: {
        n: { type: 'integer' },
        flag: { type: 'boolean' },
        mode: { type: 'string', enum: ['a', 'b'] },
        tags: { type: 'array', items: { type: 'string' } },
        map: { type: 'object', additionalProperties: { type: 'string' } },
        maybe: { anyOf: [{ type: 'string' }, { type: 'null' }], label: 'Maybe' },
      },
    });
    expect(groups).toHaveLength(1);
    expect(groups[0]!.fields.map((f) => [f.key, f.kind, f.label])).toEqual([
      ['n', 'number', 'N'],
      ['flag', 'boolean', 'Flag'],
      ['mode', 'select', 'Mode'],
      ['tags', 'string-list', 'Tags'],
      ['map', 'key-value', 'Map'],
      ['maybe', 'text', 'Maybe'],
    ]);
    expect(groups[0]!.fields[0]!.required).toBe(true);
  });

  it('unwraps nullable unions keeping the outer metadata', () => {
    expect(unwrap({ anyOf: [{ type: 'number' }, { type: 'null' }], label: 'X' })).toEqual({ type: 'number', label: 'X' });
  });

  it('parses typed input: empty unsets, numbers parse, bad numbers stay text for validation to explain', () => {
    expect(parseInput({ kind: 'number' }, '')).toBeUndefined();
    expect(parseInput({ kind: 'number' }, '12.5')).toBe(12.5);
    expect(parseInput({ kind: 'number' }, '12a')).toBe('12a');
    expect(parseInput({ kind: 'text' }, '007')).toBe('007');
  });

  it('field keys match the problem paths the host reports', () => {
    expect(fieldPathKey(['aggregations', 0, 'column'])).toBe('aggregations[0].column');
    expect(fieldPathKey(['condition'])).toBe('condition');
  });
});
