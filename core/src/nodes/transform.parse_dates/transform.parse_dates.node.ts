import { z } from 'zod';
import { defineNode, type CompileContext } from '../define.js';
import { parseDatesSpark } from './transform.parse_dates.spark.js';
import { ident, literal, stringLiteral } from '../../compiler/sql.js';
import { CaudalError, errorMessage } from '../../util/errors.js';
import { closest } from '../../util/suggest.js';
import { compileConversions, quoteValue, REASON_COLUMN, type Conversion } from '../transform.cast/conversions.js';
import { misreadByStrptime } from '../shared/temporal-text.js';
import { findColumn, foldName, requireColumn } from '../shared/columns.js';

const params = z
  .object({
    columns: z
      .array(
        z
          .object({
            column: z.string().min(1).meta({ label: 'Column', help: 'A text column.', widget: 'column' }),
            formats: z
              .array(z.string().min(1))
              .min(1)
              .meta({
                label: 'Formats',
                help: 'strptime formats tried in order; the first that reads the whole value wins. E.g. `%d/%m/%Y`, `%Y-%m-%d`, `%m-%d-%Y %H:%M`, `%Y-%m-%dT%H:%M:%S%z` (`%z` reads `+02:00` and `Z`; `%Z` reads IANA zone names such as `Europe/Paris`, not abbreviations such as `PST`).',
                widget: 'list',
                placeholder: '%d/%m/%Y',
              }),
            type: z.enum(['DATE', 'TIMESTAMP', 'TIMESTAMPTZ']).default('DATE').meta({
              label: 'Result type',
              help: 'DATE (day only), TIMESTAMP (date and time, no zone) or TIMESTAMPTZ (an instant in time).',
              widget: 'select',
            }),
          })
          .strict(),
      )
      .min(1)
      .meta({ label: 'Columns', help: 'Each column is parsed where it stands and keeps its name.', widget: 'list' }),
    timezone: z.string().min(1).default('UTC').meta({
      label: 'Time zone of the text',
      help: 'The zone in which values without an offset (formats without `%z`/`%Z`) are meant, e.g. `Europe/Paris`. Default UTC.',
      widget: 'text',
      group: 'Time zones',
      placeholder: 'UTC',
    }),
    output_timezone: z.string().min(1).optional().meta({
      label: 'Time zone of the result',
      help: 'For DATE and TIMESTAMP results: the zone whose local date and time are written. Default: the time zone of the text (naive values are then kept as written).',
      widget: 'text',
      group: 'Time zones',
      placeholder: 'same as the text',
    }),
    on_error: z.enum(['fail', 'null', 'reject']).default('fail').meta({
      label: 'Values that do not parse',
      help: '`fail` stops the run naming the column and the value. `null` turns them into NULL. `reject` sends the whole row, unchanged, to the `rejects` output with the reason.',
      widget: 'select',
      group: 'Errors',
    }),
  })
  .strict();

type Params = z.output<typeof params>;

/** A format that reads a zone or offset (`%z`, `%Z`; `%%` is a literal percent sign). */
const aware = (format: string) => /%[zZ]/.test(format.replaceAll('%%', ''));

/** A format that reads a year (`%Y`, `%y`, `%-y`, ISO `%G`, or the locale's `%c`/`%x`); strptime dates the others in 1900. */
const readsYear = (format: string) => /%-?[yYG]|%[cx]/.test(format.replaceAll('%%', ''));

/** The format with its day of the year (`%j`, `%-j`) written as the literal 366, or undefined without one. */
function day366(format: string): string | undefined {
  let found = false;
  const out = format.replace(/%%|%-?j/g, (m) => {
    if (m === '%%') return m;
    found = true;
    return '366';
  });
  return found ? out : undefined;
}

/**
 * SQL true where the text `col` gives day 366 to a year of 365 days through one of `formats`:
 * strptime counts the days on from 1 January and reads `2025-366` as 2026-01-01. The text is read
 * again with the day written as 366, which gives 1 January of the year the text names (with an
 * offset, within a day of it: two days later is in that year whatever the offset). `guard` wraps
 * each read (a `%Z` format reads only text that names a zone, see namesZone).
 */
function rolledPastYearEnd(col: string, formats: string[], aware: boolean, guard: (read: string) => string = (r) => r): string | undefined {
  const checks = formats.flatMap((f) => {
    const literal = day366(f);
    if (literal === undefined) return [];
    const read = guard(`try_strptime(${col}, ${stringLiteral(literal)})`);
    const y = aware ? `year(timezone('UTC', ${read}) + INTERVAL 2 DAY)` : `year(${read})`;
    return [`coalesce(NOT (${y} % 4 = 0 AND (${y} % 100 <> 0 OR ${y} % 400 = 0)), false)`];
  });
  return checks.length === 0 ? undefined : `(${checks.join(' OR ')})`;
}

/** A format that reads a UTC offset (`%z`). */
const readsOffset = (format: string) => /%z/.test(format.replaceAll('%%', ''));

/**
 * SQL true where the UTC offset ending the text `col` (after the time: `+05`, `-08:00`, `+0530`,
 * `+05:53:28`) is not one a clock can show: strptime's `%z` reads `+05:75` as 6:15 and `+25` as
 * 25 hours. Hours up to 15 and minutes and seconds up to 59 pass, as PostgreSQL allows.
 */
function offsetOutOfRange(col: string): string {
  // The offset as shared/temporal-text.ts finds it for the cast node.
  const offset = `regexp_extract(${col}, ${stringLiteral(':[0-9]{2}(?:[.,][0-9]*)?\\s*([+-][0-9]{1,2}(?::?[0-9]{2}){0,2})\\s*$')}, 1)`;
  return `coalesce(${offset} <> '' AND NOT regexp_full_match(${offset}, ${stringLiteral('[+-](?:[0-9]|0[0-9]|1[0-5])(?::?[0-5][0-9]){0,2}')}), false)`;
}

/** A format that reads a time zone name (`%Z`). */
const readsZoneName = (format: string) => /%Z/.test(format.replaceAll('%%', ''));

/** A format that ends with a UTC offset (`%z`, spaces after it allowed), where ISO 8601 may write `Z`. */
const endsWithOffset = (format: string) => /%z\s*$/.test(format.replaceAll('%%', ''));

/** SQL true where the text `col` ends with an ISO 8601 `Z` (or `z`) after a digit or a space (spaces after it allowed). */
const endsInZ = (col: string) => `regexp_matches(${col}, ${stringLiteral('[0-9 ][Zz] *$')})`;

/**
 * The text `col`, which ends with a `Z` (see endsInZ), with the Z written as the offset `+00:00`,
 * which strptime's `%z` reads. (No regexp_replace: its back-references have no Spark form.)
 */
const zuluAsOffset = (col: string) => `substr(rtrim(${col}), 1, length(rtrim(${col})) - 1) || '+00:00'`;

/** The text `col` with a final `Z` written `+00:00` (see zuluAsOffset); text without a Z is looked at no further. */
const zulu = (col: string) => `CASE WHEN NOT contains(${col}, 'Z') AND NOT contains(${col}, 'z') THEN ${col} WHEN ${endsInZ(col)} THEN ${zuluAsOffset(col)} ELSE ${col} END`;

/**
 * Zone names DuckDB's ICU reads that `%Z` refuses, because the instant would not be the one the
 * text means:
 * - the three-letter IDs ICU keeps from Java, which are not IANA names. ICU maps them to a city's
 *   zone: PST is America/Los_Angeles, so `PST` in June is read as -07:00 although PST means -08:00;
 *   IST is India (not Ireland or Israel), BST Bangladesh (not British Summer Time), CST Chicago with
 *   its summer time;
 * - CET, EET, MET and WET: IANA names, but of zones with summer time, so `12:00 CET` in June is read
 *   as +02:00 although CET means +01:00 (CEST, the summer abbreviation, is no zone name at all).
 * EST, MST and HST stay: IANA names of the fixed offsets -05:00, -07:00 and -10:00, which is what the
 * abbreviations mean.
 */
const REFUSED_ZONE_NAMES = new Set([
  ...['ACT', 'AET', 'AGT', 'ART', 'AST', 'BET', 'BST', 'CAT', 'CNT', 'CST', 'CTT', 'EAT', 'ECT', 'IET', 'IST', 'JST', 'MIT', 'NET', 'NST', 'PLT', 'PNT', 'PRT', 'PST', 'SST', 'VST'],
  ...['CET', 'EET', 'MET', 'WET'],
]);

const regexEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * SQL true where the text `col` has a word that is a zone name `%Z` reads: an IANA name with a slash
 * (`Europe/Paris`, `America/Argentina/Buenos_Aires`, `Etc/GMT-2`) or one of `single` (the IANA names
 * without one: UTC, GMT, EST5EDT, Japan…), in any case. A word starts after anything but a letter and
 * ends where strptime's `%Z` stops reading (at a character that is not a letter, a digit or `_/+-`).
 *
 * A `%Z` format is tried only where this holds: where the text matches the format but names no zone
 * ICU knows (`CEST`, `+0200`, `Z`), DuckDB's try_strptime raises and catches an error, about 130 µs a
 * value (2.6 s for 20,000 values, measured), and in a list of formats it stops there instead of
 * trying the next format. The refused abbreviations (see REFUSED_ZONE_NAMES) are not in `single`.
 */
function namesZone(col: string, single: string[]): string {
  // Classes spell both cases: only the names are matched without regard to case.
  const words = [...single.map((n) => regexEscape(n.toLowerCase())), '[A-Za-z]+/[A-Za-z0-9_+-]*[A-Za-z][A-Za-z0-9_/+-]*'].join('|');
  return `regexp_matches(${col}, ${stringLiteral(`(?i)(?:^|[^A-Za-z])(?:${words})(?:$|[^A-Za-z0-9_/+-])`)})`;
}

interface Group {
  /** The formats read a zone or an offset. */
  aware: boolean;
  /** The group is one format that reads a zone name (`%Z`). */
  zoneName: boolean;
  formats: string[];
}

/**
 * Consecutive formats of the same kind (with or without a zone), order kept. A format with `%Z` is
 * a group of its own: in a list, DuckDB's strptime stops at a `%Z` format that reads the text but
 * not a zone name in it (`%Z` reads `+0200` as a name and finds no such zone), so a later `%z`
 * format would never be tried.
 */
function groups(formats: string[]): Group[] {
  const out: Group[] = [];
  for (const f of formats) {
    const last = out.at(-1);
    const zoneName = readsZoneName(f);
    if (last && !zoneName && !last.zoneName && last.aware === aware(f)) last.formats.push(f);
    else out.push({ aware: aware(f), zoneName, formats: [f] });
  }
  return out;
}

const fail = (nodeId: string, path: string, message: string, hint?: string) =>
  new CaudalError('validation', message, { nodeId, hint, problems: [{ code: 'invalid_param', path, message, hint }] });

/**
 * Canonical zone names for the ones given, or a problem naming the unknown one; and the zone names
 * without a slash that `%Z` reads in values (see namesZone).
 */
async function zones(ctx: CompileContext<Params>): Promise<{ from: string; to: string; single: string[] }> {
  const p = ctx.params;
  const names = (await ctx.rows('SELECT name FROM pg_timezone_names()')).map((r) => String(r.name));
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  const resolve = (zone: string, field: string) => {
    const hit = byLower.get(zone.trim().toLowerCase());
    if (hit) return hit;
    const guess = closest(zone, names);
    throw fail(ctx.nodeId, `params.${field}`, `node '${ctx.nodeId}': unknown time zone '${zone}'${guess ? ` (did you mean '${guess}'?)` : ''}`, 'use an IANA name such as UTC, Europe/Paris or America/New_York');
  };
  const from = resolve(p.timezone, 'timezone');
  const single = names.filter((n) => !n.includes('/') && !REFUSED_ZONE_NAMES.has(n.toUpperCase())).sort();
  return { from, to: p.output_timezone === undefined ? from : resolve(p.output_timezone, 'output_timezone'), single };
}

export const parseDatesNode = defineNode({
  type: 'transform.parse_dates',
  version: 1,
  spark: parseDatesSpark,
  category: 'transform',
  rowOrder: 'follows',
  title: 'Parse dates',
  description: 'Turns text columns into dates or timestamps, trying a list of formats in order.',
  aliases: ['to date', 'strptime', 'date format', 'parse timestamp', 'convert dates', 'time zone'],
  inputs: [{ name: 'in' }],
  outputs: [
    { name: 'out', description: 'Every column, the listed ones parsed.' },
    {
      name: 'rejects',
      label: 'Rejected rows',
      description: `With \`on_error: "reject"\`: the rows with a value that matched no format, unchanged, plus \`${REASON_COLUMN}\`. Empty otherwise.`,
    },
  ],
  params,
  docs: `Each listed text column is parsed with DuckDB's \`strptime\` formats, tried in the order given: the
first format that reads the whole value wins (surrounding spaces are allowed). The column keeps its name
and position and becomes DATE, TIMESTAMP or TIMESTAMPTZ. Common specifiers: \`%Y\` year, \`%m\` month,
\`%d\` day (\`%-d\`, \`%-m\` also read one digit; plain \`%d\` does too), \`%b\` month name, \`%H:%M:%S\`
time, \`%f\` microseconds, \`%p\` AM/PM, \`%z\` offset such as \`+02:00\` or \`Z\`, \`%Z\` zone name such as
\`Europe/Paris\` (see *Zones in the text*). Formats are checked before the run. The listed columns must be
text (VARCHAR); use *Change column types* for other types.

**What a format reads.** \`%Y\` reads a four-digit year only: \`01/02/24\` does not match \`%d/%m/%Y\` (DuckDB's
strptime would read the year 24), so a later \`%d/%m/%y\` in the list reads it as 2024-02-01; write years before
1000 with leading zeros (\`0024\`). \`%y\` reads two digits with the POSIX pivot: \`00\`–\`68\` are 2000–2068 and
\`69\`–\`99\` are 1969–1999. Every format must read a year (\`%Y\`, \`%y\` or \`%G\`): a format without one
(\`%d/%m\`, \`%H:%M\`) is refused before the run, as strptime would date every value in 1900; a missing month
or day is 1 (\`%Y-%m\` reads \`2025-03\` as 2025-03-01). Day 366 of a year of 365 days (\`2025-366\` with \`%Y-%j\`)
matches no format (strptime would read it as 1 January of the next year). A UTC offset read by \`%z\` after the time
must be one a clock can show: hours up to 15, minutes and seconds up to 59 (\`+05:75\` and \`+25\` match no
format; strptime would read them as 6:15 and 25 hours). A weekday name (\`%a\`, \`%A\`) must be a weekday name
but is not compared with the date. The words \`infinity\`, \`-infinity\` and \`epoch\` match no format (DuckDB's
strptime reads them whatever the format, as 1900-01-01 or as the infinite dates and 1970-01-01).

**Missing values.** NULL and the empty text are missing: they become NULL and are never a failure.

**Time zones**, exactly:

- A value read by a format without \`%z\`/\`%Z\` is a wall-clock time in \`timezone\` (default UTC).
  A value read with \`%z\`/\`%Z\` carries its own offset or zone and \`timezone\` does not apply.
- \`TIMESTAMPTZ\` results are that instant. DuckDB shows a TIMESTAMPTZ in the session's time zone, but the
  instant is the same wherever it is displayed.
- \`TIMESTAMP\` results are the wall-clock time in \`output_timezone\` (default: \`timezone\`) at that instant.
  With both zones left alone, a value without an offset comes out exactly as written.
- \`DATE\` results are the date of the \`TIMESTAMP\` result: the local date in \`output_timezone\`.
- Local times that do not exist (skipped by a daylight-saving change) or occur twice are resolved by
  DuckDB's ICU time zone rules: a skipped time moves forward by the gap (02:30 on the day Paris moves to
  summer time is 01:30 UTC), and a time that occurs twice is the second one, in standard time (02:30 on
  the day Paris moves back is 01:30 UTC, not 00:30). Give such values an offset (\`%z\`) to say which.

\`timezone\` and \`output_timezone\` are IANA names (\`UTC\`, \`Europe/Paris\`, \`America/New_York\`), checked
before the run with the closest name suggested.

**Zones in the text.**

- \`%z\` reads a UTC offset: \`+02:00\`, \`+0200\`, \`+02\`, \`-08:00\`; and an ISO 8601 \`Z\` (or \`z\`) that ends the
  value, after a digit or a space, as \`+00:00\`, when the format ends with \`%z\` (\`2024-06-01T12:00:00Z\` with
  \`%Y-%m-%dT%H:%M:%S%z\`). A format that writes \`Z\` as a literal (\`%Y-%m-%dT%H:%M:%SZ\`) has no zone: its values
  are read in \`timezone\`.
- \`%Z\` reads an IANA time zone name, in any case: \`UTC\`, \`GMT\`, \`Europe/Paris\`, \`America/New_York\`,
  \`Etc/GMT-2\` (the IANA name of +02:00), \`EST5EDT\`. The value is the local time of that zone on that date,
  summer time included (\`12:00 Europe/Paris\` is 10:00 UTC in June, 11:00 UTC in January). \`EST\`, \`MST\` and
  \`HST\` are the IANA names of the fixed offsets -05:00, -07:00 and -10:00.
- Abbreviations are not zone names, and \`%Z\` does not read them: a value with one matches no \`%Z\` format (it
  may match a later format), and the reason says to write the IANA name or an offset read with \`%z\`. That
  includes the names DuckDB's time zone library (ICU) would read otherwise than they are meant: \`PST\` as
  Los Angeles time with its summer time (-07:00 in June, although PST is -08:00), \`IST\` as India, \`BST\` as
  Bangladesh, \`CST\` as Chicago (and the other three-letter names ICU keeps from Java: ACT, AET, AGT, ART, AST,
  BET, CAT, CNT, CTT, EAT, ECT, IET, JST, MIT, NET, NST, PLT, PNT, PRT, SST, VST); \`CET\`, \`EET\`, \`MET\` and
  \`WET\`, which ICU reads with summer time (\`CET\` in June as +02:00); and those it does not know (\`CEST\`,
  \`PDT\`, \`Z\`, \`UTC+2\`).
- A format with \`%Z\` is tried on its own, in its place in the list: a value that a \`%Z\` format does not read
  goes on to the next format (\`+0200\` after \`%Y-%m-%d %H:%M:%S %Z\` is read by a later
  \`%Y-%m-%d %H:%M:%S %z\`).

**Values that do not parse** (\`on_error\`):

- \`fail\` (default): the run stops; the message names the node, the column and the value, e.g.
  \`node 'p' (transform.parse_dates), column 'day' failed: Invalid Input Error: Could not parse string "31.01.2025" according to format specifier "%d/%m/%Y"\`
  (DuckDB quotes the first format; all were tried). When formats with and without \`%z\`/\`%Z\` are mixed, a
  format reads a zone name (\`%Z\`), or a value is one of the words above or has a short year for \`%Y\`, the
  message lists every format instead; with a \`%Z\` format, for a value that names no zone \`%Z\` reads, it also
  says what to write, e.g. \`node 'p' (transform.parse_dates), column 'at' failed: Invalid Input Error: column "at": '2024-01-05 CEST' matches none of the formats %Y-%m-%d %Z: %Z reads IANA time zone names such as UTC or Europe/Paris, not abbreviations such as PST, CET or CEST; write the IANA name, or an offset such as -08:00 read with %z (which also reads a final Z)\`.
- \`null\`: they become NULL. No count is reported, as that would read the data a second time.
- \`reject\`: a row with at least one value that matches no format goes, unchanged, to the \`rejects\`
  output with a \`${REASON_COLUMN}\` column such as \`column day: '31.01.2025' matches none of the formats %d/%m/%Y, %Y-%m-%d\`
  (with a \`%Z\` format, the words about zone names above may follow; several failures in one row are joined
  with \`; \`); every other row continues on \`out\`, parsed. Every input row lands on exactly one of the two.
  The input is materialized once in the run for this; a warning gives the number of rows set aside, and
  \`node_finished.metrics.rows_rejected\` the same count.`,
  example: {
    description: 'Order dates written in several ways, times from Paris as UTC instants',
    params: {
      columns: [
        { column: 'order_date', formats: ['%d/%m/%Y', '%Y-%m-%d'], type: 'DATE' },
        { column: 'paid_at', formats: ['%Y-%m-%dT%H:%M:%S%z', '%d/%m/%Y %H:%M'], type: 'TIMESTAMPTZ' },
      ],
      timezone: 'Europe/Paris',
      on_error: 'reject',
    },
  },
  check(p) {
    const out: Array<{ path: string; message: string; hint?: string }> = [];
    const seen = new Set<string>();
    p.columns.forEach((c, i) => {
      if (seen.has(foldName(c.column))) out.push({ path: `columns[${i}].column`, message: `column '${c.column}' is listed twice`, hint: 'put all its formats in one entry' });
      seen.add(foldName(c.column));
    });
    return out;
  },
  async compile(ctx) {
    const p = ctx.params;
    const input = ctx.input();
    const { from, to, single } = await zones(ctx);
    // DuckDB checks a format when it binds it: try each alone to say which one is wrong.
    for (const [i, c] of p.columns.entries()) {
      for (const [j, f] of c.formats.entries()) {
        try {
          await ctx.rows(`SELECT try_strptime(CAST(NULL AS VARCHAR), ${stringLiteral(f)})`);
        } catch (e) {
          const text = errorMessage(e).replace(/^Invalid Input Error: /, '');
          throw fail(ctx.nodeId, `params.columns[${i}].formats[${j}]`, `node '${ctx.nodeId}': format '${f}' of column '${c.column}': ${text}`, 'see the strptime specifiers in the node docs, e.g. %Y-%m-%d');
        }
        if (!readsYear(f))
          throw fail(
            ctx.nodeId,
            `params.columns[${i}].formats[${j}]`,
            `node '${ctx.nodeId}': format '${f}' of column '${c.column}' has no year (%Y, %y or %G): strptime would date every value it reads in the year 1900`,
            'add the year to the format; a time of day alone converts to TIME with Change column types (transform.cast)',
          );
      }
      const found = findColumn(ctx.nodeId, input, c.column, `columns[${i}].column`);
      if (found.type !== 'VARCHAR')
        throw fail(ctx.nodeId, `params.columns[${i}].column`, `node '${ctx.nodeId}': column '${found.name}' is ${found.type}, not text`, 'parse only text columns; use Change column types (transform.cast) to change the type of others');
    }
    const src = stringLiteral(from);
    const dst = stringLiteral(to);
    const convs: Conversion[] = p.columns.map((c, i) => {
      const column = requireColumn(ctx.nodeId, input, 'input', c.column, `columns[${i}].column`);
      const col = ident(column);
      const parts = groups(c.formats);
      const tried = `' matches none of the formats ${c.formats.join(', ')}`;
      const namesAZone = namesZone(col, single);
      /** The reason's end: for a value that names no zone %Z reads, what %Z reads and what to write instead. */
      const zoneHint = c.formats.some(readsZoneName)
        ? ` || CASE WHEN NOT coalesce(${namesAZone}, false) THEN ${stringLiteral(`: %Z reads IANA time zone names such as UTC or Europe/Paris, not abbreviations such as PST, CET or CEST; write the IANA name, or an offset such as -08:00 read with %z (which also reads a final Z)`)} ELSE '' END`
        : '';
      /**
       * A group's formats tried (with `fn`, from `value`), a value the group misreads (see
       * misreadByStrptime) set aside: NULL, or with strptime the error `misread`. DuckDB tries a list
       * of formats in one call and stops at the first that reads the value, so after a misread
       * (`01/02/24` read by `%d/%m/%Y` as the year 24) the formats are tried again one by one: a later
       * `%d/%m/%y` reads it. That second pass runs only for the rows misread. A `%Z` format (a group
       * of its own) is tried only on text that names a zone it reads (see namesZone).
       */
      const read = (fn: 'try_strptime' | 'strptime', value: string, g: Group, misread: string) => {
        const guard = (r: string) => (g.zoneName ? `CASE WHEN ${namesAZone} THEN ${r} END` : r);
        /** The group read from `text`, misread values read again one format at a time from `retext`. */
        const from = (text: string, retext: string) => {
          const parsed = guard(`${fn}(${text}, ${g.formats.length === 1 ? stringLiteral(g.formats[0]!) : literal(g.formats)})`);
          // A format with %n reads a TIMESTAMP_NS, whose range (1677 to 2262) misreadByStrptime's bounds
          // are outside of: compared as nanoseconds they failed the query, so they compare as TIMESTAMP.
          const asChecked = (r: string) => (!g.aware && g.formats.some((f) => f.includes('%n')) ? `CAST(${r} AS TIMESTAMP)` : r);
          const misreadBy = (r: string, formats: string[]) => {
            const rolled = rolledPastYearEnd(retext, formats, g.aware, guard);
            const offset = formats.some(readsOffset) ? offsetOutOfRange(col) : undefined;
            const checks = [misreadByStrptime(col, asChecked(r), g.aware), rolled, offset].filter((x) => x !== undefined);
            return checks.length === 1 ? checks[0]! : `(${checks.join(' OR ')})`;
          };
          const one = (f: string) => {
            const r = guard(`try_strptime(${retext}, ${stringLiteral(f)})`);
            return `CASE WHEN ${misreadBy(r, [f])} THEN NULL ELSE ${r} END`;
          };
          const again = g.formats.length === 1 ? 'NULL' : `coalesce(${g.formats.map(one).join(', ')})`;
          const otherwise = misread === 'NULL' || again === 'NULL' ? `${again === 'NULL' ? misread : again}` : `coalesce(${again}, ${misread})`;
          return `CASE WHEN ${misreadBy(parsed, g.formats)} THEN ${otherwise} ELSE ${parsed} END`;
        };
        if (!g.formats.some(endsWithOffset)) return from(value, col);
        // strptime stops the run at a final Z, so the strict form reads every value with the Z
        // rewritten; the safe form rewrites only the values it did not read.
        if (fn === 'strptime') return from(zulu(value), zulu(col));
        return `coalesce(${from(value, col)}, CASE WHEN ${endsInZ(col)} THEN ${from(zuluAsOffset(col), zuluAsOffset(col))} END)`;
      };
      /** Each group parsed and brought to the result type, first group first. */
      const parse = (fn: 'try_strptime' | 'strptime', value: string, misread: string) => {
        const converted = parts.map((g) => {
          const parsed = read(fn, value, g, misread);
          if (g.aware) return c.type === 'TIMESTAMPTZ' ? parsed : `timezone(${dst}, ${parsed})`;
          if (c.type === 'TIMESTAMPTZ') return `timezone(${src}, ${parsed})`;
          return from === to ? parsed : `timezone(${dst}, timezone(${src}, ${parsed}))`;
        });
        const combined = converted.length === 1 ? converted[0]! : `coalesce(${converted.join(', ')})`;
        return c.type === 'DATE' ? `CAST(${combined} AS DATE)` : combined;
      };
      const safe = parse('try_strptime', col, 'NULL');
      const unread = `${quoteValue(`column "${column}": '`, column, tried)}${zoneHint}`;
      // strptime with a list of formats is several times faster than try_strptime when the first
      // formats do not match, so a single kind of format fails through strptime's own error (which
      // quotes the value and the first format), or ours for a value strptime misreads. Formats with
      // and without a zone mix only through try_strptime, with an error of our own for values none
      // reads; so does a `%Z` format, as strptime's error for a zone it does not know names neither the
      // column nor the value (and was blamed on the next node).
      const strict =
        parts.length === 1 && !parts[0]!.zoneName
          ? parse('strptime', `NULLIF(${col}, '')`, `CASE WHEN ${col} IS NOT NULL THEN error(${unread}) END`)
          : `coalesce(${safe}, CASE WHEN ${col} <> '' THEN error(${unread}) END)`;
      return {
        column,
        safe,
        strict,
        failed: `(${col} <> '' AND ${safe} IS NULL)`,
        reason: `${quoteValue(`column ${column}: '`, column, tried)}${zoneHint}`,
      };
    });
    return compileConversions(ctx, convs, p.on_error, 'parse');
  },
});
