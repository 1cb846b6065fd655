/**
 * The node-level conformance corpus: each case is a small pipeline over the test data
 * (support.ts: orders.csv, customers.csv, events.csv, offset.csv, date_time.csv, decimals.csv, decimals.jsonl, countries.csv, orders.parquet, orders.jsonl) whose sinks
 * write under `${out}`. The suite runs it on DuckDB and on Spark and compares every sink's rows.
 */

type NodeSpec = { id: string; type: string; params?: Record<string, unknown> };

export interface Case {
  name: string;
  nodes: NodeSpec[];
  edges: string[];
  params?: Record<string, { type: string; default?: unknown }>;
  /** Both engines must fail this way instead (e.g. a quality check with severity error). */
  fails?: 'quality' | 'execution';
  /** With `fails`: text both engines' error messages contain. */
  failsWith?: string;
  /** Compare only the number of rows (random samples differ between engines by design). */
  countOnly?: boolean;
  /** Numbers may differ by this much (absolute), e.g. a percentile of a DECIMAL: DuckDB interpolates in the column's scale. */
  tolerance?: number;
  /** Also compare the quality report's failing-row samples (as JSON text) of every check. */
  samples?: boolean;
}

const orders = { id: 'orders', type: 'source.csv', params: { path: 'orders.csv' } };
const rawOrders = { id: 'orders', type: 'source.csv', params: { path: 'orders.csv', all_varchar: true } };
const customers = { id: 'customers', type: 'source.csv', params: { path: 'customers.csv' } };
const countries = { id: 'countries', type: 'source.csv', params: { path: 'countries.csv', all_varchar: true } };
const parquet = (id: string, file = 'result.parquet', extra: Record<string, unknown> = {}) => ({ id, type: 'sink.parquet', params: { path: `\${out}/${file}`, if_exists: 'overwrite', ...extra } });
/** A case that reads one file with a source into Parquet: both engines must read the same rows. */
const readInto = (name: string, type: string, params: Record<string, unknown>, file: string): Case => ({ name, nodes: [{ id: 'src', type, params }, parquet('sink', file)], edges: ['src -> sink'] });

/** A typed orders chain most cases start from: cast, dates parsed, status tidied. */
const typed: NodeSpec[] = [
  rawOrders,
  { id: 'typed', type: 'transform.cast', params: { columns: [{ column: 'order_id', type: 'BIGINT' }, { column: 'customer_id', type: 'BIGINT' }, { column: 'quantity', type: 'INTEGER' }, { column: 'unit_price', type: 'DECIMAL(10,2)' }, { column: 'discount', type: 'DOUBLE' }, { column: 'ordered_at', type: 'TIMESTAMP' }], on_error: 'null' } },
  { id: 'dated', type: 'transform.parse_dates', params: { columns: [{ column: 'order_date', formats: ['%Y-%m-%d', '%d/%m/%Y'], type: 'DATE' }], on_error: 'null' } },
];
const typedEdges = ['orders -> typed', 'typed -> dated'];

export const CASES: Case[] = [
  { name: 'csv source with detected types to parquet', nodes: [orders, parquet('sink')], edges: ['orders -> sink'] },
  { name: 'csv source with ISO dates and timestamps', nodes: [{ id: 'ev', type: 'source.csv', params: { path: 'events.csv' } }, parquet('sink', 'events.parquet')], edges: ['ev -> sink'] },
  {
    name: 'csv source refuses a UTC offset in a TIMESTAMP column',
    nodes: [{ id: 'ev', type: 'source.csv', params: { path: 'offset.csv', columns: [{ name: 'event_id', type: 'BIGINT' }, { name: 'at', type: 'TIMESTAMP' }] } }, parquet('sink', 'offset.parquet')],
    edges: ['ev -> sink'],
    fails: 'execution',
    failsWith: "'2024-05-06 10:30:00+05' is not a TIMESTAMP without losing its UTC offset +05",
  },
  {
    name: 'csv source refuses a time in a DATE column',
    nodes: [{ id: 'ev', type: 'source.csv', params: { path: 'date_time.csv', columns: [{ name: 'event_id', type: 'BIGINT' }, { name: 'day', type: 'DATE' }] } }, parquet('sink', 'date_time.parquet')],
    edges: ['ev -> sink'],
    fails: 'execution',
    failsWith: '2024-05-06 10:30',
  },
  {
    name: 'csv source refuses more decimal places than a DECIMAL column keeps',
    nodes: [{ id: 'ev', type: 'source.csv', params: { path: 'decimals.csv', columns: [{ name: 'event_id', type: 'BIGINT' }, { name: 'amount', type: 'DECIMAL(10,2)' }] } }, parquet('sink', 'decimals.parquet')],
    edges: ['ev -> sink'],
    fails: 'execution',
    failsWith: "'12.345' has more than 2 decimal places, which DECIMAL(10,2) would round away",
  },
  readInto('csv source in Shift_JIS (Excel on Japanese Windows), every character kept', 'source.csv', { path: 'sjis.csv', encoding: 'shift_jis' }, 'sjis.parquet'),
  readInto('csv source in Windows-1251 (Excel on Russian Windows), every letter kept', 'source.csv', { path: 'cp1251.csv', encoding: 'windows-1251' }, 'cp1251.parquet'),
  readInto('csv source in Mac OS Roman (Excel on a Mac), every letter kept', 'source.csv', { path: 'macroman.csv', encoding: 'macintosh' }, 'macroman.parquet'),
  readInto('csv source in Windows-1252 decided by auto, € and curly quotes kept', 'source.csv', { path: 'cp1252.csv' }, 'cp1252.parquet'),
  readInto('json source: an array file with the layout left on auto', 'source.json', { path: 'array.json' }, 'array.parquet'),
  readInto('json source: JSON Lines saved with a UTF-8 byte-order mark', 'source.json', { path: 'bom.jsonl' }, 'bom_lines.parquet'),
  readInto('json source: an array saved with a UTF-8 byte-order mark', 'source.json', { path: 'bom-array.json' }, 'bom_array.parquet'),
  {
    name: 'json source refuses more decimal places than a listed DECIMAL column keeps',
    nodes: [{ id: 'ev', type: 'source.json', params: { path: 'decimals.jsonl', columns: [{ name: 'event_id', type: 'BIGINT' }, { name: 'amount', type: 'DECIMAL(10,2)' }] } }, parquet('sink', 'decimals_json.parquet')],
    edges: ['ev -> sink'],
    fails: 'execution',
    failsWith: "'12.345' has more than 2 decimal places, which DECIMAL(10,2) would round away",
  },
  {
    name: 'json source reads listed DECIMAL values that fit, numbers and strings',
    nodes: [{ id: 'ev', type: 'source.json', params: { path: 'decimals-ok.jsonl', columns: [{ name: 'event_id', type: 'BIGINT' }, { name: 'amount', type: 'DECIMAL(10,2)' }] } }, parquet('sink', 'decimals_ok.parquet')],
    edges: ['ev -> sink'],
  },
  {
    name: 'json source refuses more decimal places than a DECIMAL field of a listed struct keeps',
    nodes: [{ id: 'ev', type: 'source.json', params: { path: 'nested-decimals.jsonl', columns: [{ name: 'event_id', type: 'BIGINT' }, { name: 'order', type: 'STRUCT(amount DECIMAL(10,2), note VARCHAR)' }] } }, parquet('sink', 'nested_decimals.parquet')],
    edges: ['ev -> sink'],
    fails: 'execution',
    failsWith: "field amount: '12.345' has more than 2 decimal places, which DECIMAL(10,2) would round away",
  },
  {
    name: 'json source reads DECIMAL fields of a listed struct that fit, numbers and strings',
    nodes: [{ id: 'ev', type: 'source.json', params: { path: 'nested-decimals-ok.jsonl', columns: [{ name: 'event_id', type: 'BIGINT' }, { name: 'order', type: 'STRUCT(amount DECIMAL(10,2), note VARCHAR)' }] } }, parquet('sink', 'nested_decimals_ok.parquet')],
    edges: ['ev -> sink'],
  },
  {
    name: 'json source refuses a fraction in a listed integer column',
    nodes: [{ id: 'ev', type: 'source.json', params: { path: 'fraction.jsonl', columns: [{ name: 'event_id', type: 'BIGINT' }, { name: 'qty', type: 'INTEGER' }] } }, parquet('sink', 'fraction.parquet')],
    edges: ['ev -> sink'],
    fails: 'execution',
    failsWith: '2.5',
  },
  {
    name: 'json source refuses a time in a listed DATE column',
    nodes: [{ id: 'ev', type: 'source.json', params: { path: 'date_time.jsonl', columns: [{ name: 'event_id', type: 'BIGINT' }, { name: 'day', type: 'DATE' }] } }, parquet('sink', 'date_time_json.parquet')],
    edges: ['ev -> sink'],
    fails: 'execution',
    failsWith: '2024-05-06 10:30',
  },
  { name: 'parquet and json sources', nodes: [{ id: 'p', type: 'source.parquet', params: { path: 'orders.parquet' } }, { id: 'j', type: 'source.json', params: { path: 'orders.jsonl' } }, parquet('ps', 'p.parquet'), parquet('js', 'j.parquet')], edges: ['p -> ps', 'j -> js'] },
  {
    name: 'filter with a param, select with renames, drop',
    params: { min_qty: { type: 'number', default: 5 } },
    nodes: [...typed, { id: 'big', type: 'transform.filter', params: { condition: "quantity >= $min_qty AND status <> 'returned'" } }, { id: 'pick', type: 'transform.select', params: { columns: [{ column: 'order_id', as: 'id' }, { column: 'quantity' }, { column: 'order_date' }] } }, { id: 'dropped', type: 'transform.select', params: { drop: ['note', 'channel'] } }, parquet('s1', 'pick.parquet'), parquet('s2', 'dropped.parquet')],
    edges: [...typedEdges, 'dated -> big', 'big -> pick', 'pick -> s1', 'dated -> dropped', 'dropped -> s2'],
  },
  {
    name: 'derive replaces and adds columns',
    nodes: [...typed, { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'revenue', expression: 'round(quantity * unit_price * (1 - coalesce(discount, 0)), 2)' }, { name: 'STATUS', expression: 'upper(trim(status))' }, { name: 'month', expression: "strftime(order_date, '%Y-%m')" }, { name: 'weekday', expression: 'dayofweek(order_date)' }, { name: 'note_len', expression: 'length(note)' }] } }, parquet('sink')],
    edges: [...typedEdges, 'dated -> calc', 'calc -> sink'],
  },
  {
    name: 'transform.sql over two inputs with a CTE',
    nodes: [...typed, customers, { id: 'q', type: 'transform.sql', params: { query: 'WITH c AS (SELECT customer_id, segment FROM customers)\nSELECT c.segment, count(*) AS n, sum(quantity) AS units, avg(unit_price) AS avg_price\nFROM dated JOIN c USING (customer_id)\nGROUP BY ALL' } }, parquet('sink')],
    edges: [...typedEdges, 'dated -> q', 'customers -> q', 'q -> sink'],
  },
  {
    name: 'dedupe: exact and latest per key',
    nodes: [...typed, { id: 'exact', type: 'transform.dedupe', params: {} }, { id: 'latest', type: 'transform.dedupe', params: { keys: ['customer_id'], keep: 'first', order_by: [{ column: 'order_date', direction: 'desc' }, { column: 'order_id', direction: 'desc' }] } }, parquet('s1', 'exact.parquet'), parquet('s2', 'removed.parquet'), parquet('s3', 'latest.parquet')],
    edges: [...typedEdges, 'dated -> exact', 'exact -> s1', 'exact:removed -> s2', 'dated -> latest', 'latest -> s3'],
  },
  {
    name: 'fill nulls: constant, previous in a partition, drop rows',
    nodes: [...typed, { id: 'fill', type: 'transform.fill_nulls', params: { rules: [{ column: 'discount', strategy: 'constant', value: 0 }, { column: 'quantity', strategy: 'previous' }, { column: 'order_date', strategy: 'drop_row' }], order_by: [{ column: 'order_id' }], partition_by: ['customer_id'] } }, parquet('sink')],
    edges: [...typedEdges, 'dated -> fill', 'fill -> sink'],
  },
  {
    name: 'clean text: trim, case, accents, title case, unicode',
    nodes: [customers, rawOrders, { id: 'names', type: 'transform.clean_text', params: { columns: ['name'], case: 'title', normalize_unicode: true, strip_control: true } }, { id: 'mails', type: 'transform.clean_text', params: { columns: ['email'], case: 'lower' } }, { id: 'status', type: 'transform.clean_text', params: { columns: ['status', 'country'], case: 'upper', remove_accents: true } }, parquet('s1', 'customers.parquet'), parquet('s2', 'orders.parquet')],
    edges: ['customers -> names', 'names -> mails', 'mails -> s1', 'orders -> status', 'status -> s2'],
  },
  {
    name: 'cast and parse dates with rejects, unioned by name',
    nodes: [rawOrders, { id: 'cast', type: 'transform.cast', params: { columns: [{ column: 'quantity', type: 'INTEGER' }, { column: 'unit_price', type: 'DECIMAL(10,2)' }], on_error: 'reject' } }, { id: 'dates', type: 'transform.parse_dates', params: { columns: [{ column: 'order_date', formats: ['%Y-%m-%d', '%d/%m/%Y'], type: 'DATE' }], on_error: 'reject' } }, { id: 'bad', type: 'transform.union', params: { match: 'by_name', source_column: 'rejected_by' } }, parquet('good', 'good.parquet'), parquet('rej', 'rejects.parquet')],
    edges: ['orders -> cast', 'cast -> dates', 'dates -> good', 'cast:rejects -> bad', 'dates:rejects -> bad', 'bad -> rej'],
  },
  {
    name: 'cast of a list refuses an element the new type would change',
    nodes: [
      { id: 'lists', type: 'transform.sql', params: { query: 'SELECT * FROM (VALUES (1, CAST([1.0, 2.0, NULL] AS DOUBLE[])), (2, CAST([1.5, 2.0] AS DOUBLE[])), (3, CAST(NULL AS DOUBLE[]))) t(id, d)' } },
      { id: 'cast', type: 'transform.cast', params: { columns: [{ column: 'd', type: 'INTEGER[]' }], on_error: 'reject' } },
      { id: 'ids', type: 'transform.select', params: { drop: ['_caudal_reason'] } },
      parquet('good', 'lists.parquet'),
      parquet('rej', 'list-rejects.parquet'),
    ],
    edges: ['lists -> cast', 'cast -> good', 'cast:rejects -> ids', 'ids -> rej'],
  },
  {
    name: 'map values from a table, ignoring case, accents and spaces',
    nodes: [rawOrders, countries, { id: 'iso', type: 'transform.map_values', params: { column: 'country', ignore_case: true, ignore_accents: true, trim: true, unmapped: 'value', unmapped_value: 'XX' } }, { id: 'st', type: 'transform.map_values', params: { column: 'status', mappings: [{ from: 'completed', to: 'done' }, { from: 'shipped', to: 'done' }], ignore_case: true, trim: true, unmapped: 'null' } }, parquet('sink')],
    edges: ['orders -> iso', 'countries -> iso:mapping', 'iso -> st', 'st -> sink'],
  },
  {
    name: 'pivot and unpivot',
    nodes: [...typed, { id: 'pv', type: 'transform.pivot', params: { group_by: ['customer_id'], pivot_column: 'channel', values: ['web', 'store', 'phone'], aggregate: 'sum', value_column: 'quantity' } }, { id: 'up', type: 'transform.unpivot', params: { id_columns: ['customer_id'], name_column: 'channel', value_column: 'units' } }, parquet('s1', 'pivot.parquet'), parquet('s2', 'unpivot.parquet')],
    edges: [...typedEdges, 'dated -> pv', 'pv -> s1', 'pv -> up', 'up -> s2'],
  },
  {
    name: 'union widening an integer and a long decimal to DOUBLE keeps the values a DOUBLE holds',
    nodes: [
      { id: 'ints', type: 'transform.sql', params: { query: 'SELECT * FROM (VALUES (CAST(9007199254740992 AS BIGINT), CAST(123456789012345.67 AS DECIMAL(18,2))), (CAST(7 AS BIGINT), CAST(0.10 AS DECIMAL(18,2)))) t(id, amount)' } },
      { id: 'dbl', type: 'transform.sql', params: { query: 'SELECT CAST(1.5 AS DOUBLE) AS id, CAST(0.25 AS DOUBLE) AS amount' } },
      { id: 'u', type: 'transform.union', params: {} },
      parquet('sink', 'widened.parquet'),
    ],
    edges: ['ints -> u', 'dbl -> u', 'u -> sink'],
  },
  {
    name: 'union refuses a BIGINT that the common DOUBLE type would change',
    nodes: [
      { id: 'ints', type: 'transform.sql', params: { query: 'SELECT CAST(9007199254740993 AS BIGINT) AS id' } },
      { id: 'dbl', type: 'transform.sql', params: { query: 'SELECT CAST(1.5 AS DOUBLE) AS id' } },
      { id: 'u', type: 'transform.union', params: {} },
      parquet('sink', 'widened-lossy.parquet'),
    ],
    edges: ['ints -> u', 'dbl -> u', 'u -> sink'],
    fails: 'execution',
    failsWith: `column "id" holds 9007199254740993 (BIGINT in input 'ints'), which the union's DOUBLE column (its type in input 'dbl') cannot hold exactly`,
  },
  {
    name: 'unpivot to a BIGINT value type refuses a fraction it would round',
    nodes: [
      { id: 'wide', type: 'transform.sql', params: { query: 'SELECT 1 AS id, CAST(12.5 AS DOUBLE) AS a, CAST(3 AS BIGINT) AS b' } },
      { id: 'up', type: 'transform.unpivot', params: { id_columns: ['id'], value_type: 'BIGINT' } },
      parquet('sink', 'unpivot-rounded.parquet'),
    ],
    edges: ['wide -> up', 'up -> sink'],
    fails: 'execution',
    failsWith: 'column "a" holds 12.5 (DOUBLE), which the value type BIGINT cannot hold exactly',
  },
  {
    name: 'join on a BIGINT key and a DOUBLE key refuses a key the DOUBLE would change',
    nodes: [
      { id: 'l', type: 'transform.sql', params: { query: 'SELECT * FROM (VALUES (1, CAST(7 AS BIGINT)), (2, CAST(9007199254740993 AS BIGINT))) t(order_id, cid)' } },
      { id: 'r', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (CAST(7 AS DOUBLE), 'Ann'), (CAST(9007199254740992 AS DOUBLE), 'Big')) t(cid, name)" } },
      { id: 'j', type: 'transform.join', params: { kind: 'left', on: [{ left: 'cid' }] } },
      parquet('sink', 'float-keys.parquet'),
    ],
    edges: ['l -> j:left', 'r -> j:right', 'j -> sink'],
    fails: 'execution',
    failsWith: 'column "cid" holds 9007199254740993 (BIGINT in the left input), which the DOUBLE that the right key "cid" is compared as cannot hold exactly',
  },
  {
    name: 'join on a text key and a BIGINT key matches the numbers the text spells',
    nodes: [
      { id: 'l', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, '7'), (2, '12'), (3, NULL)) t(order_id, cid)" } },
      { id: 'r', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (CAST(7 AS BIGINT), 'Ann'), (CAST(12 AS BIGINT), 'Bob')) t(cid, name)" } },
      { id: 'j', type: 'transform.join', params: { kind: 'left', on: [{ left: 'cid' }] } },
      parquet('sink', 'text-keys.parquet'),
    ],
    edges: ['l -> j:left', 'r -> j:right', 'j -> sink'],
  },
  {
    name: 'join on a text key and a BIGINT key refuses a code read as another number',
    nodes: [
      { id: 'l', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, '7'), (2, '007')) t(order_id, cid)" } },
      { id: 'r', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (CAST(7 AS BIGINT), 'Ann')) t(cid, name)" } },
      { id: 'j', type: 'transform.join', params: { kind: 'left', on: [{ left: 'cid' }] } },
      parquet('sink', 'text-keys-007.parquet'),
    ],
    edges: ['l -> j:left', 'r -> j:right', 'j -> sink'],
    fails: 'execution',
    failsWith: 'column "cid" holds 007 (VARCHAR in the left input), which the right key "cid" (BIGINT) it is compared with cannot hold exactly',
  },
  {
    name: 'lookup on a BIGINT key and a DOUBLE key matches keys the DOUBLE holds',
    nodes: [
      { id: 'l', type: 'transform.sql', params: { query: 'SELECT * FROM (VALUES (1, CAST(7 AS BIGINT)), (2, CAST(9007199254740992 AS BIGINT))) t(order_id, cid)' } },
      { id: 'r', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (CAST(7 AS DOUBLE), 'Ann'), (CAST(9007199254740992 AS DOUBLE), 'Big')) t(cid, name)" } },
      { id: 'lk', type: 'transform.lookup', params: { keys: [{ column: 'cid' }], columns: [{ column: 'name' }] } },
      parquet('sink', 'float-lookup.parquet'),
    ],
    edges: ['l -> lk:in', 'r -> lk:reference', 'lk -> sink'],
  },
  {
    name: 'sort and limit: a top 10 written as ordered CSV',
    nodes: [...typed, { id: 'srt', type: 'transform.sort', params: { by: [{ column: 'unit_price', direction: 'desc' }, { column: 'order_id' }] } }, { id: 'top', type: 'transform.limit', params: { count: 10, offset: 2 } }, { id: 'sink', type: 'sink.csv', params: { path: '${out}/top.csv', if_exists: 'overwrite', delimiter: ';', date_format: '%d/%m/%Y' } }],
    edges: [...typedEdges, 'dated -> srt', 'srt -> top', 'top -> sink'],
  },
  {
    name: 'CSV sink writes lists and structs as JSON text',
    nodes: [
      ...typed,
      { id: 'nest', type: 'transform.sql', params: { query: "SELECT order_id, [status, channel, 'a, \"b\"'] AS tags, {'qty': quantity, 'day': order_date, 'note': 'x, y'} AS detail FROM dated" } },
      { id: 'sink', type: 'sink.csv', params: { path: '${out}/nested.csv', if_exists: 'overwrite' } },
    ],
    edges: [...typedEdges, 'dated -> nest', 'nest -> sink'],
  },
  {
    name: 'sample: the same number of rows',
    countOnly: true,
    nodes: [...typed, { id: 'smp', type: 'transform.sample', params: { unit: 'rows', size: 25, seed: 7 } }, parquet('sink')],
    edges: [...typedEdges, 'dated -> smp', 'smp -> sink'],
  },
  {
    name: 'split into routes',
    nodes: [...typed, { id: 'route', type: 'transform.split', params: { routes: [{ when: 'unit_price >= 250' }, { when: "channel = 'web'" }] } }, parquet('a', 'a.parquet'), parquet('b', 'b.parquet'), parquet('c', 'rest.parquet')],
    edges: [...typedEdges, 'dated -> route', 'route:out_1 -> a', 'route:out_2 -> b', 'route:else -> c'],
  },
  {
    name: 'joins: left with suffix, anti, and a lookup',
    nodes: [...typed, customers, { id: 'lj', type: 'transform.join', params: { kind: 'left', on: [{ left: 'customer_id', right: 'customer_id' }], suffix: '_c' } }, { id: 'aj', type: 'transform.join', params: { kind: 'anti', on: [{ left: 'customer_id', right: 'customer_id' }] } }, { id: 'lk', type: 'transform.lookup', params: { keys: [{ column: 'customer_id' }], columns: [{ column: 'segment', default: 'unknown' }, { column: 'name', as: 'customer_name' }] } }, parquet('s1', 'left.parquet'), parquet('s2', 'anti.parquet'), parquet('s3', 'lookup.parquet')],
    edges: [...typedEdges, 'dated -> lj:left', 'customers -> lj:right', 'lj -> s1', 'dated -> aj:left', 'customers -> aj:right', 'aj -> s2', 'dated -> lk:in', 'customers -> lk:reference', 'lk -> s3'],
  },
  {
    name: 'window functions',
    nodes: [...typed, { id: 'w', type: 'transform.window', params: { partition_by: ['customer_id'], order_by: [{ column: 'ordered_at' }, { column: 'order_id' }], columns: [{ name: 'seq', function: 'row_number' }, { name: 'running_units', function: 'running_sum', column: 'quantity' }, { name: 'previous_at', function: 'lag', column: 'ordered_at' }, { name: 'avg_last_3', function: 'moving_avg', column: 'quantity', rows: 3 }] } }, parquet('sink')],
    edges: [...typedEdges, 'dated -> w', 'w -> sink'],
  },
  {
    name: 'aggregate with count distinct, percentile, last, having',
    tolerance: 0.01,
    nodes: [...typed, { id: 'agg', type: 'transform.aggregate', params: { group_by: ['channel'], aggregations: [{ name: 'orders', function: 'count' }, { name: 'customers', function: 'count_distinct', column: 'customer_id' }, { name: 'units', function: 'sum', column: 'quantity' }, { name: 'avg_price', function: 'avg', column: 'unit_price' }, { name: 'p90', function: 'percentile', column: 'unit_price', p: 0.9 }, { name: 'last_order', function: 'last', column: 'order_id', order_by: 'ordered_at' }, { name: 'min_date', function: 'min', column: 'order_date' }], having: 'orders >= 10' } }, parquet('sink')],
    edges: [...typedEdges, 'dated -> agg', 'agg -> sink'],
  },
  {
    name: 'business rules with rejects, tags and set values',
    params: { bulk: { type: 'number', default: 10 } },
    nodes: [...typed, { id: 'rules', type: 'transform.rules', params: { policy: 'first', rules: [{ name: 'cancelled', condition: "lower(trim(status)) IN ('cancelled', 'returned')", reject: 'not a sale' }, { name: 'big discount', condition: 'discount >= 0.25', set: [{ column: 'discount', expression: '0.25' }], tag: 'capped' }, { name: 'bulk', condition: 'quantity >= $bulk', tag: 'bulk' }] } }, parquet('s1', 'out.parquet'), parquet('s2', 'rejects.parquet')],
    edges: [...typedEdges, 'dated -> rules', 'rules -> s1', 'rules:rejects -> s2'],
  },
  {
    // Without quarantine, the checked rows read by two sinks are stored: the unique key is counted by a scalar subquery.
    name: 'quality checks: warnings only, the checked rows stored for two sinks',
    nodes: [...typed, { id: 'qc', type: 'quality.check', params: { checks: [{ name: 'unique id', kind: 'unique', columns: ['order_id'], severity: 'warn' }, { name: 'qty range', kind: 'between', column: 'quantity', min: 0, max: 15, severity: 'warn' }] } }, parquet('s1', 'a.parquet'), parquet('s2', 'b.parquet')],
    edges: [...typedEdges, 'dated -> qc', 'qc -> s1', 'qc -> s2'],
  },
  {
    name: 'quality checks: warnings and quarantine',
    nodes: [...typed, customers, { id: 'qc', type: 'quality.check', params: { checks: [{ name: 'ids', kind: 'not_null', column: 'order_id' }, { name: 'qty range', kind: 'between', column: 'quantity', min: 0, max: 15, severity: 'quarantine' }, { name: 'known channel', kind: 'in_set', column: 'channel', values: ['web', 'store'], severity: 'warn' }, { name: 'status shape', kind: 'matches_regex', column: 'status', pattern: '^[a-z ]+$', severity: 'warn', mostly: 0.5 }, { name: 'customer exists', kind: 'references', column: 'customer_id', reference_column: 'customer_id', severity: 'quarantine' }, { name: 'unique id', kind: 'unique', columns: ['order_id'], severity: 'warn' }, { name: 'rows', kind: 'row_count_between', min: 10 }, { name: 'positive', kind: 'expression', expression: 'unit_price > 0' }] } }, parquet('s1', 'passed.parquet'), parquet('s2', 'quarantined.parquet')],
    edges: [...typedEdges, 'dated -> qc', 'customers -> qc:reference', 'qc -> s1', 'qc:rejected -> s2'],
  },
  {
    name: 'a failed error check stops the run before any sink',
    fails: 'quality',
    nodes: [...typed, { id: 'qc', type: 'quality.check', params: { checks: [{ name: 'all dated', kind: 'not_null', column: 'order_date' }] } }, parquet('sink')],
    edges: [...typedEdges, 'dated -> qc', 'qc -> sink'],
  },
  {
    name: 'file sinks: CSV dialect, JSON lines, partitioned Parquet',
    nodes: [...typed, { id: 'csv', type: 'sink.csv', params: { path: '${out}/orders.csv', if_exists: 'overwrite', delimiter: '|', null_string: 'NULL', timestamp_format: '%Y-%m-%dT%H:%M:%S' } }, { id: 'json', type: 'sink.json', params: { path: '${out}/orders.jsonl', if_exists: 'overwrite' } }, parquet('parts', 'by_channel', { partition_by: ['channel'] })],
    edges: [...typedEdges, 'dated -> csv', 'dated -> json', 'dated -> parts'],
  },
  readInto('csv source: a quoted empty field is an empty text, an unquoted one NULL', 'source.csv', { path: 'quoted-empty.csv' }, 'quoted_empty.parquet'),
  readInto('csv source: null_strings without "" keep an empty field as an empty text', 'source.csv', { path: 'quoted-empty.csv', null_strings: ['x'] }, 'quoted_empty_x.parquet'),
  {
    name: 'expressions whose Spark spelling means something else are translated to the same values',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 3.7::DOUBLE, 0.285::DOUBLE, 1.00::DECIMAL(10,2), '12.7', TIMESTAMP '2024-03-10 00:00:00', [1, 2, 3], 'abc'), (2, -3.7::DOUBLE, -2.5::DOUBLE, 2.00::DECIMAL(10,2), '1e3', TIMESTAMP '1969-12-31 23:59:59.999999', CAST([] AS INTEGER[]), 'abc' || chr(10)), (3, 2.5::DOUBLE, 1.005::DOUBLE, 2.50::DECIMAL(10,2), ' 7 ', TIMESTAMP '2024-02-29 12:00:00', [4], 'a1'), (4, -2.5::DOUBLE, 1.0::DOUBLE, -2.50::DECIMAL(10,2), '-2.5', TIMESTAMP '2024-01-01 00:00:00', [4], 'a1')) t(id, half, d, m, numtxt, ts, l, s)" } },
      {
        id: 'calc',
        type: 'transform.derive',
        params: {
          columns: [
            { name: 'as_int', expression: 'CAST(half AS INTEGER)' },
            { name: 'dec_int', expression: 'CAST(m AS INTEGER)' },
            { name: 'txt_half', expression: "TRY_CAST(CAST(half AS DECIMAL(4,1)) || '' AS INTEGER)" },
            { name: 'as_big', expression: 'half::BIGINT' },
            { name: 'txt_int', expression: 'TRY_CAST(numtxt AS INTEGER)' },
            { name: 'r2', expression: 'round(d, 2)' },
            { name: 'third', expression: 'm / 3' },
            { name: 'ep', expression: 'epoch(ts)' },
            { name: 'months', expression: "date_diff('month', TIMESTAMP '2000-01-31', ts)" },
            { name: 'doy', expression: "strftime(ts, '%j')" },
            { name: 'n', expression: 'len(l)' },
            { name: 'first_el', expression: 'l[1]' },
            { name: 'last_el', expression: 'l[-1]' },
            { name: 'alpha', expression: "regexp_matches(s, '^[[:alpha:]]+$')" },
            { name: 'word', expression: "regexp_matches(s, '^\\w+$')" },
            { name: 'digits', expression: "s SIMILAR TO '[a-z][0-9]'" },
            { name: 'special', expression: "CAST(CASE WHEN id = 1 THEN 'inf'::DOUBLE WHEN id = 2 THEN 'nan'::DOUBLE ELSE -'inf'::DOUBLE END AS VARCHAR)" },
          ],
        },
      },
      parquet('sink', 'meaning.parquet'),
    ],
    edges: ['v -> calc', 'calc -> sink'],
  },
  {
    name: 'aggregate first/last skip NULL values, avg of a DECIMAL is the exact mean',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES ('x', 3, NULL, 1.00::DECIMAL(10,2)), ('x', 5, 'b', 2.00::DECIMAL(10,2)), ('x', 6, 'c', 2.00::DECIMAL(10,2)), ('y', 1, 'a', 1.00::DECIMAL(10,2))) t(g, id, k, m)" } },
      { id: 'agg', type: 'transform.aggregate', params: { group_by: ['g'], aggregations: [{ name: 'first_k', function: 'first', column: 'k', order_by: 'id' }, { name: 'last_k', function: 'last', column: 'k', order_by: 'id' }, { name: 'mean', function: 'avg', column: 'm' }] } },
      parquet('sink', 'first.parquet'),
    ],
    edges: ['v -> agg', 'agg -> sink'],
  },
  {
    name: 'date parts and date_diff count as DuckDB does: ISO weekdays, boundaries crossed',
    nodes: [
      {
        id: 'v',
        type: 'transform.sql',
        params: {
          query:
            "SELECT * FROM (VALUES (1, DATE '2024-12-29', TIMESTAMP '2024-01-01 10:59:59.9', TIMESTAMP '2024-01-01 11:00:00.1', TIMESTAMPTZ '2024-01-01 10:59:59.9+00'), (2, DATE '2024-12-30', TIMESTAMP '1969-12-31 23:59:59.9995', TIMESTAMP '1970-01-01 00:00:00.0005', TIMESTAMPTZ '1969-12-31 23:30:00+00'), (3, DATE '2021-01-03', TIMESTAMP '2024-01-03 00:00:01', TIMESTAMP '2024-01-01 23:59:59', TIMESTAMPTZ '2024-01-03 00:00:01+00'), (4, NULL, NULL, NULL, NULL), (5, DATE '0001-01-01', TIMESTAMP '2024-01-01 10:00:00', TIMESTAMP '2024-01-08 09:00:00', TIMESTAMPTZ '1999-12-31 23:59:59.999999+00'), (6, DATE '1969-12-29', TIMESTAMP '1960-01-01 00:00:00.5', TIMESTAMP '2039-12-31 23:00:00', TIMESTAMPTZ '2039-12-31 23:00:00+00')) t(id, dt, a, b, tz)",
        },
      },
      {
        id: 'calc',
        type: 'transform.derive',
        params: {
          columns: [
            { name: 'isodow', expression: 'isodow(dt)' },
            { name: 'x_isodow', expression: 'extract(isodow FROM dt)' },
            { name: 'p_isodow', expression: "date_part('isodow', a)" },
            { name: 'x_dow', expression: 'extract(dow FROM dt)' },
            { name: 'wd', expression: 'weekday(dt)' },
            { name: 'wk', expression: 'week(dt)' },
            { name: 'iy', expression: 'isoyear(dt)' },
            { name: 'sec', expression: 'extract(second FROM a)' },
            { name: 'days', expression: "date_diff('day', a, b)" },
            { name: 'hours', expression: "date_diff('hour', a, b)" },
            { name: 'minutes', expression: "date_diff('minute', a, b)" },
            { name: 'seconds', expression: "date_diff('second', a, b)" },
            { name: 'millis', expression: "date_diff('millisecond', a, b)" },
            { name: 'micros', expression: "date_diff('microsecond', a, b)" },
            { name: 'weeks', expression: "date_diff('week', a, b)" },
            { name: 'decades', expression: "date_diff('decade', a, b)" },
            { name: 'isoyears', expression: "date_diff('isoyear', dt, a)" },
            { name: 'date_hours', expression: "date_diff('hour', dt, b)" },
            { name: 'tz_hours', expression: "date_diff('hour', tz, b)" },
            { name: 'tz_days', expression: "date_diff('day', a, tz)" },
          ],
        },
      },
      parquet('sink', 'dates.parquet'),
    ],
    edges: ['v -> calc', 'calc -> sink'],
  },
  {
    name: 'text functions as DuckDB means them: substring from 0 and backwards, trim of Unicode spaces, format, printf, concat',
    nodes: [
      {
        id: 'v',
        type: 'transform.sql',
        params: {
          query:
            "SELECT * FROM (VALUES (1, 'straße', 'nan'::DOUBLE, 7::BIGINT, 0::BIGINT, [1, NULL, 2, 1, NULL]), (2, '👍🏽x', 'inf'::DOUBLE, 9223372036854775807::BIGINT, 2::BIGINT, CAST([] AS INTEGER[])), (3, ' ' || chr(160) || 'x' || chr(9) || chr(12288), -0.0::DOUBLE, -7::BIGINT, -1::BIGINT, NULL), (4, NULL, NULL, NULL, 0::BIGINT, [NULL])) t(id, s, d, big, z, l)",
        },
      },
      {
        id: 'calc',
        type: 'transform.derive',
        params: {
          columns: [
            { name: 'from_zero', expression: 'substring(s, 0, 2)' },
            { name: 'from_z', expression: 'substring(s, z, 2)' },
            { name: 'backwards', expression: 'substring(s, 3, -2)' },
            { name: 'back_z', expression: 'substring(s, -1, z - 3)' },
            { name: 'emoji', expression: 'substring(s, 2, 2)' },
            { name: 'tail', expression: 'substring(s, -1, 3)' },
            { name: 'trimmed', expression: "'[' || trim(s) || ']'" },
            { name: 'ltrimmed', expression: "'[' || ltrim(s) || ']'" },
            { name: 'rtrimmed', expression: "'[' || rtrim(s) || ']'" },
            { name: 'fmt', expression: "format('{}-{}|{{}}', s, big)" },
            { name: 'pf', expression: "printf('%s:%d%%', s, big)" },
            { name: 'piped', expression: "'v=' || d" },
            { name: 'joined', expression: "concat('v=', d, '/', big)" },
            { name: 'distinct', expression: 'list_sort(list_distinct(l))' },
          ],
        },
      },
      parquet('sink', 'text.parquet'),
    ],
    edges: ['v -> calc', 'calc -> sink'],
  },
  {
    name: 'division and remainder by zero: inf or NULL as on DuckDB, not an error',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 7::BIGINT, 0::BIGINT, 7.5::DOUBLE, 1.50::DECIMAL(10,2)), (2, -9223372036854775807::BIGINT, 2::BIGINT, 'nan'::DOUBLE, -2.25::DECIMAL(10,2)), (3, -7::BIGINT, 0::BIGINT, -7.5::DOUBLE, 0.10::DECIMAL(10,2)), (4, NULL, 0::BIGINT, NULL, NULL)) t(id, big, z, d, m)" } },
      {
        id: 'calc',
        type: 'transform.derive',
        params: {
          columns: [
            { name: 'q', expression: 'big / z' },
            { name: 'q0', expression: 'big / 0' },
            { name: 'iq', expression: 'big // z' },
            { name: 'iq0', expression: 'big // 0' },
            { name: 'r', expression: 'big % z' },
            { name: 'dq', expression: 'd / z' },
            { name: 'diq', expression: 'd // z' },
            { name: 'dhalf', expression: 'd // 2' },
            { name: 'mq', expression: 'm / z' },
            { name: 'mr', expression: 'm % z' },
            { name: 'mtext', expression: 'CAST(m / z AS VARCHAR)' },
          ],
        },
      },
      parquet('sink', 'zero.parquet'),
    ],
    edges: ['v -> calc', 'calc -> sink'],
  },
  {
    name: 'a TIMESTAMPTZ keeps its UTC offset as text, in a cast and in CSV and JSON sinks',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, TIMESTAMPTZ '2024-03-31 02:30:00.123456+00'), (2, TIMESTAMPTZ '2024-03-31 02:30:00+00'), (3, NULL), (4, TIMESTAMPTZ '0001-01-01 00:00:00+00')) t(id, tz)" } },
      { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'txt', expression: 'CAST(tz AS VARCHAR)' }, { name: 'piped', expression: "'at ' || tz" }] } },
      { id: 'csv', type: 'sink.csv', params: { path: '${out}/tz.csv', if_exists: 'overwrite' } },
      { id: 'json', type: 'sink.json', params: { path: '${out}/tz.jsonl', if_exists: 'overwrite' } },
      parquet('pq', 'tz.parquet'),
    ],
    edges: ['v -> calc', 'calc -> csv', 'calc -> json', 'calc -> pq'],
  },
  {
    name: 'clean text with normalize_unicode and remove_accents together',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 'Cafe' || chr(769) || ' Ñandú'), (2, 'Zoë  Faure'), (3, NULL)) t(id, name)" } },
      { id: 'clean', type: 'transform.clean_text', params: { columns: ['name'], normalize_unicode: true, remove_accents: true, case: 'lower' } },
      parquet('sink', 'clean.parquet'),
    ],
    edges: ['v -> clean', 'clean -> sink'],
  },
  {
    name: 'DECIMAL + - * keep DuckDB\'s type and every digit (no scale cut to fit 38 digits)',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 1.5::DECIMAL(38,10), 1.51::DECIMAL(10,2), 0.001::DECIMAL(10,3), 7::BIGINT), (2, -123456789012345678.0123456789::DECIMAL(38,10), 99999999.99::DECIMAL(10,2), 123456.999::DECIMAL(10,3), -9223372036854775807::BIGINT), (3, NULL, 0.01::DECIMAL(10,2), NULL, NULL)) t(id, a, b, m, big)" } },
      {
        id: 'calc',
        type: 'transform.derive',
        params: {
          columns: [
            { name: 'diff', expression: 'CAST(a - b AS VARCHAR)' },
            { name: 'plus_one', expression: 'CAST(a + 1 AS VARCHAR)' },
            { name: 'plus_big', expression: 'CAST(b + big AS VARCHAR)' },
            { name: 'square', expression: 'CAST(m * m AS VARCHAR)' },
            { name: 'ab', expression: 'CAST(a * 0.5 AS VARCHAR)' },
            { name: 'mixed', expression: 'CAST(b * 2 - m + 1.25 AS VARCHAR)' },
            { name: 'kept', expression: 'a - b' },
          ],
        },
      },
      { id: 'csv', type: 'sink.csv', params: { path: '${out}/decimals.csv', if_exists: 'overwrite' } },
      parquet('pq', 'decimals.parquet'),
    ],
    edges: ['v -> calc', 'calc -> csv', 'calc -> pq'],
  },
  {
    name: 'DECIMAL overflow past DuckDB\'s result type fails on both engines',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 99999999.99::DECIMAL(10,2)), (2, 99999999.99::DECIMAL(10,2))) t(id, b)" } },
      // DECIMAL(10,2)³ is DECIMAL(18,6) on DuckDB (Spark's own type would be DECIMAL(32,6) and hold it).
      { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'cube', expression: 'b * b * b' }] } },
      parquet('pq', 'overflow.parquet'),
    ],
    edges: ['v -> calc', 'calc -> pq'],
    fails: 'execution',
  },
  {
    name: 'sums of integers past 2^63 are exact (DuckDB HUGEINT, Spark DECIMAL(38,0)), in aggregates, windows and SQL',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES ('a', 9223372036854775807::BIGINT, 2147483647::INTEGER, 1.25::DECIMAL(10,2)), ('a', 9223372036854775807::BIGINT, 2147483647::INTEGER, 99999999.99::DECIMAL(10,2)), ('b', -5::BIGINT, NULL, NULL)) t(g, big, i, d)" } },
      { id: 'agg', type: 'transform.aggregate', params: { group_by: ['g'], aggregations: [{ name: 'total', function: 'sum', column: 'big' }, { name: 'total_i', function: 'sum', column: 'i' }, { name: 'total_d', function: 'sum', column: 'd' }] } },
      { id: 'q', type: 'transform.sql', params: { query: 'SELECT g, sum(big) AS s, sum(big) OVER () AS w, CAST(sum(big) AS VARCHAR) AS t FROM v GROUP BY g, big' } },
      { id: 'csv', type: 'sink.csv', params: { path: '${out}/sums.csv', if_exists: 'overwrite' } },
      parquet('pq', 'sums.parquet'),
      { id: 'csv2', type: 'sink.csv', params: { path: '${out}/sql_sums.csv', if_exists: 'overwrite' } },
    ],
    edges: ['v -> agg', 'agg -> csv', 'agg -> pq', 'v -> q', 'q -> csv2'],
  },
  {
    name: 'median of integers, DECIMALs, dates and timestamps: fill_nulls and aggregate as on DuckDB',
    nodes: [
      {
        id: 'v',
        type: 'transform.sql',
        params: {
          query:
            "SELECT * FROM (VALUES ('a', 1, 9007199254740993::BIGINT, 1.25::DECIMAL(10,2), DATE '2024-01-01', TIMESTAMP '1969-12-31 23:59:59.999993'), ('a', 2, 9007199254740995::BIGINT, 2.50::DECIMAL(10,2), DATE '2024-01-02', TIMESTAMP '1969-12-31 23:59:59.999998'), ('a', NULL, NULL, NULL, NULL, NULL), ('b', 7, 4::BIGINT, 3.33::DECIMAL(10,2), DATE '2024-03-01', TIMESTAMP '2024-01-01 00:00:00'), ('b', 8, 5::BIGINT, 3.34::DECIMAL(10,2), DATE '2024-03-04', TIMESTAMP '2024-01-01 00:00:00.000007'), ('b', 9, NULL, NULL, NULL, NULL), ('c', NULL, NULL, NULL, NULL, NULL)) t(g, id, n, m, d, ts)",
        },
      },
      { id: 'fill', type: 'transform.fill_nulls', params: { rules: [{ column: 'n', strategy: 'median' }, { column: 'm', strategy: 'median' }, { column: 'd', strategy: 'median' }, { column: 'ts', strategy: 'median' }] } },
      { id: 'fill_g', type: 'transform.fill_nulls', params: { rules: [{ column: 'n', strategy: 'median' }, { column: 'm', strategy: 'median' }, { column: 'd', strategy: 'median' }, { column: 'ts', strategy: 'median' }], partition_by: ['g'] } },
      { id: 'agg', type: 'transform.aggregate', params: { group_by: ['g'], aggregations: [{ name: 'md', function: 'median', column: 'd' }, { name: 'mts', function: 'median', column: 'ts' }, { name: 'p3', function: 'percentile', column: 'ts', p: 0.3 }, { name: 'pd', function: 'percentile', column: 'd', p: 0.123456789 }] } },
      { id: 'q', type: 'transform.sql', params: { query: 'SELECT g, quantile_disc(n, 0.5) AS qn, quantile_disc(d, 0.3) AS qd, quantile_disc(m, 0.75) OVER (PARTITION BY g) AS qm FROM v GROUP BY g, m' } },
      { id: 'as_text', type: 'transform.derive', params: { columns: [{ name: 'n', expression: 'CAST(n AS VARCHAR)' }, { name: 'ts', expression: 'CAST(ts AS VARCHAR)' }] } },
      { id: 'as_text_g', type: 'transform.derive', params: { columns: [{ name: 'n', expression: 'CAST(n AS VARCHAR)' }, { name: 'ts', expression: 'CAST(ts AS VARCHAR)' }] } },
      { id: 'agg_text', type: 'transform.derive', params: { columns: [{ name: 'mts', expression: 'CAST(mts AS VARCHAR)' }, { name: 'p3', expression: 'CAST(p3 AS VARCHAR)' }, { name: 'pd', expression: 'CAST(pd AS VARCHAR)' }] } },
      parquet('s1', 'fill.parquet'),
      parquet('s2', 'fill_g.parquet'),
      parquet('s3', 'agg.parquet'),
      parquet('s4', 'disc.parquet'),
    ],
    edges: ['v -> fill', 'fill -> as_text', 'as_text -> s1', 'v -> fill_g', 'fill_g -> as_text_g', 'as_text_g -> s2', 'v -> agg', 'agg -> agg_text', 'agg_text -> s3', 'v -> q', 'q -> s4'],
  },
  {
    name: 'quality samples hold a TIMESTAMPTZ of year 1 and timestamps as DuckDB writes them',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, TIMESTAMPTZ '0001-01-01 00:00:00+00', TIMESTAMP '2024-03-31 02:30:00.5', DATE '0001-01-01'), (2, TIMESTAMPTZ '2024-03-31 02:30:00.123456+00', TIMESTAMP '0001-01-01 00:00:00', DATE '2024-01-02'), (3, NULL, NULL, NULL)) t(id, tz, ts, d)" } },
      { id: 'qc', type: 'quality.check', params: { checks: [{ name: 'recent', kind: 'expression', expression: "tz > TIMESTAMPTZ '2000-01-01 00:00:00+00' OR tz IS NULL", severity: 'warn' }, { name: 'tz set', kind: 'not_null', column: 'tz', severity: 'warn' }] } },
      parquet('pq', 'checked.parquet'),
    ],
    edges: ['v -> qc', 'qc -> pq'],
    samples: true,
  },
  {
    name: "regular expressions as RE2 reads them: replacement groups and $, Unicode case folding, ASCII \\b and \\s, empty matches between whole characters",
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 'café'), (2, 'ÉCOLE'), (3, 'a' || chr(11) || 'b'), (4, 'US 5 ab $x'), (5, NULL), (6, ''), (7, 'e' || chr(769) || '🇪🇸👍🏽'), (8, 'a b|c')) t(id, s)" } },
      {
        id: 'calc',
        type: 'transform.derive',
        params: {
          columns: [
            { name: 'swapped', expression: "regexp_replace(s, '(a)(b)', '\\2\\1', 'g')" },
            { name: 'whole', expression: "regexp_replace(s, '[a-z]+', '<\\0>', 'g')" },
            { name: 'dollar', expression: "regexp_replace(s, 'a', '$1', 'g')" },
            { name: 'backslash', expression: "regexp_replace(s, ' ', '\\\\', 'g')" },
            { name: 'group_then_digit', expression: "regexp_replace(s, '(a)', '\\12', 'g')" },
            { name: 'between', expression: "regexp_replace(s, '', '-', 'g')" },
            { name: 'alternatives', expression: "regexp_replace(s, 'x|\\|', '_', 'g')" },
            { name: 'ci', expression: "regexp_matches(s, 'école', 'i')" },
            { name: 'ci_inline', expression: "regexp_matches(s, '(?i)école')" },
            { name: 'ci_replace', expression: "regexp_replace(s, 'É', '*', 'gi')" },
            { name: 'boundary', expression: "regexp_matches(s, 'caf\\b')" },
            { name: 'space', expression: "regexp_matches(s, 'a\\sb')" },
            { name: 'in_class', expression: "regexp_matches(s, 'a[\\s|]b')" },
            { name: 'chars', expression: "string_split(s, '')" },
            { name: 'chars2', expression: "string_to_array(s, '')" },
            { name: 'lev', expression: "levenshtein(s, 'cafe')" },
            { name: 'joined', expression: "concat_ws('-', s, NULL, 'x', id)" },
          ],
        },
      },
      parquet('sink', 'regex.parquet'),
    ],
    edges: ['v -> calc', 'calc -> sink'],
  },
  {
    name: 'ceil, floor and trunc of a DOUBLE stay DOUBLE: NaN, infinity, 1e300 and the sign of zero kept',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 2.5::DOUBLE, 2.5::FLOAT), (2, -2.5::DOUBLE, -0.5::FLOAT), (3, 'nan'::DOUBLE, 'nan'::FLOAT), (4, 'inf'::DOUBLE, '-inf'::FLOAT), (5, -0.5::DOUBLE, 0.5::FLOAT), (6, 1e300::DOUBLE, 1e30::FLOAT), (7, NULL, NULL), (8, -0.0::DOUBLE, 4503599627370497.0::FLOAT)) t(id, d, f)" } },
      {
        id: 'calc',
        type: 'transform.derive',
        params: { columns: [{ name: 'c', expression: 'ceil(d)' }, { name: 'fl', expression: 'floor(d)' }, { name: 't', expression: 'trunc(d)' }, { name: 'cf', expression: 'ceil(f)' }, { name: 'tf', expression: 'trunc(f)' }] },
      },
      parquet('sink', 'rounding.parquet'),
    ],
    edges: ['v -> calc', 'calc -> sink'],
  },
  {
    name: 'dates: DATE - DATE is a day count, full month and day names, epoch_ms of a timestamp, DATE + INTERVAL a TIMESTAMP',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, DATE '2024-03-01', TIMESTAMP '2024-03-10 02:30:00', TIMESTAMPTZ '2024-03-31 01:30:00+00'), (2, DATE '1899-12-31', TIMESTAMP '1969-12-31 23:59:59.9995', TIMESTAMPTZ '1969-12-31 23:59:59.9995+00'), (3, NULL, NULL, NULL), (4, DATE '2024-01-31', TIMESTAMP '1850-06-01 12:00:00.001', TIMESTAMPTZ '2024-02-29 23:00:00+00')) t(id, dt, ts, tz)" } },
      {
        id: 'calc',
        type: 'transform.derive',
        params: {
          columns: [
            { name: 'days', expression: "dt - DATE '2024-01-01'" },
            { name: 'mname', expression: 'monthname(dt)' },
            { name: 'dname', expression: 'dayname(ts)' },
            { name: 'ms', expression: 'epoch_ms(ts)' },
            { name: 'ms_tz', expression: 'epoch_ms(tz)' },
            { name: 'from_ms', expression: 'epoch_ms(1700000000123)' },
            { name: 'next_month', expression: 'CAST(dt + INTERVAL 1 MONTH AS VARCHAR)' },
            { name: 'later', expression: 'CAST(dt + INTERVAL 36 HOUR AS VARCHAR)' },
            { name: 'week', expression: "CAST(date_trunc('week', dt) AS VARCHAR)" },
          ],
        },
      },
      parquet('sink', 'dates2.parquet'),
    ],
    edges: ['v -> calc', 'calc -> sink'],
  },
  {
    name: 'pivot with aggregate first ordered by a column',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 'a', 'x1', 3), (2, 'a', 'x2', 1), (3, 'b', NULL, 1), (4, 'b', 'y2', 2), (5, 'c', 'z', NULL)) t(id, grp, name, score)" } },
      { id: 'pv', type: 'transform.pivot', params: { group_by: [], pivot_column: 'grp', values: ['a', 'b', 'c', 'd'], aggregate: 'first', value_column: 'name', order_by: 'score' } },
      parquet('sink', 'pivot_first.parquet'),
    ],
    edges: ['v -> pv', 'pv -> sink'],
  },
  {
    name: 'CSV sink with a null_string writes an empty text as an empty field, as DuckDB does',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, '', 1.5::DOUBLE), (2, 'x', NULL), (3, NULL, 2.0::DOUBLE)) t(id, s, d)" } },
      { id: 'n1', type: 'sink.csv', params: { path: '${out}/n1.csv', if_exists: 'overwrite', null_string: 'NULL' } },
      { id: 'n2', type: 'sink.csv', params: { path: '${out}/n2.csv', if_exists: 'overwrite', null_string: '\\N', quote: "'" } },
    ],
    edges: ['v -> n1', 'v -> n2'],
  },
  {
    name: 'a value that fails at run time names the node whose expression failed',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 2.5::DOUBLE), (2, 1e300::DOUBLE)) t(id, d)" } },
      { id: 'calc', type: 'transform.derive', params: { columns: [{ name: 'i', expression: 'CAST(d AS INTEGER)' }] } },
      parquet('sink', 'failing.parquet'),
    ],
    edges: ['v -> calc', 'calc -> sink'],
    fails: 'execution',
    failsWith: "node 'calc' (transform.derive)",
  },
  {
    name: 'JSON sink refuses NaN and Infinity on both engines',
    nodes: [
      { id: 'v', type: 'transform.sql', params: { query: "SELECT * FROM (VALUES (1, 1.5::DOUBLE), (2, 'nan'::DOUBLE)) t(id, d)" } },
      { id: 'json', type: 'sink.json', params: { path: '${out}/nan.jsonl', if_exists: 'overwrite' } },
    ],
    edges: ['v -> json'],
    fails: 'execution',
    failsWith: 'column "d" holds nan, which JSON cannot represent',
  },
];
