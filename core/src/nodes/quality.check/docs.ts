/** The details section of the generated page docs/nodes/quality.check.md. */
export const QUALITY_DOCS = `Checks the rows flowing through against a list of expectations. Each check has a **name**
(unique in the node), a **kind**, a **severity** and, for row checks, an optional **mostly** threshold.
See also the [quality guide](../quality.md).

**Row checks** judge every row; a row passes or fails:

| kind | fields | a row passes when |
| --- | --- | --- |
| \`not_null\` | \`column\` | the value is not NULL |
| \`unique\` | \`columns\` (one or several) | no other row has the same values in those columns (a NULL in the key never collides; a column listed twice counts once) |
| \`between\` | \`column\`, \`min\`, \`max\` | \`min <= value <= max\`; numbers, or dates/timestamps written as ISO text, on a number, date or timestamp column. NaN fails (on FLOAT/DOUBLE columns); ±Infinity keep their order. On a text column the bounds are text compared character by character (names from \`"A"\` to \`"M"\`), so bounds written as numbers, dates or times are refused there (\`'5'\` sorts after \`"100"\`, \`'2024-9-01'\` after \`"2024-12-31"\`): convert the column first (transform.cast, transform.parse_dates) |
| \`in_set\` | \`column\`, \`values\` | the value is one of \`values\`. On a number, boolean, date, time or timestamp column each value is converted to the column's type exactly (\`"1.5"\` matches DECIMAL 1.50, \`"2024-01-01"\` a TIMESTAMP's midnight); on a text column the values are text |
| \`matches_regex\` | \`column\`, \`pattern\` | the whole value matches the RE2 pattern |
| \`length_between\` | \`column\`, \`min\`, \`max\` | the text length, in characters, is within the bounds (numbers and dates by their text; a BLOB or a list is refused: an \`expression\` with \`octet_length\` or \`len\` measures those) |
| \`expression\` | \`expression\` | the SQL predicate is true (false **and NULL** fail); it is evaluated per row, so aggregate and window functions are refused |
| \`references\` | \`column\`, \`reference_column\`, \`reference_node\` | the value exists in \`reference_column\` of the data connected to the \`reference\` input. Both columns need types DuckDB compares (numbers with numbers, dates with timestamps, text with text): a DATE against a VARCHAR, or a number against text, is refused before the run (convert one side with transform.cast) |

Except for \`not_null\` and \`expression\`, a NULL value passes: test NULLs with a \`not_null\` check.
An integer beyond 2^53 in \`values\`, \`min\` or \`max\` is refused (JSON numbers round it): write it as a string.

**Table checks** judge the data as a whole:

| kind | fields | passes when |
| --- | --- | --- |
| \`row_count_between\` | \`min\`, \`max\` | the row count is within the bounds |
| \`freshness\` | \`column\`, \`max_age\` | the newest value of a DATE/TIMESTAMP/TIMESTAMPTZ column is at most \`max_age\` (a DuckDB interval such as \`24 hours\`) before the run time; a future value, \`infinity\` included, counts as fresh |
| \`schema\` | \`columns\` (\`name\`, optional \`type\`), \`allow_extra\` | every expected column is there with its type; with \`allow_extra: false\`, no other column. The result lists the differences |
| \`distribution\` | \`column\`, \`metric\` (\`null_rate\` or \`mean\`), \`max_sigma\`, \`min_history\`, \`window\` | today's value is within \`max_sigma\` standard deviations of the previous runs' values; a difference below a billionth (1e-9) of the values is rounding noise, not a change |

**Severities.**
- \`warn\`: a failing check is reported (a warning event, the report) and the run goes on.
- \`error\` (default): a failing check fails the run right after this node, before any sink writes;
  \`caudal run\` exits with code **3**. The report is still written.
- \`quarantine\` (row checks only): rows failing the check go to the \`rejected\` output instead of
  \`out\`, with a \`_caudal_reasons\` column (\`VARCHAR[]\`) naming **every** row check the row failed.
  Each input row lands in exactly one of \`out\` and \`rejected\`. An input column \`_caudal_reasons\` of
  another type is refused (rename or drop it). The check itself still passes or fails
  (with \`mostly\`, quarantining 1% of rows can pass), and the run goes on. With nothing connected to
  \`rejected\`, the quarantined rows are dropped, and the run warns so.

**Thresholds.** \`mostly: 0.95\` passes a row check when at least 95% of the rows pass. Without it, one
failing row fails the check.

**Results.** For each check: rows evaluated, rows failed and their share, pass/fail, the observed value
(table checks) and up to \`samples\` failing rows (every column; a value longer than 200 characters is cut
and says how many more there were; an \`in_set\` check names its first 20 allowed values and how many more there are). The node's **score** is the share of passed checks,
weighted by each check's \`weight\` (default 1); \`min_score\` fails the run when the score is lower.
Results travel as a \`quality_result\` event (the studio badges the node), are part of the run summary,
and are written as \`quality.json\` and a self-contained \`quality.html\` into the run's artifacts
folder (\`<pipeline folder>/.caudal/runs/<run id>/\` unless \`--artifacts-dir\` says otherwise) once
the run is over. A cancelled run writes no report.

**Distribution history.** A \`distribution\` check records its value only after a run that committed
(succeeded, warnings included; never a failed or cancelled run, so an outlier that failed a run does
not join the baseline) in \`<state folder>/<pipeline name>/<node id>.quality-history.json\` (the
state folder is \`<pipeline folder>/.caudal/state\` unless \`--state-dir\` says otherwise): two
pipeline files with the same name share one history. Until \`min_history\` values are recorded
(at most \`window\`) the check passes and says so. A history with no variation fails any change
beyond rounding noise. The mean of a FLOAT/DOUBLE column is a compensated sum (DuckDB's \`fsum\`) over
the row count, so the same data gives the same mean up to its last digit whatever the order threads
add it in (DuckDB's \`avg\` of doubles wanders in its last digits from run to run); a failing result
shows today's value and the mean with enough digits to tell them apart.
A history file that is not a version 1 history (hand-edited, or written by a newer Caudal) fails the
run with a message naming the file; it is never overwritten silently.

**Cost.** All checks are counted in one aggregate scan (a \`unique\` check as a grouping set of
that scan, never a window). Without quarantine checks \`out\` is the input unchanged and the counts
read the node's own output: when something else reads \`out\` too, the run materializes it once and
everything reads that table. With quarantine checks the node reads its input once into a table with
one flag per row check, so \`out\`, \`rejected\` and the counts agree. Sample rows are fetched
only for checks that failed, by bounded queries. \`caudal sql --plan\` shows the plan.

**Errors before the run.** Unknown columns, predicates that are not true/false or use aggregates, a
numeric range or set on a text column (JSON numbers, or text bounds written as numbers, dates or
times), bounds and values that do not convert to the column's type exactly or are reversed, a
\`references\` check between columns whose types DuckDB cannot compare, a freshness check on a column
that is not a date or timestamp or with a \`max_age\` that is not an interval or is negative, a
quarantine severity on a table check are reported when the pipeline is checked, every broken check at
once, naming the check and the column.

**Errors during the run.** The checks are evaluated together in one statement, so a value error
inside one (an \`expression\` casting text that is not a number) would name no check: after such an
error, each check is evaluated alone over the node's input and the run's error names the ones that
fail (an error the input raises by itself is left to the node upstream).`;
