export const httpEnrichDocs = `Calls an HTTP API for the rows of its input and adds columns taken from the answers: the
geocoding case (an address in, latitude and longitude out), scoring, reference lookups.

**Request.** *URL template*, *query params*, *headers* and *JSON body* may use \`{column}\` for the
row's value (URL-encoded in the URL; in a body, a string that is exactly \`{column}\` keeps the
value's type: numbers stay JSON numbers, a \`BIGINT\`, \`HUGEINT\` or \`DECIMAL\` with all its digits)
and \`\${param}\` for a pipeline param. A path is appended to the base URL of the
*REST connection* (credentials, headers, OAuth2 as for source.rest); a full URL needs none. The
credentials go to the connection's base URL and to the host a full URL template names; a template
whose host comes from a column (\`https://{host}/…\`) or a param (\`\${api}/geocode\`) calls other
hosts without them. A \`\${param}\` value follows source.rest's rules: it is refused, naming the param
and the value, when it would change the origin the template gives, put a \`.\` or \`..\` segment in
the path, or a \`?\` or \`#\` in the path. A \`{column}\` sent as text (in the URL, a param, a
header, or inside a longer body string) must be a plain value: a \`STRUCT\`, \`MAP\`, \`UNION\` or
\`INTERVAL\` column would send "[object Object]" for every key (one request and one cached answer
for all of them), a list its elements joined by commas (\`['a,b']\` and \`['a', 'b']\` alike), a
\`BLOB\` DuckDB's escaped text of its bytes; such a column is refused while planning, naming the
placeholder, where it is and the column's type. Add a text column in a *transform.derive* first
(\`to_json(col)\`, \`CAST(col AS VARCHAR)\`, \`hex(col)\`); in a JSON body, a string that is exactly
\`{column}\` sends any value as JSON.

**One request per distinct key.** The columns the templates use are the key: the node asks once
for each distinct combination of their values (1,000 rows with 40 distinct addresses make 40
requests) and joins the answers back to every row. Rows whose key has a NULL get NULL outputs
without a request, and so do rows whose value would leave a segment of the URL's path empty
(\`/users/{id}\` with an empty id would ask \`/users/\`, often the list of every user): the log says
how many. A value that would make a path segment \`.\` or \`..\` (\`/lookup/{cat}/{v}\` with
cat \`..\` would ask \`/v\`, another path on the API, with the connection's credentials) and a value
with a line break or another control character used in a header are not sent: the lookup fails
(*Failed requests* decides: the run stops naming the row, column and value, or the row goes to
*rejects*).

**Outputs.** Each *output column* has a JSON path into the answer (\`results[0].lat\`,
\`$.address.city\`) and a DuckDB type; a path that finds nothing gives NULL. With *On 404* \`null\`
(the default) a 404 is "no match": NULL outputs. Answers are read with JavaScript's JSON reader: an
integer beyond 2^53 in an output stops the run (it could not arrive exact), so ask the API for such
ids as strings. An answer that the output's type would change also stops the run, naming the output
column and the value: a fraction for an integer type (\`0.87\` in an \`INTEGER\` output, which DuckDB
would truncate to 0; \`1.0\` is fine), a time or text after the date for \`DATE\`, a non-zero UTC
offset for \`TIMESTAMP\` (use \`TIMESTAMPTZ\`), and a number other than 0 or 1 for \`BOOLEAN\`.
An answer that repeats a key in one object (\`{"lat": 40.1, "lat": 41.2}\`) is a failed lookup (the
run stops, or the row goes to *rejects*): which value the API meant cannot be told, and JSON readers
differ (JavaScript's keeps the last).
A JSON answer is read in the charset its \`Content-Type\` names (\`charset=ISO-8859-1\` from a legacy
API), else as UTF-8; one whose bytes are not text in that charset fails the lookup (\`on_error\`
decides) naming where, rather than arriving with U+FFFD in place of letters (\`Jos�\`).

**Limits and retries.** *Requests in flight* (4) and *Requests per second* bound the load on the
API; network errors, timeouts, 408, 429, 5xx and a 2xx answer that is not valid JSON (a body cut
short; an HTML page fails at once) are retried with exponential backoff and jitter,
honouring \`Retry-After\` (as in source.rest).

**Failures.** With *Failed requests* \`fail\` (the default) the first request that still fails
stops the run, naming the key values, the URL (credentials removed), the status and the start of
the body. With \`reject\` the run goes on: those rows leave on the \`rejects\` output with
\`http_error\` and \`http_status\` (and not on \`out\`), and the run warns how many failed.

**Response cache.** Answers (2xx JSON and 404) are kept under the pipeline's state folder,
\`.caudal/state/<pipeline>/<node>.http-cache/\` next to the pipeline (or under \`--state-dir\`), keyed
by a hash of the request without its credentials, the connection's base URL and headers included
(a connection whose \`X-Tenant\` header changed asks again), and of the account it was made as (the
connection's credentials, hashed with scrypt: a connection switched to another API key asks again
rather than reading another account's answers): reruns and previews do not ask again for what
was already answered. A 404 kept while *On 404* was \`null\` is asked again once it is \`error\`, and
fails the lookup as any 404 then does. It stays under *Cache size* (100 MB) by dropping the least recently used
answers; *Keep answers for* expires them. Clear it with \`caudal state reset <pipeline> --node <id>\`
or by deleting the folder. Failed requests are never cached, nor are answers that could not be
used (a 200 that is not JSON, such as a captive portal's HTML page, which fails the lookup; one
that repeats a key): the next run asks again. Nor is an answer that holds a credential of the
connection (an API echoing the API key it got in the query, the token, the password): it would lie
in plain text in the state folder. The run warns once, without the credential, and such lookups
are asked for again each run; one such answer that an earlier version cached is removed when read. Each answer is written whole (a temp
name, then a rename); what a killed run was writing is removed after the next run or preview.

**Previews** enrich the first 200 input rows (and say they are sampled when there are more);
validation makes no request.`;
