export const restSourceDocs = `Reads JSON records from an HTTP API, page after page, into the pipeline. Credentials, the base
URL and default headers come from a **REST connection** declared in the pipeline
(\`"connections": {"shop_api": {"type": "rest"}}\`) and defined with \`caudal connections add shop_api --type rest --set base_url=https://api.example.com\`;
secrets (API key, token, password, client secret) live in the OS keychain or in
\`CAUDAL_SECRET_<CONNECTION>_<FIELD>\` and never in the pipeline. A public API needs no connection:
give the full URL.

**Request.** *URL or path* (a path is appended to the connection's base URL), *method* (GET or
POST), *query params*, *headers* and a *JSON body*; \`\${param}\` inserts a pipeline param in any of
them.

**Params in the URL** fill in part of it; they never choose where the request and the credentials
go. A value is refused, before any request and naming the node, the param and the value, when it
would send the request to another origin (scheme, host, port) than the URL as written gives (the
connection's base URL for a path: \`/\${resource}\` with \`http://other/x\`), when it holds a \`.\` or
\`..\` path segment (\`/items/\${id}\` with \`../../admin\` would leave \`/items\`), or a \`?\` or \`#\` in the
path (\`1?delete=true\`; query values belong in *query params*, which are sent encoded). A value may
hold several segments (\`a/b\`). A URL that starts with a param (\`\${api}/orders\`) may lead anywhere,
but the connection's credentials go only to its base URL's origin and to one written in the node.
A header whose value holds a line break or another control character once its params are filled in
is refused too: HTTP clients would strip it, and the header sent would not be the one written.

**Authentication** (on the connection): an API key in a header or a query param, a bearer token,
HTTP basic, or OAuth2 client credentials (the token is fetched from the token URL, kept until it
expires, and fetched again when the API answers 401).

**Records.** *Records path* is a JSON path to the list of records in each answer (\`data\`,
\`$.results[*]\`, \`payload.items\`); left empty, an answer that is a list is the records, and an
object with exactly one list field gives that list. A *Records path* that finds nothing in an
answer (no such key: an API reporting an error, a rate limit or a timeout with status 200, or a
misspelled path) **stops the run**, naming the page, the URL and the answer's top-level keys; an empty
list or \`null\` there is "no records" (the end, without a total). Records that are not objects become a column
\`value\`. Nested objects are \`STRUCT\` columns, or top-level columns with *Flatten nested objects*,
with the same rules as the JSON file source. Columns and types are **inferred from the first page**
and kept for every page of the run (a key that appears only later is not read, and the run warns
naming it, also a key inside an object column, as \`n.new_key\`; a value that does not fit its column's
type stops the run); list *Columns and types* to state them instead, and pin them with
*Expected schema* to be told when the API changes. Records that are objects reach DuckDB as the API
sent them, so integers keep every digit; records that must be written again (plain values such as
a list of ids, or an answer whose records list appears twice) pass through JavaScript's JSON
reader, and an integer beyond 2^53 among them stops the run rather than arriving rounded. A column
of the first page holding integers beyond 64 bits (an unsigned id such as 18446744073709551615),
which DuckDB's reader would type \`DOUBLE\` and round, is read as \`HUGEINT\`, exactly; one that also
holds fractions, or integers beyond \`HUGEINT\`, stops the run naming the column and the values
(list it as \`DECIMAL(38, s)\` or \`VARCHAR\`). Inferred columns nest structs and lists at most 32
levels deep: the levels below are read as JSON text, and the run warns naming the column (list it
as \`JSON\` to read it whole as JSON). An answer holding half of a UTF-16 surrogate pair
(\`"\\ud800"\`, no character) stops the run naming the page and the URL. A record
that repeats a key (\`{"id": 1, "id": 2}\`) stops the run and the preview naming the key, on any page,
as in a JSON file: which value the API meant cannot be told. Numbers with a fraction
are read as doubles (about 17 significant digits): ask the API for exact decimals as strings.
A value on a later page that its column's type would change **stops the run**, naming the column and
the value, where DuckDB's JSON reader would change it without a word: a fraction in an integer column
(\`12.5\` after a first page of whole numbers; \`4.0\` is fine), a time or text after the date in a
\`DATE\` column, a non-zero UTC offset in a \`TIMESTAMP\` column (list it as \`TIMESTAMPTZ\`), a time
with a date, an offset or AM/PM in a \`TIME\` column, a number other than 0 or 1 in a \`BOOLEAN\`
column. List the column under *Columns and types* with a type that holds such values (\`DOUBLE\`,
\`TIMESTAMPTZ\`, \`VARCHAR\`).

**Character sets.** JSON is UTF-8, but legacy APIs send other charsets: an answer is read in the
charset its \`Content-Type\` names (\`application/json; charset=ISO-8859-1\`, \`windows-1252\`,
\`Shift_JIS\`…, decoded as a browser does), else as UTF-8. An answer whose bytes are not text in that
charset stops the run naming the URL and the text around the first such byte, rather than arriving
with U+FFFD in place of letters (\`José\` as \`Jos�\`): ask the API for UTF-8, or to name its charset.

**Pagination.**

| type | how the next page is found | stops when |
| --- | --- | --- |
| \`none\` | one request | — |
| \`json_link\` | the URL at *Next URL path* in the body (relative URLs are resolved) | it is missing, null or empty |
| \`header_link\` | the \`Link: <…>; rel="next"\` header (RFC 8288) | there is no \`next\` link |
| \`offset\` | *offset param* = 0, *limit*, 2 × *limit*, … and *limit param* = *limit* | the total at *Total path* (records) is reached; without a total, an empty page |
| \`page_number\` | *page param* = *first page number*, +1, … (and *page size param* = *page size*) | the total at *Total path* (pages) is reached; without a total, an empty page |
| \`cursor\` | the value at *Cursor path* in the body (or the *Cursor header*) sent back in *Cursor param* | it is missing, null or empty, or an empty page hands back the cursor it was sent |

An empty page in the middle does not end a read that the API says goes on: a cursor or next link
on an empty page is followed (sparse and filtered APIs answer such pages), and with a total the
pages up to it are read. After 20 empty pages in a row that still point to a next one, or that the
total says are not the last, the read stops with a warning (an API that never says it is done);
set *At most this many pages* to stop earlier. With a total the warning says what it claimed and
which pages were empty (\`the total at total_path 'total_count' claimed 100000 pages, but pages 2
to 21 were empty\`): records past them may be missing, or *Total path* counts something else, such
as the number of records where page-number pagination needs the number of pages.

A next link on another host than the connection's base URL (and the node's own URL) is followed
**without the connection's credentials**, as a redirect there would be: an API's link must not hand
the token or API key to another server. Query params of such a link that carry a credential (the
connection's API key param, or any param whose value is one of its secrets, as an API that echoes
the request's query string into its links writes them) are removed before it is sent. The log says
so, naming the params removed, never their values; such a page answered 401 or 403 says why.

Offset pagination relies on every page but the last holding exactly *limit* records. Many APIs
cap the page size (asked for 100, they answer 50): the next page, at offset 100, would skip
records 50 to 99. So a page shorter than *limit* followed by a page with records stops the run
(\`page 1 (offset=0) returned 50 records although limit was 100, and page 2 returned more …\`, hint:
\`set limit to 50\`), and so does a page longer than *limit* (the API ignores *limit param*; pages
would overlap and records be read twice). Page-number pagination with a *page size* sent is
checked the same way (some APIs count pages with the size asked for but answer fewer); set *page
size* to what the API answers. A next link or cursor that leads back to a page already read (a
"self" link, a *Cursor path* naming the current cursor) stops the run instead of paging forever:
\`page 3 would be the same request as page 2: the cursor at meta.cursor leads back …\`. So does a
page that answers byte for byte what the page before it did (an API that ignores the page number,
offset or cursor it is sent would otherwise hand over the same records again and again), and
three pages in a row that hold the records of three earlier pages in the same order, whatever
changes around them (a next link that leads back with a new token each time, an API that ignores
the page number and sends a new request id with each answer: \`pages 2 to 4 hold the same records
as pages 1 to 3: the API answers the same records whatever "page" asks for\`). Every request and
page of a read is remembered (16 bytes each), so a loop is caught however long it is.

*At most this many pages* / *records* cap a read; when the API has more (or, paging by offset or
page number without a total, may have), the run warns that those records were not read. With an
incremental cursor the next run asks for records after the highest value read, so a capped read
loses nothing only if the API sends records in ascending cursor order. With offset and page-number pagination,
*Pages in flight* above 1 reads that many pages at once (still written in order); without a total
the read may ask for up to that many pages past the end, which come back empty.

**Robustness.** Every request has a deadline (*Timeout*; the connection's, else 30 s). Network
errors, timeouts, 408, 429 and 5xx answers, and bodies that are not valid JSON (cut short) are
retried with exponential backoff and jitter (*Retries*, 4 by default), waiting as long as a
\`Retry-After\` header asks (up to 5 minutes); a 429 or a \`Retry-After\` holds every request of the
node for that long, not only the one retried. *Requests per second* spaces requests evenly. A request
that still fails stops the run with the URL (API keys and other credentials in it replaced by
\`***\`), the status and the start of the body. An HTML or XML page where JSON was expected (a
login page, a wrong path) stops the run at once, naming what came back, rather than being retried.
An answer larger than 256 MiB (counted after decompression, so a gzip bomb is stopped too) stops
the run: ask for smaller pages. So does an answer nesting objects or lists more than 1000 levels
deep, naming the byte where it does (no record can be read from it).

**Incremental.** Set *Incremental* with a *cursor field* (e.g. \`updated_at\`) and the *query param*
the API filters on (e.g. \`updated_since\`). Each run sends the highest cursor value that the last
**successful** run read (or *First value* on the first run); the value is saved only after every
sink of the run committed, so a failed or cancelled run reads the same records again next time.
Timestamps are compared as instants, numbers as numbers, also numbers the API sends as text
(\`"12"\` comes after \`"9"\`), exactly (integers with all their digits, decimals digit for digit);
other text by code points. The saved value keeps its JSON type, and is text only when it is sent.
An integer cursor beyond 2^53 (\`1234567890123456900\`) keeps every digit: it is taken from the answer
as the API wrote it, saved as its digits (a string) and sent as it is, never rounded (a rounded
cursor would skip the records between). \`caudal state show|reset|set\` shows or changes the saved
value. A *cursor field* that none of the records read has (a misspelled path would
send the same value forever, and every run would read everything again) stops the run, naming a
record's keys; records older than the value sent (the API seems to ignore the *query param*) are a
warning that says how many.

**Streaming.** Each page goes from the answer to a newline-delimited JSON file in the run's temp
folder, which DuckDB reads: memory holds one page (or *Pages in flight* pages) at a time, plus the
next one: its request goes out as soon as a page has arrived (with offset or page-number pagination
and a total, as soon as the answer is in, before it is parsed), while that page is written; still
one request at a time with *Pages in flight* 1 (a page that fails, or is empty before the total,
may leave one more request already queued, whose answer is dropped). The
records go to the file as the API wrote them (their bytes cut from the answer, so large integers
keep every digit) when the records path is plain keys (\`data\`, \`$.data.items\`,
\`results[*]\`) and each record is an object; otherwise they are written again from the parsed
JSON. With offset or page-number pagination, a set records path, no *At most this many records* and
no *Incremental*, the pages after the first are not parsed at all, only cut (the answer without its
list is still parsed, for anything else in it). The cut checks what JSON allows outside strings, so
an answer cut short or not valid JSON in the usual ways (a trailing comma, \`NaN\`, a comment) is
parsed, and asked for again, as before; so is one with a line break inside the list
(pretty-printed). Two differences remain, both about records: one that repeats a key, or is broken
otherwise (a missing colon, a bad escape), stops the run with DuckDB's message and the page, URL and
record it is (\`line 7 of the records read is record 2 of page 3 (https://…)\`),
where a parsed page keeps the key's last value or is asked for again. A value that does not fit its
column's type (\`"tags": ["a"]\` after a first page of \`"tags": [1, 2]\`, or a value that the type
listed under *Columns and types* cannot hold) stops the run naming the page, the record, the field
and the value (\`line 4 of the records read is record 2 of page 2 (https://…): field 'tags' holds
"a" at tags[0], which does not fit its type BIGINT[]\`), found by reading the records again: for a
value inside a list, DuckDB's own line number is not the record's (it counts the list values read).

**Previews and validation** read the first page only (and say the preview is sampled when there
are more); the studio keeps that page for a minute, so editing nodes downstream does not call the
API again. With *Columns and types* set, validation calls nothing at all, and a run reads the
first page with the others: an API that is down makes the run fail (exit code 1). Without them, the
first page is read while the run is planned, and its failure is reported as a problem of the node.
A server that gave no answer (connection refused, unknown host, timed out) or answered that it is
down, overloaded or refuses the credentials (5xx, 429, 408, 401, 403) is nothing wrong with the
pipeline: the run fails with exit code 1 (problem code \`unavailable\`), and \`caudal run\` says
whether the server could not be reached or answered, with its status. An answer refusing the request
itself (404, 400) or a 2xx that is no JSON (a login or error page) points at the URL or its params:
exit code 2.`;
