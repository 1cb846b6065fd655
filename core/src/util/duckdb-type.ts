import { closest } from './suggest.js';

/**
 * DuckDB type names as users write them in column lists (source.csv, source.json, the stream
 * sources, transform.cast, transform.http_enrich) and expected schemas (quality checks): one parser
 * of DuckDB's type grammar, so that every alias means what DuckDB makes of it. Nodes decide what to
 * check by the type's name (`DECIMAL(10,2)` is checked for decimal places, `INTEGER` for fractions):
 * an alias such as `DEC(10,2)` or `INT4` must reach them by the name DuckDB gives it, or its values
 * would be converted unchecked.
 */

/**
 * Every spelling DuckDB accepts for a type, by the name DuckDB gives it (`typeof`, DESCRIBE).
 * Checked against DuckDB itself in schema-diff.test.ts.
 */
const NAMES: Record<string, string> = {
  ...same('TINYINT SMALLINT INTEGER BIGINT HUGEINT UTINYINT USMALLINT UINTEGER UBIGINT UHUGEINT FLOAT DOUBLE BOOLEAN DATE TIME TIME_NS TIMESTAMP TIMESTAMP_S TIMESTAMP_MS TIMESTAMP_NS INTERVAL UUID JSON BLOB BIT BIGNUM VARCHAR VARIANT GEOMETRY'),
  INT: 'INTEGER', INT4: 'INTEGER', INT32: 'INTEGER', SIGNED: 'INTEGER', INTEGRAL: 'INTEGER',
  INT8: 'BIGINT', LONG: 'BIGINT', INT64: 'BIGINT', OID: 'BIGINT',
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
/** Types that are meaningless without their members, with an example for messages. */
const NESTED: Record<string, string> = {
  STRUCT: 'STRUCT(a INTEGER, b VARCHAR)',
  ROW: 'ROW(a INTEGER, b VARCHAR)',
  UNION: 'UNION(num INTEGER, text VARCHAR)',
  MAP: 'MAP(VARCHAR, INTEGER)',
  ENUM: "ENUM('a', 'b')",
};
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
 * type grammar, so that equal types written differently compare equal; it never runs SQL. With
 * `quoteFields`, every field name is quoted (`STRUCT("x" INTEGER)`), so that the text is safe in SQL
 * whatever the names are (a field named `select` is one DuckDB's own name would need quoted).
 */
class TypeParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly quoteFields = false,
  ) {}

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
  private int(why = 'expected a number'): number {
    this.space();
    const m = /^\d+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(why);
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
    if (this.peek(')')) this.fail('nothing between the parentheses');
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
    if (NESTED[name] && !this.peek('(')) this.fail(`${name} needs its members in parentheses, e.g. ${NESTED[name]}`);
    if (name === 'STRUCT' || name === 'ROW') return `STRUCT(${this.fields().join(', ')})`;
    if (name === 'UNION') return `UNION(${this.fields().join(', ')})`;
    if (name === 'MAP') {
      const [k, v, extra] = this.list(() => this.type());
      if (v === undefined || extra !== undefined) this.fail('MAP takes a key type and a value type, e.g. MAP(VARCHAR, INTEGER)');
      return `MAP(${k}, ${v})`;
    }
    if (name === 'ENUM') return `ENUM(${this.list(() => this.string()).map((s) => `'${s.replaceAll("'", "''")}'`).join(', ')})`;
    const why = DECIMALS.has(name) ? `${name} takes a width and an optional scale, e.g. ${name}(12,2)` : `${name} takes a number in parentheses`;
    const args = this.peek('(') ? this.list(() => this.int(why)) : undefined;
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
      this.fail(`no type is named ${name}${guess ? ` (did you mean ${guess}?)` : `; use one such as ${EXAMPLES.slice(5)}`}`);
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
      const shown = !this.quoteFields && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
      return `${shown} ${this.type()}`;
    });
  }
}

/** Statement ends and comments: never part of a type, refused before parsing. */
const NOT_A_TYPE = /;|--|\/\*|\*\//;

/**
 * The type as DuckDB names it (`type`) and the same type with every field name quoted (`sql`, safe
 * to put into SQL as it is), or why the text is not a DuckDB type.
 */
export function resolveType(text: string): { type: string; sql: string } | { problem: string } {
  if (text.trim() === '' || NOT_A_TYPE.test(text)) return { problem: `'${text}' is not a DuckDB type (${EXAMPLES})` };
  try {
    return { type: new TypeParser(text.trim()).parse(), sql: new TypeParser(text.trim(), true).parse() };
  } catch (e) {
    if (!(e instanceof TypeError_)) throw e;
    return { problem: `'${text}' is not a DuckDB type: ${e.message}` };
  }
}

/** Why `text` is not a DuckDB type, or undefined when it is one. */
export function typeProblem(text: string): string | undefined {
  const r = resolveType(text);
  return 'problem' in r ? r.problem : undefined;
}

/**
 * The type as nodes use it: DuckDB's name with field names quoted (`dec(10,2)` → `DECIMAL(10,2)`,
 * `struct(a int4)` → `STRUCT("a" INTEGER)`); text that is no type is returned as written, for the
 * node's checks to report.
 */
export function sqlType(text: string): string {
  const r = resolveType(text);
  return 'sql' in r ? r.sql : text;
}

/** The type DuckDB would give `t`; text DuckDB could not read (a type of an extension) is compared as written, upper-cased, spaces collapsed. */
export function canonicalType(t: string): string {
  const r = resolveType(t);
  return 'type' in r ? r.type : t.trim().toUpperCase().replace(/\s+/g, ' ').replace(/\s*([(),[\]])\s*/g, '$1');
}
