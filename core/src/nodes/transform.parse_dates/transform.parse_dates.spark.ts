import type { SparkForm } from '../define.js';

type Params = { columns: Array<{ column: string; formats: string[]; type: string }>; timezone: string; output_timezone?: string };

/** A format that reads a zone or offset (`%z`, `%Z`; `%%` is a literal percent sign). */
const aware = (format: string) => /%[zZ]/.test(format.replaceAll('%%', ''));

const HINT = 'parse the values as TIMESTAMP with formats without %z/%Z and one time zone for input and output (both UTC by default), or keep this pipeline on the DuckDB engine';

/**
 * Spark: the DuckDB SQL of this node translates as it is (sqlglot, at export time), for wall-clock
 * dates and times read and shown in one zone. Moving between zones goes through DuckDB's
 * timezone(), whose meaning depends on its argument's type, which the translation cannot always
 * tell inside the node's SQL: TIMESTAMPTZ results, %z/%Z formats and a timezone other than
 * output_timezone are refused, each on its own field.
 */
export const parseDatesSpark: SparkForm<Params> = {
  kind: 'portable',
  notes: 'TIMESTAMPTZ results, formats that read a zone or offset (%z, %Z) and an output_timezone other than timezone are not available on Spark.',
  refuse: (p) => {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    p.columns.forEach((c, i) => {
      if (c.type === 'TIMESTAMPTZ') out.push({ path: `columns[${i}].type`, message: `column '${c.column}': type TIMESTAMPTZ (an instant) has no Spark form in this node yet`, hint: HINT });
      c.formats.forEach((f, j) => {
        if (aware(f)) out.push({ path: `columns[${i}].formats[${j}]`, message: `column '${c.column}': the format '${f}' reads a UTC offset or zone (%z/%Z), which has no Spark form in this node yet`, hint: HINT });
      });
    });
    const to = p.output_timezone ?? p.timezone;
    if (to !== p.timezone && p.columns.some((c) => c.type !== 'TIMESTAMPTZ' && !c.formats.some(aware))) {
      out.push({ path: 'output_timezone', message: `converting times from timezone '${p.timezone}' to output_timezone '${to}' has no Spark form in this node yet`, hint: HINT });
    }
    return out;
  },
};
