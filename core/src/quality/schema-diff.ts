import type { Column } from '../nodes/define.js';
import { closest } from '../util/suggest.js';

export interface ExpectedColumn {
  name: string;
  type?: string;
}

/**
 * Every spelling DuckDB accepts for a type, by the name DuckDB gives it (`typeof`, DESCRIBE).
 * Checked against DuckDB itself in schema-diff.test.ts.
 */
const NAMES: Record<string, string> = {
  ...same('TINYINT SMALLINT INTEGER BIGINT HUGEINT UTINYINT USMALLINT UINTEGER UBIGINT UHUGEINT FLOAT DOUBLE BOOLEAN DATE TIME TIME_NS TIMESTAMP TIMESTAMP_S TIMESTAMP_MS TIMESTAMP_NS INTERVAL UUID JSON BLOB BIT BIGNUM VARCHAR VARIANT GEOMETRY'),
  INT: 'INTEGER', INT4: 'INTEGER', INT32: 'INTEGER', SIGNED: 'INTEGER',
  INT8: 'BIGINT', LONG: 'BIGINT', INT64: 'BIGINT',
  INT2: 'SMALLINT', INT16: 'SMALLINT', SHORT: 'SMALLINT',
  INT1: 'TINYINT', INT128: 'HUGEINT',
  UINT8: 'UTINYINT', UINT16: 'USMALLINT', UINT32: 'UINTEGER', UINT64: 'UBIGINT', UINT128: 'UHUGEINT',
  VARINT: 'BIGNUM',
  FLOAT8: 'DOUBLE', 'DOUBLE PRECISION': 'DOUBLE', FLOAT4: 'FLOAT', REAL: 'FLOAT',
  BOOL: 'BOOLEAN', LOGICAL: 'BOOLEAN',
  DATETIME: 'TIMESTAMP', TIMESTAMP_US: 'TIMESTAMP', 'TIMESTAMP WITHOUT TIME ZONE': 'TIMESTAMP',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP WITH TIME ZONE': 'TIMESTAMP WITH TIME ZONE',
  TIMETZ: 'TIME WITH TIME ZONE', 'TIME WITH TIME ZONE': 'TIME WITH TIME ZONE', 'TIME WITHOUT TIME ZONE': 'TIME',
  ...to('VARCHAR', 'STRING TEXT CHAR BPCHAR NCHAR NVARCHAR CHARACTER'), 'CHARACTER VARYING': 'VARCHAR', 'CHAR VARYING': 'VARCHAR', 'NATIONAL CHARACTER VARYING': 'VARCHAR',
  ...to('BLOB', 'BYTEA BINARY VARBINARY'), BITSTRING: 'BIT', GUID: 'UUID',
};
const DECIMALS = new Set(['DECIMAL', 'NUMERIC', 'DEC']);
/** Types whose length in parentheses DuckDB ignores: VARCHAR(10) is VARCHAR. */
const SIZED = new Set(['VARCHAR', 'CHAR', 'BPCHAR', 'NCHAR', 'NVARCHAR', 'CHARACTER', 'CHARACTER VARYING', 'CHAR VARYING', 'NATIONAL CHARACTER VARYING', 'STRING', 'TEXT']);
const MULTI_WORD = Object.keys(NAMES).filter((k) => k.includes(' ')).sort((a, b) => b.length - a.length);
const EXAMPLES = 'e.g. VARCHAR, BIGINT, DOUBLE, DECIMAL(12,2), DATE, TIMESTAMP, INTEGER[], STRUCT(a INTEGER, b VARCHAR)';

function same(names: string): Record<string, string> {
  return Object.fromEntries(names.split(' ').map((n) => [n, n]));
}
function to(name: string, aliases: string): Record<string, string> {
  return Object.fromEntries(aliases.split(' ').map((n) => [n, name]));
}

class TypeError_ extends Error {}

/**
 * A type written as DuckDB reads it (`DECIMAL(10, 2)`, `NUMERIC`, `INT[]`, `DOUBLE PRECISION`,
 * `STRUCT(x INT)`, `MAP(TEXT, INT)[3]`), as DuckDB names it: `DECIMAL(10,2)`, `DECIMAL(18,3)`,
 * `INTEGER[]`, `DOUBLE`, `STRUCT(x INTEGER)`, `MAP(VARCHAR, INTEGER)[3]`. A small parser of the
 * type grammar, so that equal types written differently compare equal; it never runs SQL.
 */
class TypeParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): string {
    const t = this.type();
    this.space();
    if (this.pos < this.text.length) this.fail(`unexpected '${this.text.slice(this.pos)}'`);
    return t;
  }

  private fail(why: string): never {
    throw new TypeError_(why);
  }
  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  private peek(ch: string): boolean {
    this.space();
    return this.text[this.pos] === ch;
  }
  private expect(ch: string): void {
    if (!this.peek(ch)) this.fail(`expected '${ch}'`);
    this.pos++;
  }
  private word(): string | undefined {
    this.space();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }
  /** A field name: a word, or a "quoted" name with "" for a quote. */
  private name(): string {
    this.space();
    if (this.text[this.pos] === '"') return this.quoted('"', 'unterminated quoted name');
    return this.word() ?? this.fail('expected a field name');
  }
  private int(): number {
    this.space();
    const m = /^\d+/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a number');
    this.pos += m[0].length;
    return Number(m[0]);
  }
  private string(): string {
    this.space();
    if (this.text[this.pos] !== "'") this.fail('expected a quoted value');
    return this.quoted("'", 'unterminated quoted value');
  }
  /** The text quoted by `q` at the current position (a doubled `q` stands for one), past its closing quote. */
  private quoted(q: string, unterminated: string): string {
    let out = '';
    for (this.pos++; ; this.pos++) {
      if (this.pos >= this.text.length) this.fail(unterminated);
      if (this.text[this.pos] === q) {
        if (this.text[this.pos + 1] !== q) break;
        this.pos++;
      }
      out += this.text[this.pos];
    }
    this.pos++;
    return out;
  }
  private list<T>(item: () => T): T[] {
    this.expect('(');
    const out = [item()];
    while (this.peek(',')) {
      this.pos++;
      out.push(item());
    }
    this.expect(')');
    return out;
  }
  /** The base name, the longest multi-word name first (DOUBLE PRECISION, TIMESTAMP WITH TIME ZONE). */
  private baseName(): string {
    this.space();
    const rest = this.text.slice(this.pos).toUpperCase().replace(/\s+/g, ' ');
    for (const multi of MULTI_WORD) {
      if (rest.startsWith(multi) && !/[A-Z0-9_]/.test(rest[multi.length] ?? '')) {
        // Consume as many words as the multi-word name has, whatever the spaces between them.
        for (let k = multi.split(' ').length; k > 0; k--) this.word();
        return multi;
      }
    }
    if (this.text[this.pos] === '"') return this.name().toUpperCase();
    return (this.word() ?? this.fail('expected a type name')).toUpperCase();
  }

  private type(): string {
    let t = this.base();
    // Lists and arrays: INT[], INT[3], INT ARRAY, INT ARRAY[3].
    for (;;) {
      this.space();
      if (/^ARRAY\b/i.test(this.text.slice(this.pos))) {
        this.word();
        if (!this.peek('[')) {
          t += '[]';
          continue;
        }
      }
      if (!this.peek('[')) return t;
      this.pos++;
      const size = this.peek(']') ? '' : String(this.int());
      this.expect(']');
      t += `[${size}]`;
    }
  }

  private base(): string {
    const name = this.baseName();
    if (name === 'STRUCT' || name === 'ROW') return `STRUCT(${this.fields().join(', ')})`;
    if (name === 'UNION') return `UNION(${this.fields().join(', ')})`;
    if (name === 'MAP') {
      const [k, v, extra] = this.list(() => this.type());
      if (v === undefined || extra !== undefined) this.fail('MAP takes a key type and a value type, e.g. MAP(VARCHAR, INTEGER)');
      return `MAP(${k}, ${v})`;
    }
    if (name === 'ENUM') return `ENUM(${this.list(() => this.string()).map((s) => `'${s.replaceAll("'", "''")}'`).join(', ')})`;
    const args = this.peek('(') ? this.list(() => this.int()) : undefined;
    if (DECIMALS.has(name)) {
      if (!args) return 'DECIMAL(18,3)';
      const [width, scale = 0, extra] = args;
      if (extra !== undefined) this.fail(`${name} takes a width and a scale`);
      if (width! < 1 || width! > 38) this.fail(`DECIMAL width must be between 1 and 38 (got ${width})`);
      if (scale > width!) this.fail(`DECIMAL scale (${scale}) cannot exceed its width (${width})`);
      return `DECIMAL(${width},${scale})`;
    }
    if (name === 'TIMESTAMP' && args) {
      const [p] = args;
      if (args.length > 1 || p! > 9) this.fail('TIMESTAMP takes a precision from 0 to 9');
      return p === 0 ? 'TIMESTAMP_S' : p! <= 3 ? 'TIMESTAMP_MS' : p! <= 6 ? 'TIMESTAMP' : 'TIMESTAMP_NS';
    }
    if (name === 'FLOAT' && args) {
      const [p] = args;
      if (args.length > 1 || p! < 1 || p! > 53) this.fail('FLOAT takes a precision from 1 to 53 bits');
      return p! <= 24 ? 'FLOAT' : 'DOUBLE';
    }
    const known = NAMES[name];
    if (!known) {
      const guess = closest(name, Object.keys(NAMES));
      this.fail(`no type is named ${name}${guess ? ` (did you mean ${guess}?)` : ''}`);
    }
    if (args && !(SIZED.has(name) && args.length === 1)) this.fail(`${name} takes no arguments in parentheses`);
    return known;
  }

  private fields(): string[] {
    const seen = new Set<string>();
    return this.list(() => {
      const name = this.name();
      if (seen.has(name.toLowerCase())) this.fail(`field '${name}' appears twice`);
      seen.add(name.toLowerCase());
      const shown = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
      return `${shown} ${this.type()}`;
    });
  }
}

/**
 * The type as DuckDB names it, or why it is not a DuckDB type. Statement ends, comments and
 * anything but a type are refused (the type text never goes into SQL here).
 */
export function resolveType(text: string): { type: string } | { problem: string } {
  if (/;|--|\/\*|\*\//.test(text)) return { problem: `'${text}' is not a DuckDB type (${EXAMPLES})` };
  try {
    return { type: new TypeParser(text.trim()).parse() };
  } catch (e) {
    if (!(e instanceof TypeError_)) throw e;
    return { problem: `'${text}' is not a DuckDB type: ${e.message}` };
  }
}

/** The type DuckDB would give `t`; text DuckDB could not read (a type of an extension) is compared as written, upper-cased, spaces collapsed. */
export function canonicalType(t: string): string {
  const r = resolveType(t);
  return 'type' in r ? r.type : t.trim().toUpperCase().replace(/\s+/g, ' ').replace(/\s*([(),[\]])\s*/g, '$1');
}

/** The comparison key: the canonical type, with struct and union field names without regard to case, as DuckDB resolves them. */
function typeKey(t: string): string {
  return canonicalType(t).replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*/g, (m) => (m.startsWith("'") ? m : m.toLowerCase()));
}

/**
 * Why an expected type cannot be compared, or undefined: a type DuckDB does not know. For
 * callers that check expected schemas before a run (the pin's problem, a check's validation).
 */
export function expectedTypeProblem(type: string): string | undefined {
  const r = resolveType(type);
  return 'problem' in r ? r.problem : undefined;
}

/**
 * The differences between the columns a node sees and the ones expected, one line each:
 * "missing column 'x'", "column 'x' is VARCHAR, expected BIGINT", "extra column 'y' (DOUBLE)".
 * Names compare without regard to case, as DuckDB resolves them; types by the name DuckDB gives
 * them, however they are written (`INT[]` = `INTEGER[]`, `NUMERIC` = `DECIMAL(18,3)`). An expected
 * type DuckDB does not know is a line of its own, naming the column.
 */
export function schemaDiff(actual: Column[], expected: ExpectedColumn[], allowExtra: boolean): string[] {
  const out: string[] = [];
  const byName = new Map(actual.map((c) => [c.name.toLowerCase(), c]));
  const wanted = new Set(expected.map((c) => c.name.toLowerCase()));
  for (const e of expected) {
    const a = byName.get(e.name.toLowerCase());
    const unknown = e.type === undefined ? undefined : expectedTypeProblem(e.type);
    if (!a) out.push(`missing column '${e.name}'${e.type ? ` (${e.type})` : ''}`);
    else if (e.type && typeKey(a.type) !== typeKey(e.type)) {
      // A type no parser here knows, written exactly as DuckDB names the column's, matched above.
      out.push(unknown ? `column '${a.name}': the expected type ${unknown}` : `column '${a.name}' is ${a.type}, expected ${e.type}${canonicalType(e.type) !== e.type ? ` (${canonicalType(e.type)})` : ''}`);
    }
  }
  if (!allowExtra) for (const a of actual) if (!wanted.has(a.name.toLowerCase())) out.push(`extra column '${a.name}' (${a.type})`);
  return out;
}
