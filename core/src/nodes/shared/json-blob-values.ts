import { ident, stringLiteral } from '../../compiler/sql.js';
import { structFields } from './flatten.js';
import { convertedJsonRead, jsonReadType, jsonValueConversion } from './json-values.js';

/**
 * Listed BLOB columns. DuckDB's `read_json` fills a column stated as BLOB with the bytes of the
 * JSON string as written: `"\\x00\\xFF"`, which is how DuckDB (and so sink.json) writes the two
 * bytes 00 FF, arrives as the 8 characters `\x00\xFF`. A BLOB sent as JSON is text, and the text
 * form of bytes in DuckDB is the one CAST(text AS BLOB) reads and CAST(blob AS VARCHAR) writes
 * (printable ASCII as itself, any other byte and `\`, `"`, `'` as `\xNN`), as source.csv reads a
 * listed BLOB. So a BLOB (also a struct field or a list element, at any depth) is read as DuckDB's
 * JSON type and decoded from that text; a string that is not such text (`\xZZ`, a lone `\`, a
 * character beyond ASCII) or a value that is not a string stops the run naming the column and the
 * value. BLOBs inside a MAP, UNION or fixed-size array are not decoded: the node's check refuses them.
 */

const isBlob = (type: string) => type.trim().toUpperCase() === 'BLOB';
const fieldsOf = (type: string) => structFields(type.trim().replace(/^struct\s*\(/i, 'STRUCT('));
/** The element type of a list type (`BLOB[]` → `BLOB`), or undefined. */
const elementOf = (type: string) => (type.trim().endsWith('[]') ? type.trim().slice(0, -2) : undefined);

/** True when `type` holds a BLOB this module decodes: the type itself, a struct field's or a list element's, at any depth. */
export function holdsBlob(type: string): boolean {
  if (isBlob(type)) return true;
  const fields = fieldsOf(type);
  if (fields) return fields.some((f) => holdsBlob(f.type));
  const element = elementOf(type);
  return element !== undefined && holdsBlob(element);
}

/** True when the type names BLOB anywhere outside quoted field names (also where holdsBlob does not reach). */
function namesBlob(type: string): boolean {
  return /\bBLOB\b/i.test(type.replace(/"(?:[^"]|"")*"/g, '""'));
}

/** A problem for a listed type with a BLOB where it is not decoded (MAP, UNION, fixed-size array), else undefined. */
export function undecodedBlob(type: string): string | undefined {
  const reached = (t: string): boolean => {
    if (isBlob(t)) return true;
    const fields = fieldsOf(t);
    if (fields) return fields.every((f) => !namesBlob(f.type) || reached(f.type));
    const element = elementOf(t);
    if (element !== undefined) return !namesBlob(element) || reached(element);
    return !namesBlob(t);
  };
  if (reached(type)) return undefined;
  return `a BLOB inside a MAP, UNION or fixed-size array (${type}) would be read as the JSON string's characters, not as the bytes they spell`;
}

/** The type to give read_json for a listed column: BLOBs (at any depth) as JSON, the rest as jsonReadType makes it. */
export function listedReadType(type: string): string {
  if (!holdsBlob(type)) return jsonReadType(type);
  if (isBlob(type)) return 'JSON';
  const fields = fieldsOf(type);
  if (fields) return `STRUCT(${fields.map((f) => `${ident(f.name)} ${listedReadType(f.type)}`).join(', ')})`;
  return `${listedReadType(elementOf(type)!)}[]`;
}

/** `path` (field names joined with `.`, `[]` for a list's elements) as the words before a value in an error. */
function label(path: string): string {
  if (path === '') return '';
  if (path.startsWith('[]')) {
    const rest = path.replace(/^(\[\])+\.?/, '');
    return rest === '' ? 'element: ' : `field ${rest} of an element: `;
  }
  return `field ${path}: `;
}

/** `expr`, a JSON string of DuckDB's text form of bytes, as the BLOB it spells; `at` (SQL text) starts an error. */
function blobConversion(expr: string, at: string): string {
  const text = `(${expr} ->> '$')`;
  const fail = (value: string, what: string) => `error(${at} || '''' || ${value} || ${stringLiteral(`' ${what}`)})`;
  return `CASE coalesce(json_type(${expr}), 'NULL') WHEN 'NULL' THEN NULL
      WHEN 'VARCHAR' THEN coalesce(TRY_CAST(${text} AS BLOB), ${fail(text, 'is not a BLOB: a BLOB is read from DuckDB\'s text form of bytes (as sink.json writes it), printable ASCII as itself, any other byte and a backslash as \\xNN, e.g. "\\x00\\xFF"')})
      ELSE ${fail(`CAST(${expr} AS VARCHAR)`, 'is not a BLOB (a JSON string is expected)')} END`;
}

/** SQL turning `expr`, read with listedReadType(type), into `type`; `prefix` (SQL text) starts an error, `path` is where in the column. */
export function listedConversion(expr: string, type: string, prefix: string, path = '', depth = 0): string {
  const at = path === '' ? prefix : `${prefix} || ${stringLiteral(label(path))}`;
  if (!holdsBlob(type)) {
    // Outside lists the shared conversion names the struct path itself.
    return path.includes('[]') ? jsonValueConversion(expr, type, at) : jsonValueConversion(expr, type, prefix, path === '' ? '' : `${path}.`);
  }
  if (isBlob(type)) return blobConversion(expr, at);
  const fields = fieldsOf(type);
  if (fields) {
    const members = fields.map((f) => `${ident(f.name)} := ${listedConversion(`${expr}.${ident(f.name)}`, f.type, prefix, path === '' ? f.name : `${path}.${f.name}`, depth)}`);
    // struct_pack of NULL members would be a struct of NULLs: a missing object stays NULL.
    return `CASE WHEN ${expr} IS NOT NULL THEN struct_pack(${members.join(', ')}) END`;
  }
  const element = ident(`caudal_element_${depth}`);
  return `list_transform(${expr}, lambda ${element}: ${listedConversion(element, elementOf(type)!, prefix, `${path}[]`, depth + 1)})`;
}

/**
 * `read` (a read_json call given the columns as listedReadType makes them) with its listed columns
 * in their types: BLOBs decoded here, other lossy columns converted by convertedJsonRead.
 */
export function convertedListedRead(read: string, columns: Array<{ name: string; type: string }>, prefix: (name: string) => string): string {
  const blobs = columns.filter((c) => holdsBlob(c.type));
  const inner = convertedJsonRead(read, columns.filter((c) => !holdsBlob(c.type)), prefix);
  if (blobs.length === 0) return inner;
  return `(SELECT * REPLACE (${blobs.map((c) => `${listedConversion(ident(c.name), c.type, prefix(c.name))} AS ${ident(c.name)}`).join(', ')}) FROM ${inner})`;
}
