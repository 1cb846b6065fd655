import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { FieldRow, type FieldContext } from './Field.js';
import { formModel, type FieldModel } from './form-model.js';
import { nodeCatalog } from '../../../core/src/host/catalog.js';
import type { ParamJsonSchema } from '../model/types.js';

const realField = (type: string, key: string) => formModel(nodeCatalog().find((n) => n.type === type)!.paramsSchema as ParamJsonSchema).flatMap((g) => g.fields).find((f) => f.key === key)!;
import { errorsByField } from './Inspector.js';

function ctx(over: Partial<FieldContext> = {}): FieldContext {
  return {
    nodeId: 'n',
    columnsOf: () => [
      { name: 'country', type: 'VARCHAR' },
      { name: 'amount', type: 'DOUBLE' },
    ],
    tables: {},
    connections: [
      { name: 'warehouse', type: 'postgres', declared: true },
      { name: 'crm', type: 'postgres', declared: false },
    ],
    setConnection: () => undefined,
    errors: {},
    set: () => undefined,
    endTyping: () => undefined,
    ...over,
  };
}

const render = (field: FieldModel, value: unknown, c = ctx()) => renderToStaticMarkup(<FieldRow field={field} path={[field.key]} value={value} ctx={c} />);

describe('generated form fields', () => {
  it('column pickers offer the upstream columns with their types', () => {
    const html = render({ key: 'column', label: 'Column', kind: 'column', group: 'g', required: false }, 'amount');
    expect(html).toContain('aria-label="Column"');
    expect(html).toContain('<option value="country">country · VARCHAR</option>');
    expect(html).toMatch(/<option value="amount" selected="">amount · DOUBLE<\/option>/);
  });

  it('a value missing from the input stays visible and is marked', () => {
    expect(render({ key: 'column', label: 'Column', kind: 'column', group: 'g', required: false }, 'gone')).toContain('gone (not in input)');
  });

  it('shows the field error beside the field', () => {
    const errors = errorsByField([{ code: 'unknown_column', path: 'nodes[1].params.condition', message: "unknown column 'stauts'", hint: "did you mean 'status'?", field: 'condition' }]);
    const html = render({ key: 'condition', label: 'Keep rows where', kind: 'sql', group: 'g', required: true }, "stauts = 'x'", ctx({ errors }));
    expect(html).toContain('class="field field-sql invalid"');
    expect(html).toContain('role="alert"');
    expect(html).toContain('unknown column &#x27;stauts&#x27; (did you mean &#x27;status&#x27;?)');
  });

  it('selects show the default as the empty choice', () => {
    const html = render({ key: 'mode', label: 'Mode', kind: 'select', group: 'g', required: false, default: 'fail', options: ['fail', 'overwrite'], optionValues: ['fail', 'overwrite'] }, undefined);
    expect(html).toContain('Default (fail)');
    expect(html).toContain('<option value="1">overwrite</option>');
  });

  it('selects over mixed unions keep typed values', () => {
    const html = render({ key: 'hive', label: 'Hive', kind: 'select', group: 'g', required: false, options: ['auto', 'true', 'false'], optionValues: ['auto', true, false] }, false);
    expect(html).toMatch(/<option value="2" selected="">false<\/option>/);
  });

  it('rows render one fieldset per item with their sub-fields and errors keyed by path', () => {
    const field: FieldModel = {
      key: 'aggregations',
      label: 'Aggregations',
      kind: 'rows',
      group: 'g',
      required: true,
      itemFields: [
        { key: 'name', label: 'Output column', kind: 'text', group: 'g', required: true },
        { key: 'column', label: 'Column', kind: 'column', group: 'g', required: false },
      ],
    };
    const errors = { 'aggregations[1].column': [{ message: 'sum needs a column' }] };
    const html = render(field, [{ name: 'orders' }, { name: 'revenue' }], ctx({ errors }));
    expect(html.match(/<fieldset/g)).toHaveLength(2);
    expect(html).toContain('value="revenue"');
    expect(html).toContain('data-field="aggregations[1].column"');
    expect(html).toContain('sum needs a column');
    expect(html).toContain('+ Add aggregation');
  });

  it('connection pickers list the pipeline connections', () => {
    const html = render({ key: 'connection', label: 'Connection', kind: 'connection', group: 'g', required: true }, undefined);
    expect(html).toContain('<option value="warehouse">warehouse · postgres</option>');
    expect(html).toContain('<option value="crm">crm · postgres (adds it to the pipeline)</option>');
  });

  it('a detected setting is auto / yes / no, and auto says what was detected', () => {
    const html = render(realField('source.csv', 'header'), undefined, ctx({ detected: (k) => (k === 'header' ? true : undefined) }));
    expect(html).toContain('role="radiogroup" aria-label="First row is a header"');
    expect(html).toMatch(/role="radio" aria-checked="true"[^>]*>Auto \(yes\)</);
    expect(html).toMatch(/aria-checked="false"[^>]*>No</);
    // An explicit choice is not "detected": Auto is plain then.
    expect(render(realField('source.csv', 'header'), false, ctx({ detected: () => false }))).toMatch(/>Auto</);
  });

  it('quality checks: each entry shows its kind picker and that kind\'s own fields; a picker adds one', () => {
    const html = render(realField('quality.check', 'checks'), [{ kind: 'between', name: 'amount_range', column: 'amount', min: 0 }]);
    expect(html).toContain('aria-label="Kind of check 1"');
    expect(html).toContain('Check 1: Between');
    expect(html).toContain('data-field="checks[0].min"');
    expect(html).toContain('value="amount_range"');
    expect(html).toContain('More settings (severity, mostly, weight, description)');
    expect(html).not.toContain('data-field="checks[0].values"');
    expect(html).toContain('aria-label="Add check"');
  });

  it('an aggregation shows only the settings its function uses', () => {
    const aggs = realField('transform.aggregate', 'aggregations');
    const sum = render(aggs, [{ name: 'total', function: 'sum', column: 'amount' }]);
    expect(sum).not.toContain('data-field="aggregations[0].separator"');
    expect(sum).not.toContain('data-field="aggregations[0].p"');
    expect(render(aggs, [{ name: 'names', function: 'string_agg' }])).toContain('data-field="aggregations[0].separator"');
  });

  it('file paths have a Browse button', () => {
    const html = render(realField('source.csv', 'path'), 'data/orders.csv', ctx({ browse: () => undefined }));
    expect(html).toContain('aria-label="Browse for File or pattern"');
    expect(html).toContain('value="data/orders.csv"');
  });
});

describe('fields that edit what the pipeline format allows', () => {
  const within = (type: string, list: string, key: string) => realField(type, list).itemFields!.find((f) => f.key === key)!;
  const renderIn = (field: FieldModel, path: Array<string | number>, value: unknown, siblings: Record<string, unknown>, c = ctx()) =>
    renderToStaticMarkup(<FieldRow field={field} path={path} value={value} ctx={c} siblings={siblings} />);

  it("pivot values are typed as the pivot column's values: 10 of a text column is the text 10", () => {
    const c = ctx({ columnsOf: () => [{ name: 'year', type: 'VARCHAR' }, { name: 'amount', type: 'DOUBLE' }] });
    const html = renderIn(realField('transform.pivot', 'values'), ['values'], ['10'], { pivot_column: 'year', value_column: 'amount', values: ['10'] }, c);
    expect(html).toContain('value="10"');
    expect(html).not.toContain('value="&quot;10&quot;"');
  });

  it("a lookup default is typed as the reference column it defaults, not as the main input's column of that name", () => {
    const columnsOf = (port?: string) => (port === 'reference' ? [{ name: 'code', type: 'VARCHAR' }] : [{ name: 'code', type: 'BIGINT' }]);
    const html = renderIn(within('transform.lookup', 'columns', 'default'), ['columns', 0, 'default'], '0', { column: 'code', default: '0' }, ctx({ columnsOf }));
    expect(html).toContain('value="0"');
  });

  it('a database filter with in takes a list of typed values', () => {
    for (const type of ['source.postgres', 'source.sqlserver']) {
      const html = renderIn(within(type, 'filters', 'value'), ['filters', 0, 'value'], ['shipped', 7], { column: 'status', op: 'in', value: ['shipped', 7] });
      expect(html, type).toContain('aria-label="Value 1"');
      expect(html).toMatch(/aria-label="Value 1"[^>]*value="shipped"/);
      expect(html).toMatch(/aria-label="Value 2"[^>]*value="7"/);
      expect(html).toContain('+ Add value');
    }
  });

  it('Elasticsearch mappings are edited as JSON text of the object', () => {
    const html = render(realField('sink.elasticsearch', 'mappings'), { sku: { type: 'keyword' } });
    expect(html).toMatch(/<textarea[^>]*aria-label="Mapping overrides"[^>]*>\{\n {2}&quot;sku&quot;: \{\n {4}&quot;type&quot;: &quot;keyword&quot;\n {2}\}\n\}<\/textarea>/);
  });

  it("http_enrich's response cache is on by default: no \"Use\" switch, and Cache answers shows checked", () => {
    const html = render(realField('transform.http_enrich', 'cache'), undefined);
    expect(html).not.toContain('aria-label="Use Response cache"');
    expect(html).toMatch(/<input[^>]*type="checkbox"[^>]*checked=""[^>]*\/?>Cache answers/);
  });

  it('an optional object without a default is still switched on with "Use"', () => {
    expect(render(realField('source.postgres', 'incremental'), undefined)).toContain('aria-label="Use Incremental"');
  });

  it('a quote can be set to the empty text (never quoted), shown apart from unset', () => {
    const unset = render(realField('source.csv', 'quote'), undefined);
    expect(unset).toMatch(/aria-label="Quote: empty text" aria-pressed="false"/);
    const empty = render(realField('source.csv', 'quote'), '');
    expect(empty).toMatch(/aria-label="Quote: empty text" aria-pressed="true"/);
    expect(empty).toContain('placeholder="(empty text)"');
    // A delimiter is at least one character: no such button.
    expect(render(realField('source.csv', 'delimiter'), undefined)).not.toContain('empty text');
  });

  it('a mapping can map the empty text', () => {
    expect(renderIn(within('transform.map_values', 'mappings', 'from'), ['mappings', 0, 'from'], '', { from: '', to: 'unknown' })).toMatch(/aria-label="Value: empty text" aria-pressed="true"/);
  });

  it('an optional list set to empty says so and can be unset', () => {
    const html = render(realField('source.csv', 'null_strings'), []);
    expect(html).toContain('Set to an empty list.');
    expect(html).toContain('Unset it');
    expect(render(realField('source.csv', 'null_strings'), undefined)).not.toContain('Unset it');
  });
});

describe('a filter whose operator became in with a single value in the file', () => {
  it('shows that value as the first entry of the list, not an empty list', () => {
    const value = realField('source.postgres', 'filters').itemFields!.find((f) => f.key === 'value')!;
    const html = renderToStaticMarkup(<FieldRow field={value} path={['filters', 0, 'value']} value="shipped" ctx={ctx()} siblings={{ column: 'status', op: 'in', value: 'shipped' }} />);
    expect(html).toMatch(/aria-label="Value 1"[^>]*value="shipped"/);
  });
});
