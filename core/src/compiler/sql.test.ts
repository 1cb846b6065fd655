import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from './db.js';
import { checkExpressionShape, checkQueryShape, literal, substituteParams, tokenize } from './sql.js';

const kinds = (sql: string) => tokenize(sql).map((t) => [t.kind, t.text]);
const sub = (sql: string, note: string) => substituteParams(sql, { note: literal(note) });

describe('tokenize: what DuckDB reads as one string or comment', () => {
  it('dollar-quoted strings, with and without a tag, are strings', () => {
    expect(kinds('$$ Note: $note $$')).toEqual([['string', '$$ Note: $note $$']]);
    expect(kinds("$t$ it's $$ $t$")).toEqual([['string', "$t$ it's $$ $t$"]]);
    // The closing tag is case-sensitive; another tag inside does not end the string.
    expect(kinds('$a$x$A$ $b$ y$a$')).toEqual([['string', '$a$x$A$ $b$ y$a$']]);
    expect(kinds('$$x$a$$')).toEqual([['string', '$$x$a$$']]);
    expect(kinds('$é$ $note $é$')).toEqual([['string', '$é$ $note $é$']]);
    // $ inside an identifier is part of it (DuckDB: a$$ is a column name), so no string starts there.
    expect(kinds('a$$ $note')).toEqual([['ident', 'a$$'], ['space', ' '], ['param', '$note']]);
  });

  it('an unterminated dollar quote is refused, with a hint when a param runs into a $', () => {
    expect(() => tokenize('$$ abc')).toThrow(/unterminated dollar-quoted string starting at character 1/);
    expect(() => tokenize('x = $note$')).toThrow(/\$note\$ starts a dollar-quoted string; to use a param there, put a space after \$note/);
  });

  it('block comments nest; -- comments end at \\n or \\r', () => {
    expect(kinds('/* old: /* was */ $note */ x')).toEqual([
      ['comment', '/* old: /* was */ $note */'],
      ['space', ' '],
      ['ident', 'x'],
    ]);
    expect(kinds('/* /*/ */ */')).toEqual([['comment', '/* /*/ */ */']]);
    expect(() => tokenize('/* a /* b */')).toThrow(/unterminated comment.*each \/\* inside needs its own \*\//);
    expect(kinds('-- c\r$note')).toEqual([['comment', '-- c'], ['space', '\r'], ['param', '$note']]);
  });

  it("E'…' strings take backslash escapes; a plain string does not", () => {
    expect(kinds("E'it\\'s' $note")).toEqual([['string', "E'it\\'s'"], ['space', ' '], ['param', '$note']]);
    expect(kinds("e'\\\\' $note")).toEqual([['string', "e'\\\\'"], ['space', ' '], ['param', '$note']]);
    expect(() => tokenize("'a\\'' $note")).toThrow(/unterminated string/);
    // In abcE'x' the E ends an identifier; in 1E'x' the number stops before the E (no exponent digits).
    expect(kinds("abcE'\\' $note")).toEqual([['ident', 'abcE'], ['string', "'\\'"], ['space', ' '], ['param', '$note']]);
    expect(kinds("1E'\\' $note'")).toEqual([['number', '1'], ['string', "E'\\' $note'"]]);
    expect(kinds('1e5')).toEqual([['number', '1e5']]);
  });

  it('shape checks see through dollar quotes and nested comments', () => {
    expect(checkExpressionShape('$$ ); DROP TABLE t; ( $$ = x')).toBeUndefined();
    expect(checkExpressionShape('x /* /* */ ); DROP TABLE t; ( */')).toBeUndefined();
    expect(checkExpressionShape('x -- c\r); DROP TABLE t; (')).toMatch(/unbalanced|several statements/);
    expect(checkQueryShape('SELECT $$;$$ AS a')).toBeUndefined();
  });
});

describe('substituteParams: the reproductions of the hostile report', () => {
  it('a $name inside a dollar-quoted string is left alone, so the value never reaches it', () => {
    const v = '$$ AS remark, (SELECT string_agg(content) FROM read_text($f$/etc/hostname$f$)) AS leaked, $$';
    expect(sub('SELECT id, $$ Note: $note $$ AS remark FROM src', v)).toBe('SELECT id, $$ Note: $note $$ AS remark FROM src');
  });

  it('a $name inside a nested block comment is left alone', () => {
    expect(sub('SELECT id /* old: /* was */ $note */ FROM src', '*/, 42 AS injected /*')).toBe('SELECT id /* old: /* was */ $note */ FROM src');
  });

  it('Unicode spaces DuckDB treats as spaces are written as plain spaces, so DuckDB reads the text as we do', () => {
    expect(sub('x\u00A0=\u3000$note', 'v')).toBe("x = 'v'");
    // Inside strings they are the user's text.
    expect(sub("'\u00A0'", 'v')).toBe("'\u00A0'");
  });
});

/*
 * Differential checks against DuckDB's own parser: a query is substituted once with a harmless
 * value and once with a hostile one; the parse trees must be the same but for the value.
 */
describe('a param value never changes what DuckDB parses (against DuckDB)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await Db.open();
  });
  afterAll(() => db.close());

  const HOSTILE = [
    '$$ AS remark, 42 AS leaked, $$',
    '*/, 42 AS injected /*',
    "' , 42 AS x --",
    '\n, 42 AS x --',
    '\r, 42 AS x',
    '$t$, 42 AS x, $t$',
    "\\', 42 AS x --",
    '", 42 AS x "',
    '/* ',
    "E'",
    '$$',
  ];

  async function parseTree(sql: string): Promise<string> {
    const [row] = await db.rows('SELECT json_serialize_sql(?::VARCHAR) AS j', [sql]);
    const tree = JSON.parse(String(row!.j)) as { error: boolean; error_type?: string };
    if (tree.error) return 'error';
    return JSON.stringify(tree, (k, v: unknown) => (k === 'query_location' ? undefined : v));
  }

  /** Whether DuckDB parsed the query (with the harmless value). */
  async function sameShape(query: string): Promise<boolean> {
    let safe: string;
    try {
      safe = sub(query, 'SAFE');
    } catch {
      return false; // refused before DuckDB sees it: nothing to compare
    }
    const expected = await parseTree(safe);
    for (const hostile of HOSTILE) {
      // A marker no query holds, so only the value is put back.
      const v = `ZZ${hostile}`;
      const got = await parseTree(sub(query, v));
      // The value is the only difference: put the harmless one back in the tree.
      const normalized = got.replaceAll(JSON.stringify(v), JSON.stringify('SAFE'));
      expect({ query, value: v, tree: normalized }).toEqual({ query, value: v, tree: expected });
    }
    return expected !== 'error';
  }

  it('the report’s queries and hand-written edge cases', async () => {
    for (const q of [
      'SELECT 1 AS id, $$ Note: $note $$ AS remark',
      'SELECT 1 AS id /* old: /* was */ $note */',
      "SELECT E'it\\'s' AS a, $note AS b",
      "SELECT $t$ it's $note $t$ AS a, $note AS b",
      'SELECT $note AS a -- $note\r, $note AS b',
      'SELECT $note AS a, $$x$a$$ AS b, $a$ $$ $note $a$ AS c',
      'SELECT 1 AS a\u00A0, $note AS b',
      "SELECT 1 /* ' */\u00A0AS a, $note AS b",
      'SELECT a$$ FROM (SELECT $note AS "a$$")',
    ]) {
      expect(await sameShape(q)).toBe(true);
    }
  });

  it('random compositions of quotes, tags and comments (seeded)', async () => {
    let seed = 20240611;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const bits = ['$note', ' ', '$$', '$t$', '$T$', "'", "''", '"', '/*', '*/', '--', '\n', '\r', "E'", '\\', 'x', '1', ',', '\u00A0', 'é', '$'];
    const inner = () => Array.from({ length: 1 + rand(5) }, () => bits[rand(bits.length)]).join('');
    const wraps: Array<(s: string) => string> = [
      (s) => `'${s}'`,
      (s) => `$$${s}$$`,
      (s) => `$t$${s}$t$`,
      (s) => `E'${s}'`,
      (s) => `/*${s}*/`,
      (s) => `/* /*${s}*/ */`,
      (s) => `--${s}\n`,
      (s) => `"${s}"`,
      () => '$note',
    ];
    let parsed = 0;
    for (let n = 0; n < 250; n++) {
      const parts = Array.from({ length: 1 + rand(3) }, () => wraps[rand(wraps.length)]!(inner()));
      if (await sameShape(`SELECT $note AS a, ${parts.join(' ')} AS b`)) parsed++;
    }
    // Enough of them are valid SQL for the comparison to mean something.
    expect(parsed).toBeGreaterThan(40);
  });
});

describe('literal', () => {
  it('writes a number as the shortest text that reads back as it, so a DECIMAL 0.10 equals 0.1', async () => {
    expect([0.1, 0.30000000000000004, -2.5, 1e-7, 1e21, 42].map(literal)).toEqual(['0.1', '0.30000000000000004', '-2.5', '1e-7', '1e+21', '42']);
    const db = await Db.open();
    try {
      expect(await db.rows(`SELECT 0.10::DECIMAL(18,2) >= ${literal(0.1)} AS ge, CAST(${literal(0.1)} AS VARCHAR) AS text`)).toEqual([{ ge: true, text: '0.1' }]);
    } finally {
      await db.close();
    }
  });
});
