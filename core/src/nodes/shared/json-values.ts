import { ident, stringLiteral } from '../../compiler/sql.js';
import { decimalScale, FLOAT_DIGITS, isFloatType, isIntegerType, numberConversion, significantDigits, writesFraction } from './locale-numbers.js';
import { dateConversion, isDateType, isPlainTimestampType, isTimeType, timeConversion, timestampConversion } from './temporal-text.js';
import { structFields } from './flatten.js';

/**
 * JSON values into typed columns without losing what the JSON says. DuckDB's `read_json` with
 * stated column types converts values without a word in ways that change them (DuckDB 1.5):
 * - into an integer column, a number with a fraction is truncated or rounded (`12.5` → 12,
 *   `15e-1` → 2);
 * - into DATE, what follows the date is dropped (`"2024-03-04 10:00"` → 2024-03-04, and
 *   `"2024-03-1x"` → 2024-03-01); into TIMESTAMP, a UTC offset is dropped (`…10:00:00+05:00` →
 *   10:00, five hours off); into TIME, a date or an offset around the time is dropped;
 * - into BOOLEAN, any number is true (`300`, `-1`, `0.5`);
 * - into DECIMAL(p,s), more decimal places than s are rounded (`12.345` → 12.35 in DECIMAL(10,2));
 * - into an integer or a floating-point column (DOUBLE, FLOAT), `true` and `false` become 1 and 0.
 * Such columns are read as DuckDB's JSON type instead (the value as sent) and converted here,
 * refusing those values with a reason. Other types (VARCHAR, TIMESTAMPTZ, lists) are read
 * by DuckDB as before: their conversions keep the value. Struct fields are handled at any depth;
 * elements of lists are not.
 */

const isBooleanType = (type: string) => /^\s*(BOOLEAN|BOOL|LOGICAL)\s*$/i.test(type);

/** The fields of a STRUCT type as a user may list it (`struct(a bigint)`) or DuckDB prints it. */
const fieldsOf = (type: string) => structFields(type.trim().replace(/^struct\s*\(/i, 'STRUCT('));

/** A scalar type that read_json fills with loss from some JSON values. */
function lossyScalar(type: string): boolean {
  return isIntegerType(type) || isFloatType(type) || decimalScale(type) !== undefined || isDateType(type) || isPlainTimestampType(type) || isTimeType(type) || isBooleanType(type);
}

/** True when read_json would convert some JSON values to `type` (or to a field of it) with loss. */
export function readsLossily(type: string): boolean {
  const fields = fieldsOf(type);
  return fields ? fields.some((f) => readsLossily(f.type)) : lossyScalar(type);
}

/** The type to give read_json for a column of `type`: lossy scalars (also inside structs) as JSON. */
export function jsonReadType(type: string): string {
  if (!readsLossily(type)) return type;
  const fields = fieldsOf(type);
  if (fields) return `STRUCT(${fields.map((f) => `${ident(f.name)} ${jsonReadType(f.type)}`).join(', ')})`;
  return 'JSON';
}

/**
 * SQL turning `expr`, read with `jsonReadType(type)`, into `type`: the value, or an error whose
 * text is `prefix` (SQL text, e.g. which node and column) followed by `'<value>' is not …`.
 */
export function jsonValueConversion(expr: string, type: string, prefix: string, field = ''): string {
  const fields = fieldsOf(type);
  if (fields) {
    if (!fields.some((f) => readsLossily(f.type))) return expr;
    const members = fields.map((f) => `${ident(f.name)} := ${jsonValueConversion(`${expr}.${ident(f.name)}`, f.type, prefix, `${field}${f.name}.`)}`);
    // struct_pack of NULL members would be a struct of NULLs: a missing object stays NULL.
    return `CASE WHEN ${expr} IS NOT NULL THEN struct_pack(${members.join(', ')}) END`;
  }
  if (!lossyScalar(type)) return expr;
  const t = type.trim().toUpperCase();
  const at = field === '' ? prefix : `${prefix} || ${stringLiteral(`field ${field.slice(0, -1)}: `)}`;
  const text = `(${expr} ->> '$')`;
  const fail = (what: string) => `error(${at} || '''' || CAST(${expr} AS VARCHAR) || ${stringLiteral(`' ${what}`)})`;
  // A missing key is SQL NULL, a JSON null is 'NULL': both are NULL.
  const kind = `coalesce(json_type(${expr}), 'NULL')`;
  if (isIntegerType(type)) {
    const number = `CAST(${expr} AS DOUBLE)`;
    // JSON integers beyond 64 bits are typed DOUBLE but keep their digits as text: read from the
    // text (a HUGEINT 123456789012345678901234 would lose its last digits through a double).
    const raw = `CAST(${expr} AS VARCHAR)`;
    const digitsOnly = `NOT (contains(${raw}, '.') OR contains(${raw}, 'e') OR contains(${raw}, 'E'))`;
    return `CASE ${kind} WHEN 'NULL' THEN NULL
      WHEN 'DOUBLE' THEN CASE WHEN ${digitsOnly} THEN coalesce(TRY_CAST(${raw} AS ${t}), ${fail(`does not fit ${t}`)})
        WHEN abs(${number}) >= 9007199254740992 THEN ${fail(`cannot be read as a ${t} exactly: a number with a point or an exponent is read as a double, which holds whole numbers exactly only below 2^53; send it as a plain integer or as a string`)}
        WHEN ${number} = trunc(${number}) THEN coalesce(TRY_CAST(${number} AS ${t}), ${fail(`does not fit ${t}`)}) ELSE ${fail(`is not a whole number of type ${t}`)} END
      WHEN 'VARCHAR' THEN CASE WHEN ${writesFraction(text)} THEN ${fail(`is not a whole number of type ${t}`)} ELSE coalesce(TRY_CAST(${text} AS ${t}), ${fail(`is not a number of type ${t}`)}) END
      WHEN 'ARRAY' THEN ${fail(`is not a number of type ${t}`)} WHEN 'OBJECT' THEN ${fail(`is not a number of type ${t}`)} WHEN 'BOOLEAN' THEN ${fail(`is not a number of type ${t}`)}
      ELSE coalesce(TRY_CAST(${expr} AS ${t}), ${fail(`does not fit ${t}`)}) END`;
  }
  if (isFloatType(type)) {
    // A number (its JSON text, as read_json would read it) or a string holding one; never a boolean.
    return `CASE ${kind} WHEN 'NULL' THEN NULL
      WHEN 'VARCHAR' THEN coalesce(TRY_CAST(${text} AS ${t}), ${fail(`is not a number of type ${t}`)})
      WHEN 'BOOLEAN' THEN ${fail(`is not a number of type ${t}`)} WHEN 'ARRAY' THEN ${fail(`is not a number of type ${t}`)} WHEN 'OBJECT' THEN ${fail(`is not a number of type ${t}`)}
      ELSE coalesce(TRY_CAST(${expr} AS ${t}), ${fail(`does not fit ${t}`)}) END`;
  }
  if (decimalScale(type) !== undefined) {
    // A number as sent (its JSON text) or a string holding one, converted as the CSV source converts text.
    const asText = (v: string) => numberConversion(v, t, { decimal: '.' }, at).strict;
    // DuckDB's JSON reader reads a number with a point or an exponent as a double and writes it back
    // as the double's shortest text: one showing more than 15 significant digits may not be the
    // number sent (12345678901234567.89 comes back as 12345678901234568.0), so it is refused.
    const raw = `CAST(${expr} AS VARCHAR)`;
    const inexact = `(regexp_matches(${raw}, '[.eE]') AND ${significantDigits(raw)} > ${FLOAT_DIGITS.DOUBLE})`;
    return `CASE ${kind} WHEN 'NULL' THEN NULL WHEN 'VARCHAR' THEN ${asText(text)}
      WHEN 'ARRAY' THEN ${fail(`is not a number of type ${t}`)} WHEN 'OBJECT' THEN ${fail(`is not a number of type ${t}`)} WHEN 'BOOLEAN' THEN ${fail(`is not a number of type ${t}`)}
      WHEN 'DOUBLE' THEN CASE WHEN ${inexact} THEN ${fail(`is read by the JSON reader as a double, which keeps 15 significant digits for certain, so it may not be the number sent: send such ${t} values as strings ("12345678901234567.89")`)} ELSE ${asText(raw)} END
      ELSE ${asText(raw)} END`;
  }
  if (isBooleanType(type)) {
    return `CASE ${kind} WHEN 'NULL' THEN NULL WHEN 'BOOLEAN' THEN CAST(${expr} AS BOOLEAN)
      WHEN 'VARCHAR' THEN coalesce(TRY_CAST(${text} AS BOOLEAN), ${fail('is not a BOOLEAN (true or false)')})
      ELSE CASE WHEN CAST(${expr} AS VARCHAR) IN ('0', '1') THEN CAST(${expr} AS VARCHAR) = '1' ELSE ${fail('is not a BOOLEAN (true or false; a number only as 0 or 1)')} END END`;
  }
  // Dates, timestamps and times come as JSON strings, converted as the CSV source converts text.
  const fromText = isDateType(type) ? dateConversion(text, at) : isTimeType(type) ? timeConversion(text, at) : timestampConversion(text, t, at);
  return `CASE ${kind} WHEN 'NULL' THEN NULL WHEN 'VARCHAR' THEN ${fromText.strict} ELSE ${fail(`is not a ${t} (a JSON string is expected)`)} END`;
}

/**
 * `read` (a read_json call given the columns as jsonReadType makes them) with its lossy columns
 * converted to their types; `prefix(name)` is the SQL text before an error's reason for that column.
 * Other columns (a file name column, partitions) pass through.
 */
export function convertedJsonRead(read: string, columns: Array<{ name: string; type: string }>, prefix: (name: string) => string): string {
  const lossy = columns.filter((c) => readsLossily(c.type));
  if (lossy.length === 0) return read;
  return `(SELECT * REPLACE (${lossy.map((c) => `${jsonValueConversion(ident(c.name), c.type, prefix(c.name))} AS ${ident(c.name)}`).join(', ')}) FROM ${read})`;
}
