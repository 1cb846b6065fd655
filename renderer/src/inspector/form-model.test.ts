import { describe, expect, it } from 'vitest';
import { nodeCatalog } from '../../../core/src/host/catalog.js';
import type { ParamJsonSchema } from '../model/types.js';
import { entryFields, fieldPathKey, formatScalar, formModel, jsonShapeOf, keepsExactly, parseInput, parseScalar, readNumber, readScalar, unwrap, type FieldModel } from './form-model.js';
import { isVisible } from './visibility.js';
import { LEGACY_ENCODINGS, UTF16_ENCODINGS } from '../../../core/src/util/transcode.js';

const schemaOf = (type: string) => nodeCatalog().find((n) => n.type === type)!.paramsSchema as ParamJsonSchema;
const fields = (type: string) => formModel(schemaOf(type)).flatMap((g) => g.fields);

describe('form model from the node registry', () => {
  it('gives every param of every node a labelled widget the form can render', () => {
    for (const n of nodeCatalog()) {
      for (const f of formModel(n.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields)) {
        expect(f.label, `${n.type}.${f.key}`).toBeTruthy();
        expect(f.kind, `${n.type}.${f.key} has no widget`).not.toBe('json');
        if (f.kind === 'rows' || f.kind === 'object') expect((f.itemFields ?? f.variants)?.length, `${n.type}.${f.key}`).toBeGreaterThan(0);
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
    expect(f.encoding).toMatchObject({ kind: 'select', default: 'auto', options: ['auto', 'utf-8', ...UTF16_ENCODINGS, ...LEGACY_ENCODINGS] });
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
        flag: { type: 'boolean', default: false },
        mode: { type: 'string', enum: ['a', 'b'] },
        tags: { type: 'array', items: { type: 'string' } },
        map: { type: 'object', additionalProperties: { type: 'string' } },
        maybe: { anyOf: [{ type: 'number' }, { type: 'string' }], label: 'Maybe' },
      },
    });
    expect(groups).toHaveLength(1);
    expect(groups[0]!.fields.map((f) => [f.key, f.kind, f.label])).toEqual([
      ['n', 'number', 'N'],
      ['flag', 'boolean', 'Flag'],
      ['mode', 'select', 'Mode'],
      ['tags', 'string-list', 'Tags'],
      ['map', 'key-value', 'Map'],
      ['maybe', 'scalar', 'Maybe'],
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

/** Every value a node's example holds, walked against the form: each must land on a field that can show it. */
function unshown(fields: FieldModel[], value: Record<string, unknown>, at: string, picker?: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (k === picker) continue; // shown by the kind picker
    const f = fields.find((x) => x.key === k);
    if (!f || f.kind === 'json') {
      out.push(`${at}${k}`);
      continue;
    }
    if (f.kind === 'rows' && Array.isArray(v)) v.forEach((e, i) => out.push(...unshown(entryFields(f, e), e as Record<string, unknown>, `${at}${k}[${i}].`, f.discriminator)));
    if (f.kind === 'object' && v && typeof v === 'object') out.push(...unshown(entryFields(f, v).length ? entryFields(f, v) : (f.itemFields ?? []), v as Record<string, unknown>, `${at}${k}.`));
  }
  return out;
}

describe('every param shape gets a real form', () => {
  it("every registered node's example params are shown by fields (none falls back to raw JSON)", () => {
    for (const n of nodeCatalog()) {
      const fieldsOf = formModel(n.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields);
      expect(unshown(fieldsOf, (n.example.params ?? {}) as Record<string, unknown>, ''), n.type).toEqual([]);
    }
  });

  it('quality checks: a list of checks picked by kind, each kind with its own fields and column pickers', () => {
    const checks = fields('quality.check').find((f) => f.key === 'checks')!;
    expect(checks).toMatchObject({ kind: 'rows', discriminator: 'kind', itemLabel: 'check', required: true });
    expect(checks.variants!.map((v) => v.value)).toEqual(expect.arrayContaining(['not_null', 'unique', 'between', 'in_set', 'expression', 'row_count_between']));
    const between = entryFields(checks, { kind: 'between' });
    expect(between.map((f) => f.key)).toEqual(expect.arrayContaining(['name', 'severity', 'column', 'min', 'max']));
    expect(between.find((f) => f.key === 'column')).toMatchObject({ kind: 'column', port: 'in' });
    expect(between.find((f) => f.key === 'min')).toMatchObject({ kind: 'scalar', scalarTypes: ['number', 'string'] });
    expect(entryFields(checks, { kind: 'unique' }).find((f) => f.key === 'columns')).toMatchObject({ kind: 'columns' });
    expect(entryFields(checks, { kind: 'in_set' }).find((f) => f.key === 'values')).toMatchObject({ kind: 'string-list', itemKind: 'scalar' });
    expect(entryFields(checks, { kind: 'schema' }).find((f) => f.key === 'columns')).toMatchObject({ kind: 'rows' });
    expect(entryFields(checks, { kind: 'nope' })).toEqual([]);
  });

  it('optional booleans that are detected when unset are auto / yes / no; defaults keep a checkbox', () => {
    const csv = Object.fromEntries(fields('source.csv').map((x) => [x.key, x]));
    expect(csv.header).toMatchObject({ kind: 'tristate', required: false });
    expect(csv.all_varchar).toMatchObject({ kind: 'boolean', default: false });
  });

  it('settings that apply to some choices only appear for them (and whenever they hold a value)', () => {
    const aggs = fields('transform.aggregate').find((f) => f.key === 'aggregations')!;
    const row = aggs.itemFields!;
    const shown = (entry: Record<string, unknown>) => row.filter((f) => isVisible(f, entry[f.key], entry, row, new Set())).map((f) => f.key);
    expect(shown({ name: 'n', function: 'count' })).toEqual(['name', 'function', 'column']);
    expect(shown({ name: 'n', function: 'sum' })).toEqual(['name', 'function', 'column']);
    expect(shown({ name: 'p90', function: 'percentile' })).toEqual(['name', 'function', 'column', 'p']);
    expect(shown({ name: 's', function: 'string_agg' })).toEqual(['name', 'function', 'column', 'order_by', 'descending', 'separator']);
    expect(shown({ name: 'f', function: 'first' })).toEqual(['name', 'function', 'column', 'order_by']);
    expect(shown({ name: 'n', function: 'sum', separator: ';' })).toContain('separator');
    const mv = fields('transform.map_values');
    const mvShown = (params: Record<string, unknown>, ports: string[]) => mv.filter((f) => isVisible(f, params[f.key], params, mv, new Set(ports))).map((f) => f.key);
    expect(mvShown({}, ['in'])).not.toContain('from_column');
    expect(mvShown({}, ['in', 'mapping'])).toContain('from_column');
    expect(mvShown({ unmapped: 'value' }, ['in'])).toContain('unmapped_value');
    expect(mvShown({}, ['in'])).not.toContain('unmapped_value');
    const win = fields('transform.window').find((f) => f.key === 'columns')!.itemFields!;
    expect(win.find((f) => f.key === 'rows')!.visibleWhen).toEqual({ key: 'function', values: ['moving_avg', 'moving_sum', 'moving_min', 'moving_max'] });
  });

  it('mixed values parse as the user means them, and show back the same way', () => {
    const t = ['string', 'number', 'boolean'] as const;
    expect(parseScalar('10', [...t])).toBe(10);
    expect(parseScalar('10', [...t], 'VARCHAR')).toBe('10');
    expect(parseScalar('10', [...t], 'BIGINT')).toBe(10);
    expect(parseScalar('"10"', [...t])).toBe('10');
    expect(parseScalar('true', [...t])).toBe(true);
    expect(parseScalar('shipped', [...t])).toBe('shipped');
    expect(parseScalar('null', ['string', 'null'])).toBeNull();
    expect(parseScalar('', [...t])).toBeUndefined();
    expect(formatScalar('10', [...t])).toBe('"10"');
    expect(formatScalar('10', [...t], 'VARCHAR')).toBe('10');
    expect(formatScalar(null, ['string', 'null'])).toBe('null');
    expect(fields('transform.map_values').find((f) => f.key === 'mappings')!.itemFields!.find((f) => f.key === 'to')).toMatchObject({ kind: 'scalar', scalarTypes: ['string', 'null'] });
  });
});

describe('values typed against a column follow that column', () => {
  it("a pivot's values follow the pivot column, not the value column", () => {
    expect(fields('transform.pivot').find((f) => f.key === 'values')).toMatchObject({ typedBy: { key: 'pivot_column' } });
  });

  it("a lookup default follows the reference column it defaults, listed from the reference input", () => {
    const columns = fields('transform.lookup').find((f) => f.key === 'columns')!;
    expect(columns.itemFields!.find((f) => f.key === 'default')).toMatchObject({ typedBy: { key: 'column', port: 'reference' } });
  });

  it('bounds of a check follow its column', () => {
    const between = entryFields(fields('quality.check').find((f) => f.key === 'checks')!, { kind: 'between' });
    expect(between.find((f) => f.key === 'min')).toMatchObject({ typedBy: { key: 'column', port: 'in' } });
  });
});

describe('param shapes the studio edits as the schema allows', () => {
  it('database filters: the value becomes a list while the operator is in / not_in', () => {
    for (const type of ['source.postgres', 'source.sqlserver']) {
      const filter = fields(type).find((f) => f.key === 'filters')!.itemFields!;
      expect(filter.find((f) => f.key === 'value'), type).toMatchObject({ kind: 'scalar', listWhen: { key: 'op', values: ['in', 'not_in'] } });
      expect(filter.find((f) => f.key === 'value')!.scalarTypes).toEqual(expect.arrayContaining(['string', 'number', 'boolean', 'list']));
    }
  });

  it('Elasticsearch mappings and settings are JSON objects, not key/text rows', () => {
    const es = Object.fromEntries(fields('sink.elasticsearch').map((f) => [f.key, f]));
    expect(es.mappings).toMatchObject({ kind: 'json-object' });
    expect(jsonShapeOf(es.mappings!)).toBe('object-of-objects');
    expect(es.settings).toMatchObject({ kind: 'json-object' });
    expect(jsonShapeOf(es.settings!)).toBe('object');
    // Maps of texts stay key/value rows.
    expect(fields('source.rest').find((f) => f.key === 'headers')).toMatchObject({ kind: 'key-value', itemKind: 'text' });
  });

  it("REST pagination: the total path shows for offset and page_number, the two types that read a total", () => {
    const pagination = fields('source.rest').find((f) => f.key === 'pagination')!.itemFields!;
    const shown = (type: string) => pagination.filter((f) => isVisible(f, undefined, { type }, pagination, new Set())).map((f) => f.key);
    expect(shown('offset')).toContain('total_path');
    expect(shown('page_number')).toContain('total_path');
    expect(shown('cursor')).not.toContain('total_path');
    expect(shown('none')).not.toContain('total_path');
  });

  it('an empty text can be entered where the schema takes one, and nowhere else', () => {
    const csv = Object.fromEntries(fields('source.csv').map((f) => [f.key, f]));
    expect(csv.quote).toMatchObject({ kind: 'text', allowsEmpty: true });
    expect(csv.escape).toMatchObject({ kind: 'text', allowsEmpty: true });
    expect(csv.null_strings).toMatchObject({ kind: 'string-list', itemKind: 'text', allowsEmpty: true });
    expect(csv.delimiter!.allowsEmpty).toBeUndefined(); // at least one character
    expect(csv.comment!.allowsEmpty).toBeUndefined(); // exactly one
    const mapping = fields('transform.map_values').find((f) => f.key === 'mappings')!.itemFields!;
    expect(mapping.find((f) => f.key === 'from')).toMatchObject({ kind: 'text', allowsEmpty: true });
    expect(fields('source.postgres').find((f) => f.key === 'columns')!.allowsEmpty).toBeUndefined();
  });
});

describe('which settings show: conditions are stated, never guessed from an explanation', () => {
  /** Every field of the catalogue that shows only under a condition, as `type path`: its condition. */
  function catalogConditions(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const walk = (type: string, f: FieldModel, at: string) => {
      const path = at ? `${at}.${f.key}` : f.key;
      if (f.visibleWhen) out[`${type} ${path}`] = f.visibleWhen;
      for (const c of f.itemFields ?? []) walk(type, c, `${path}[]`);
      for (const v of f.variants ?? []) for (const c of v.fields) walk(type, c, `${path}<${v.value}>`);
    };
    for (const n of nodeCatalog()) for (const f of formModel(n.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields)) walk(n.type, f, '');
    return out;
  }

  it('every conditional field of every node is one a reviewer listed here (a new or misread condition fails until checked)', () => {
    expect(catalogConditions()).toEqual({
      'transform.fill_nulls rules[].value': { key: 'strategy', values: ['constant'] },
      'transform.map_values from_column': { port: 'mapping' },
      'transform.map_values to_column': { port: 'mapping' },
      'transform.map_values unmapped_value': { key: 'unmapped', values: ['value'] },
      'transform.window columns[].offset': { key: 'function', values: ['lag', 'lead'] },
      'transform.window columns[].default': { key: 'function', values: ['lag', 'lead'] },
      'transform.window columns[].rows': { key: 'function', values: ['moving_avg', 'moving_sum', 'moving_min', 'moving_max'] },
      'transform.aggregate aggregations[].p': { key: 'function', values: ['percentile'] },
      'transform.aggregate aggregations[].order_by': { key: 'function', values: ['first', 'last', 'string_agg'] },
      'transform.aggregate aggregations[].descending': { key: 'function', values: ['string_agg'] },
      'transform.aggregate aggregations[].separator': { key: 'function', values: ['string_agg'] },
      'transform.http_enrich body': { key: 'method', values: ['POST'] },
      'source.kafka start_timestamp': { key: 'start_from', values: ['timestamp'] },
      'source.kafka csv_delimiter': { key: 'format', values: ['csv'] },
      'source.rabbitmq csv_delimiter': { key: 'format', values: ['csv'] },
      'source.rest body': { key: 'method', values: ['POST'] },
      'source.rest pagination[].next_url_path': { key: 'type', values: ['json_link'] },
      'source.rest pagination[].limit': { key: 'type', values: ['offset'] },
      'source.rest pagination[].base_page': { key: 'type', values: ['page_number'] },
      'source.rest pagination[].page_size': { key: 'type', values: ['page_number'] },
      'source.rest pagination[].total_path': { key: 'type', values: ['offset', 'page_number'] },
      'source.rest pagination[].cursor_path': { key: 'type', values: ['cursor'] },
      'source.rest pagination[].cursor_header': { key: 'type', values: ['cursor'] },
      'source.rest pagination[].cursor_param': { key: 'type', values: ['cursor'] },
      'sink.postgres keys': { key: 'mode', values: ['upsert'] },
      'sink.sqlserver keys': { key: 'mode', values: ['upsert'] },
      'sink.redis columns': { key: 'value', values: ['hash', 'json'] },
      'sink.redis value_column': { key: 'value', values: ['string'] },
      'sink.redis namespace': { key: 'mode', values: ['replace_namespace'] },
      'sink.redis old_ttl_s': { key: 'mode', values: ['replace_namespace'] },
      'sink.elasticsearch index': { key: 'mode', values: ['upsert', 'replace'] },
      'sink.elasticsearch create_index': { key: 'mode', values: ['upsert'] },
    });
  });

  it('every condition names a sibling select and values it offers, so each conditional field can appear', () => {
    const check = (type: string, fields: FieldModel[]) => {
      for (const f of fields) {
        const when = f.visibleWhen;
        if (when && 'key' in when) {
          const lead = fields.find((s) => s.key === when.key);
          expect(lead?.kind, `${type} ${f.key} follows ${when.key}`).toBe('select');
          for (const v of when.values) expect(lead!.optionValues, `${type} ${f.key}`).toContain(v);
          // A field whose own choices the condition names is explaining those choices, not following a sibling.
          expect((f.optionValues ?? []).filter((v) => when.values.includes(v as string)), `${type} ${f.key}`).toEqual([]);
        }
        for (const c of [f.itemFields ?? [], ...(f.variants ?? []).map((v) => v.fields)]) check(type, c);
      }
    };
    for (const n of nodeCatalog()) check(n.type, formModel(n.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields));
  });

  it('the CSV source offers its Encoding whatever Hive partitions says, and so does the S3 source for CSV', () => {
    const csv = fields('source.csv');
    const encoding = csv.find((f) => f.key === 'encoding')!;
    expect(encoding.visibleWhen).toBeUndefined();
    for (const hive of [undefined, 'auto', true, false]) expect(isVisible(encoding, undefined, { hive_partitioning: hive }, csv, new Set())).toBe(true);
    const s3csv = fields('source.s3').find((f) => f.key === 'csv')!.itemFields!;
    expect(s3csv.find((f) => f.key === 'encoding')).toMatchObject({ kind: 'select' });
    expect(s3csv.find((f) => f.key === 'encoding')!.visibleWhen).toBeUndefined();
  });

  it('a help text that explains one of the field’s own choices ("`auto`: …") is not read as a condition on a sibling with that choice', () => {
    const schema = {
      type: 'object',
      properties: {
        mode: { type: 'string', enum: ['auto', 'on'], default: 'auto', group: 'B' },
        charset: { type: 'string', enum: ['auto', 'utf-8'], help: '`auto`: detected from the file.', group: 'A' },
        extra: { type: 'string', help: 'For `on`: what to add.', group: 'A' },
      },
    } as ParamJsonSchema;
    const all = formModel(schema).flatMap((g) => g.fields);
    expect(all.find((f) => f.key === 'charset')!.visibleWhen).toBeUndefined();
    expect(all.find((f) => f.key === 'extra')!.visibleWhen).toEqual({ key: 'mode', values: ['on'] });
  });

  it('a condition stated in the metadata wins over the help text', () => {
    const schema = {
      type: 'object',
      properties: {
        mode: { type: 'string', enum: ['a', 'b'] },
        x: { type: 'string', help: 'For `a`: something.', visibleWhen: { key: 'mode', values: ['b'] } },
        y: { type: 'string', visibleWhen: { port: 'lookup' } },
      },
    } as ParamJsonSchema;
    const all = formModel(schema).flatMap((g) => g.fields);
    expect(all.find((f) => f.key === 'x')!.visibleWhen).toEqual({ key: 'mode', values: ['b'] });
    expect(all.find((f) => f.key === 'y')!.visibleWhen).toEqual({ port: 'lookup' });
  });

  it("a setting's default decides a condition even when that setting is in another form group", () => {
    const schema = {
      type: 'object',
      properties: {
        mode: { type: 'string', enum: ['on', 'off'], default: 'on', group: 'B' },
        extra: { type: 'string', help: 'For `on`: what to add.', group: 'A' },
      },
    } as ParamJsonSchema;
    const groups = formModel(schema);
    const extra = groups.find((g) => g.name === 'A')!.fields[0]!;
    expect(isVisible(extra, undefined, {}, groups.flatMap((g) => g.fields), new Set())).toBe(true);
    expect(isVisible(extra, undefined, { mode: 'off' }, groups.flatMap((g) => g.fields), new Set())).toBe(false);
  });
});

describe('numbers typed into number fields', () => {
  it('a plain decimal is a number; hexadecimal, binary and octal stay text, so the check says it is not a number', () => {
    const n = { kind: 'number' as const };
    expect(parseInput(n, '25')).toBe(25);
    expect(parseInput(n, '-0.5')).toBe(-0.5);
    expect(parseInput(n, '1e3')).toBe(1000);
    for (const text of ['0x10', '0b11', '0o17', 'abc', 'Infinity']) expect(parseInput(n, text), text).toBe(text);
  });
});

describe('numbers a JSON number would round are never saved rounded', () => {
  const checkField = (kind: string, key: string) => fields('quality.check').find((f) => f.key === 'checks')!.variants!.find((v) => v.value === kind)!.fields.find((f) => f.key === key)!;

  it('a number is kept when a JSON number holds it as typed: up to 2^53 - 1, 15 significant digits, fractions every reader reads alike', () => {
    for (const text of ['0', '-0', '10', '1.50', '.5', '1e3', '2.5E-3', '0.1', '0.30000000000000004', '9007199254740991', '-9007199254740991', '123456789012345', '1e-300'])
      expect(keepsExactly(text), text).toBe(true);
  });

  it('an integer beyond 2^53, more digits than a double keeps, or a number out of its range is not kept exactly', () => {
    for (const text of ['9007199254740992', '9007199254740993', '-9007199254740993', '12345678901234567890123', '99999999999999999999', '1e22', '0.12345678901234567890', '1.0000000000000001', '1e-400', '1e400'])
      expect(keepsExactly(text), text).toBe(false);
  });

  it('a Between bound keeps the digits as text, which the check converts exactly on a BIGINT column', () => {
    const min = checkField('between', 'min');
    expect(min.scalarTypes).toEqual(expect.arrayContaining(['number', 'string']));
    expect(parseScalar('9007199254740993', min.scalarTypes!, 'BIGINT')).toBe('9007199254740993');
    expect(parseScalar('12345678901234567890123', min.scalarTypes!, 'BIGINT')).toBe('12345678901234567890123');
    expect(parseScalar(' 9007199254740993 ', min.scalarTypes!)).toBe('9007199254740993');
    expect(parseScalar('9007199254740991', min.scalarTypes!, 'BIGINT')).toBe(9007199254740991);
    // Shown back as typed, without quotes: typing it again gives the same value.
    expect(formatScalar('9007199254740993', min.scalarTypes!, 'BIGINT')).toBe('9007199254740993');
  });

  it('an allowed value of In set keeps its digits too', () => {
    const values = checkField('in_set', 'values');
    expect(parseScalar('99999999999999999999', values.scalarTypes!, 'HUGEINT')).toBe('99999999999999999999');
  });

  it('a value that takes no text cannot keep it: the field says why and what it takes, and gives no value to save', () => {
    const growth = fields('transform.join').find((f) => f.key === 'growth_warning')!;
    expect(growth.scalarTypes).not.toContain('string');
    const read = readScalar('99999999999999999999', growth.scalarTypes!);
    expect(read).toEqual({ error: expect.stringContaining('99999999999999999999 cannot be kept exactly') });
    expect(read).not.toHaveProperty('value');
    expect(readScalar('2.5', growth.scalarTypes!)).toEqual({ value: 2.5 });
  });

  it('Sample failing rows and Weight refuse a number they would round, naming what they would save and what they take', () => {
    const samples = fields('quality.check').find((f) => f.key === 'samples')!;
    expect(readNumber(samples, '99999999999999999999')).toEqual({
      error: '99999999999999999999 cannot be kept exactly: a JSON number keeps about 15 significant digits, and whole numbers only up to 9007199254740991; it would be saved as 100000000000000000000. Enter a whole number from 0 to 100.',
    });
    expect(readNumber(checkField('between', 'weight'), '99999999999999999999')).toEqual({ error: expect.stringMatching(/would be saved as 100000000000000000000\. Enter a number with at most 15 significant digits\.$/) });
    expect(readNumber(samples, '9007199254740992')).toEqual({ error: expect.stringMatching(/^9007199254740992 cannot be kept exactly: .* up to 9007199254740991\. Enter/) });
    expect(readNumber(samples, '20')).toEqual({ value: 20 });
    expect(readNumber(samples, '')).toEqual({ value: undefined });
    expect(readNumber(samples, '0x10')).toEqual({ value: '0x10' });
  });

  it('parseInput never rounds either: a number it cannot keep stays the text typed', () => {
    expect(parseInput({ kind: 'number' }, '9007199254740993')).toBe('9007199254740993');
  });
});
