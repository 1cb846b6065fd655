import { closest } from '../../util/suggest.js';

/**
 * A plausibility check for DuckDB type names a user types into a column list. It catches typos
 * and garbage before anything runs; DuckDB's binder still has the last word on nested types.
 */

const SIMPLE = [
  'BIGINT', 'INT8', 'LONG', 'INT64', 'INTEGER', 'INT', 'INT4', 'INT32', 'SIGNED', 'SMALLINT', 'INT2', 'INT16', 'SHORT',
  'TINYINT', 'INT1', 'HUGEINT', 'INT128', 'UBIGINT', 'UINT64', 'UINTEGER', 'UINT32', 'USMALLINT', 'UINT16', 'UTINYINT',
  'UINT8', 'UHUGEINT', 'UINT128', 'BIGNUM', 'VARINT', 'DOUBLE', 'DOUBLE PRECISION', 'FLOAT8', 'FLOAT', 'FLOAT4', 'REAL',
  'BOOLEAN', 'BOOL', 'LOGICAL', 'DATE', 'TIME', 'TIME_NS', 'TIMETZ', 'TIME WITH TIME ZONE', 'TIMESTAMP', 'DATETIME',
  'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_US', 'TIMESTAMP_NS', 'TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE', 'INTERVAL',
  'UUID', 'GUID', 'JSON', 'BLOB', 'BYTEA', 'BINARY', 'VARBINARY', 'BIT', 'BITSTRING',
];
/** Types that may carry a length or precision in parentheses. */
const WITH_SIZE = ['VARCHAR', 'CHAR', 'BPCHAR', 'TEXT', 'STRING', 'NVARCHAR', 'CHARACTER', 'CHARACTER VARYING'];
const DECIMAL = ['DECIMAL', 'NUMERIC', 'DEC'];
/** Types that are meaningless without their arguments. */
const NESTED = ['STRUCT', 'ROW', 'MAP', 'UNION', 'ENUM'];

const KNOWN = new Set([...SIMPLE, ...WITH_SIZE, ...DECIMAL, ...NESTED]);
const EXAMPLES = 'e.g. VARCHAR, BIGINT, DOUBLE, DECIMAL(12,2), DATE, TIMESTAMP, BOOLEAN, INTEGER[]';

const SHAPE = /^([A-Za-z][A-Za-z0-9_]*(?:\s+[A-Za-z][A-Za-z0-9_]*)*)\s*(?:\(([\s\S]*)\))?\s*((?:\[\s*\d*\s*\]\s*)*)$/;

/** Parentheses outside quotes balance and never close more than they opened. */
function balanced(text: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0 && quote === undefined;
}

/** Returns why `type` cannot be a DuckDB type, or undefined when it looks plausible. */
export function checkDuckDbType(type: string): string | undefined {
  const text = type.trim();
  // A type goes into SQL as written: no statement end or comment can hide in its parentheses.
  if (/;|--|\/\*|\*\//.test(text)) return `'${type}' is not a DuckDB type name (${EXAMPLES})`;
  const m = SHAPE.exec(text);
  if (!m || (m[2] !== undefined && !balanced(m[2]))) return `'${type}' is not a DuckDB type name (${EXAMPLES})`;
  const base = m[1]!.replace(/\s+/g, ' ').toUpperCase();
  const args = m[2]?.trim();
  if (!KNOWN.has(base)) {
    const guess = closest(base, KNOWN);
    return `'${type}' is not a DuckDB type${guess ? ` (did you mean '${guess}'?)` : ''}; use one such as ${EXAMPLES.slice(5)}`;
  }
  if (NESTED.includes(base)) {
    if (!args) return `${base} needs its members in parentheses, e.g. ${base === 'ENUM' ? "ENUM('a', 'b')" : base === 'MAP' ? 'MAP(VARCHAR, INTEGER)' : `${base}(a INTEGER, b VARCHAR)`}`;
    return undefined;
  }
  if (args === undefined) return undefined;
  if (DECIMAL.includes(base)) {
    const d = /^(\d+)\s*(?:,\s*(\d+))?$/.exec(args);
    if (!d) return `${base} takes a width and an optional scale, e.g. ${base}(12,2)`;
    const width = Number(d[1]);
    const scale = d[2] === undefined ? 0 : Number(d[2]);
    if (width < 1 || width > 38) return `${base} width must be between 1 and 38 (got ${width})`;
    if (scale > width) return `${base} scale (${scale}) cannot exceed its width (${width})`;
    return undefined;
  }
  if (WITH_SIZE.includes(base)) return /^\d+$/.test(args) ? undefined : `${base} takes a length, e.g. ${base}(100)`;
  return `${base} takes no arguments in parentheses`;
}
