import { Db } from '../../compiler/db.js';
import { ident, literal, stringLiteral } from '../../compiler/sql.js';

/** A value of the spool that DuckDB's reader refuses for its column's type. */
export interface RefusedValue {
  /** The spool's line (1-based): the record. */
  line: number;
  /** The top-level column (key) it is in. */
  column: string;
  /** Where in the record, as a path: `tags[1]`, `address.zip`. */
  at: string;
  /** The value as JSON text (shortened), or what it is when it is an object or a list. */
  value: string;
}

/**
 * The first value of the spool (NDJSON) that reading it with `columns` (name → read type) refuses.
 * DuckDB's error names a line, but for a value inside a list it is the value's place among all the
 * list values read so far (`"tags": ["a"]` on line 4, after 4 numbers in lists: "line 5"; a bad
 * date in a DATE[] on line 3: "line 1"). So the spool is read again, leniently (a refused value is
 * NULL then), and compared with its records as written: a value the record has, that the read
 * made NULL (or an object or list where the record has a plain value), is the one refused. Only
 * records whose lenient read holds a null are walked. In a database of its own: the run's
 * connection may be in a failed transaction.
 */
export async function refusedValue(file: string, columns: ReadonlyArray<{ name: string; read: string }>): Promise<RefusedValue | undefined> {
  const typed = `{${columns.map((c) => `${stringLiteral(c.name)}: ${ident(c.name)}`).join(', ')}}`;
  const types = `{${columns.map((c) => `${stringLiteral(c.name)}: ${stringLiteral(c.read)}`).join(', ')}}`;
  const sql = `
WITH raw AS (SELECT ordinality AS n, json FROM read_json_objects(${literal(file)}, format = 'newline_delimited') WITH ORDINALITY),
got AS (SELECT ordinality AS n, to_json(${typed}) AS json FROM read_json(${literal(file)}, format = 'newline_delimited', columns = ${types}, ignore_errors = true) WITH ORDINALITY),
suspects AS (SELECT raw.n, raw.json AS sent, got.json AS got FROM raw JOIN got ON got.n = raw.n WHERE contains(got.json, 'null')),
sent AS (SELECT s.n, k.id, k.fullkey, k.type, k.atom FROM suspects s, json_tree(s.sent) k WHERE k.type <> 'NULL' AND k.fullkey <> '$'),
read AS (SELECT s.n, k.fullkey, k.type FROM suspects s, json_tree(s.got) k)
SELECT sent.n, sent.fullkey, sent.type, sent.atom FROM sent JOIN read ON read.n = sent.n AND read.fullkey = sent.fullkey
WHERE read.type = 'NULL' OR (sent.atom IS NOT NULL AND read.type IN ('OBJECT', 'ARRAY'))
ORDER BY sent.n, sent.id LIMIT 1`;
  const db = await Db.open({ threads: 1 });
  try {
    const [row] = await db.rows(sql);
    if (!row) return undefined;
    const at = String(row.fullkey).replace(/^\$\.?/, '');
    // The longest name that starts the path: a column `a.b` as well as a column `a`.
    const column = columns
      .map((c) => c.name)
      .filter((name) => at === name || at.startsWith(`${name}.`) || at.startsWith(`${name}[`))
      .sort((x, y) => y.length - x.length)[0];
    if (column === undefined) return undefined;
    const atom = row.atom === null || row.atom === undefined ? undefined : String(row.atom);
    const value = atom === undefined ? (row.type === 'ARRAY' ? 'a list' : 'an object') : atom.length > 60 ? `${atom.slice(0, 60)}…` : atom;
    return { line: Number(row.n), column, at, value };
  } finally {
    db.close();
  }
}
