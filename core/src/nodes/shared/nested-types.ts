import { fitsExactly } from './exact-common-type.js';
import { isNumericType } from './locale-numbers.js';
import { foldName } from './columns.js';

/**
 * Where DuckDB brings two list, struct or map types together (a union, an unpivot, Parquet files
 * combined by name) it widens the values inside them by the same rules as plain columns, but the
 * checks for plain columns do not look inside: a BIGINT[] meeting a DOUBLE[] becomes DOUBLE[] and
 * 9007199254740993 inside it becomes 9007199254740992, a DECIMAL(38,2)[] meeting a DECIMAL(38,0)[]
 * turns 1.25 into 1, and a BOOLEAN[] meeting an INTEGER[] turns true into 1, all without a word.
 * This reads DuckDB's type text into a tree and pairs the values' types inside two such types, so
 * that a pair that may change values is checked (each value converted there and back) and a pair
 * that changes their kind is refused, as for plain columns.
 */

type TypeTree =
  | { kind: 'leaf'; type: string }
  | { kind: 'list'; of: TypeTree }
  | { kind: 'struct'; fields: Array<[string, TypeTree]> }
  | { kind: 'map'; key: TypeTree; value: TypeTree };

/** Whether a type holds other values (a list, fixed-size array, struct, map or union). */
export function isNestedType(type: string): boolean {
  return /\]\s*$/.test(type) || /^\s*(STRUCT|MAP|UNION)\s*\(/i.test(type);
}

class Reader {
  i = 0;
  constructor(readonly s: string) {}
  skipSpaces(): void {
    while (this.s[this.i] === ' ') this.i++;
  }
  expect(ch: string): void {
    this.skipSpaces();
    if (this.s[this.i] !== ch) throw new Error(`expected ${ch}`);
    this.i++;
  }
  /** A struct field's name: "quoted" (with "" for a quote) or a bare word. */
  name(): string {
    this.skipSpaces();
    if (this.s[this.i] !== '"') {
      const m = /^[^\s"]+/.exec(this.s.slice(this.i));
      if (!m) throw new Error('expected a field name');
      this.i += m[0].length;
      return m[0];
    }
    let out = '';
    for (this.i++; this.i < this.s.length; this.i++) {
      if (this.s[this.i] === '"') {
        if (this.s[this.i + 1] !== '"') break;
        this.i++;
      }
      out += this.s[this.i];
    }
    this.expect('"');
    return out;
  }
  /** A plain type's text up to a top-level `,`, `)` or `[`: `DECIMAL(18,2)`, `ENUM('a,b', 'c')`, `TIMESTAMP WITH TIME ZONE`. */
  leaf(): string {
    const start = this.i;
    let depth = 0;
    for (; this.i < this.s.length; this.i++) {
      const ch = this.s[this.i]!;
      if (ch === "'") {
        for (this.i++; this.i < this.s.length && !(this.s[this.i] === "'" && this.s[this.i + 1] !== "'"); this.i += this.s[this.i] === "'" ? 2 : 1);
      } else if (ch === '(') depth++;
      else if (depth > 0 && ch === ')') depth--;
      else if (depth === 0 && (ch === ',' || ch === ')' || ch === '[')) break;
    }
    return this.s.slice(start, this.i).trim().toUpperCase();
  }
  type(): TypeTree {
    this.skipSpaces();
    const head = /^(STRUCT|UNION|MAP)\s*\(/i.exec(this.s.slice(this.i));
    let tree: TypeTree;
    if (head && head[1]!.toUpperCase() === 'MAP') {
      this.i += head[0].length;
      const key = this.type();
      this.expect(',');
      const value = this.type();
      this.expect(')');
      tree = { kind: 'map', key, value };
    } else if (head) {
      this.i += head[0].length;
      const fields: Array<[string, TypeTree]> = [];
      do fields.push([foldName(this.name()), this.type()]);
      while (this.s[this.i] === ',' && ++this.i);
      this.expect(')');
      // A union's members are alternatives, not parts; compared whole, as a plain type.
      tree = head[1]!.toUpperCase() === 'UNION' ? { kind: 'leaf', type: 'UNION' } : { kind: 'struct', fields };
    } else tree = { kind: 'leaf', type: this.leaf() };
    for (this.skipSpaces(); this.s[this.i] === '['; this.skipSpaces()) {
      const end = this.s.indexOf(']', this.i);
      if (end < 0) throw new Error('expected ]');
      this.i = end + 1;
      tree = { kind: 'list', of: tree };
    }
    return tree;
  }
}

function parse(type: string): TypeTree | undefined {
  try {
    const r = new Reader(type);
    const tree = r.type();
    r.skipSpaces();
    return r.i === type.length ? tree : undefined;
  } catch {
    return undefined;
  }
}

/** The pairs of plain types found at the same place inside `a` and `b` (struct fields by name), or undefined where their shapes differ. */
export function innerTypePairs(a: string, b: string): Array<[string, string]> | undefined {
  const [x, y] = [parse(a), parse(b)];
  if (!x || !y) return undefined;
  const pairs: Array<[string, string]> = [];
  const walk = (p: TypeTree, q: TypeTree): boolean => {
    if (p.kind === 'leaf' && q.kind === 'leaf') return pairs.push([p.type, q.type]) > 0;
    if (p.kind === 'list' && q.kind === 'list') return walk(p.of, q.of);
    if (p.kind === 'map' && q.kind === 'map') return walk(p.key, q.key) && walk(p.value, q.value);
    if (p.kind === 'struct' && q.kind === 'struct') {
      const other = new Map(q.fields);
      return p.fields.every(([name, t]) => !other.has(name) || walk(t, other.get(name)!));
    }
    return false;
  };
  return walk(x, y) ? pairs : undefined;
}

/**
 * Whether converting a value of the nested type `from` into the nested type `to` may change a value
 * inside it (an integer or decimal into a float, a decimal losing places or digits), so that each
 * value must be checked; true too where the shapes cannot be paired, to be safe.
 */
export function nestedMayChange(from: string, to: string): boolean {
  if (from === to || !(isNestedType(from) || isNestedType(to))) return false;
  const pairs = innerTypePairs(from, to);
  return pairs === undefined || pairs.some(([f, t]) => f !== t && t !== 'VARCHAR' && !fitsExactly(f, t));
}

const isTime = (t: string) => /^(DATE|TIME|TIMESTAMP|INTERVAL)\b/.test(t);

/**
 * A pair of types inside two nested types that DuckDB would bring together wrongly: a BOOLEAN meeting a
 * number (true becomes 1, without a word), or a date/time meeting a number or boolean (accepted at plan
 * time, failing once rows flow). The pair, for the message, or undefined.
 */
export function nestedKindClash(a: string, b: string): [string, string] | undefined {
  if (a === b || !(isNestedType(a) && isNestedType(b))) return undefined;
  const plain = (t: string) => t === 'BOOLEAN' || isNumericType(t);
  return innerTypePairs(a, b)?.find(
    ([x, y]) => (x === 'BOOLEAN' && isNumericType(y)) || (y === 'BOOLEAN' && isNumericType(x)) || (isTime(x) && plain(y)) || (isTime(y) && plain(x)),
  );
}
