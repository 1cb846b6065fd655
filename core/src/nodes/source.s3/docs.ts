export const s3SourceDocs = `Reads objects from Amazon S3 or an S3-compatible store (MinIO, Cloudflare R2, Ceph) through an
**S3 connection** declared in the pipeline (\`"connections": {"lake": {"type": "s3"}}\`) and defined
with \`caudal connections add lake --type s3 --set region=eu-west-1 ...\`: region, endpoint and
path-style URLs for other stores, and either an access key (the secret key in the OS keychain or
\`CAUDAL_SECRET_<CONNECTION>_SECRET_ACCESS_KEY\`) or the standard AWS chain (environment, profile,
instance role).

**Which objects.** \`s3://bucket/key\` reads one object; \`s3://bucket/prefix/\` every object under the
prefix but folder markers and hidden objects: those whose name or a folder under the prefix starts
with \`_\` or \`.\`, as Hive and Spark hide their markers and temporary files (\`_SUCCESS\`,
\`_temporary/…\`, \`.part-0.crc\`). A \`.\` or \`..\` key part is no hidden name: such keys are read
(see below). The run warns naming how many hidden objects it skipped and a few of them (not
\`_SUCCESS\`, which every finished Hive or Spark folder holds); a glob (\`s3://bucket/prefix/**\`)
reads them;
\`s3://bucket/sales/2025-*/*.parquet\` a glob with DuckDB's rules (\`*\` and \`?\` within a folder, \`**\`
across folders, \`[abc]\` sets); an object whose name holds one of \`[ * ?\` is read by writing that
character as a one-character set (\`s3://bucket/report[[]2025].csv\` for \`report[2025].csv\`), as the
error says when the URL names such an object. No read but of one named object takes sink.s3's
staging objects, under \`.caudal-staging/\` or in the run folders of any *Staging prefix*
(\`<run>-<owner>-<node>/new/…\`, \`…/old/…\`): a glob over the bucket's root does not read other runs'
half-published output. No match is an \`io_error\` problem before the run. Empty objects
(0 bytes) hold no rows and are skipped, and the run warns naming them (planning from an empty first
CSV object would read the next object's header as a row); when every object is empty, that is an
\`io_error\` problem before the run.

**Params in the URL.** \`\${param}\` puts a pipeline param's value into the URL as literal key text,
as the file sources' paths do: whether the URL reads one key, a prefix or a glob is decided by the
URL as written in the node, whatever the value. A value's \`*\`, \`?\` and \`[\` are characters of the key, not
wildcards (\`-p tenant='*'\` with \`s3://lake/tenants/\${tenant}/data.csv\` reads the object
\`tenants/*/data.csv\`, not every tenant's; in a glob the URL's own wildcards stay wildcards). A value
may name several key parts (\`acme/eu\`); refused before anything is read, at validate as well, are an
empty value (\`tenants/\${tenant}\` would become the prefix \`tenants/\`), a value that ends the
URL with \`/\` (one object would become a prefix) and one that makes an empty, \`.\` or \`..\` key
part. A param in the bucket (\`s3://\${bucket}/sales/\`, \`s3://lake-\${env}/sales/\`) holds only
bucket-name characters (letters, digits, \`.\`, \`-\`, \`_\`), so its value cannot reach into the key.

**Formats.** CSV, JSON and Parquet, taken from the first object's extension or set with *Format*,
each with exactly **the options of the file source** of that format under \`csv\`, \`json\` or
\`parquet\` (delimiter, header, types, malformed rows to \`rejects\`, flattening, columns to read,
union by name…). CSV objects are read as UTF-8 (or compressed UTF-8); the CSV option \`encoding\` may be \`auto\` or \`utf-8\`, and both mean UTF-8 here.

**Hive partitions.** Keys such as \`sales/country=ES/year=2025/part-0.parquet\` give the columns
\`country\` and \`year\`, as each format's \`hive_partitioning\` option says (\`auto\` by default). Every object
must have the same partition keys (\`year=2024/a.csv\` and \`yr=2025/b.csv\`, or a partitioned object
next to one that is not, are refused before the run naming both folders; set \`hive_partitioning\` to
\`false\` to read them without partition columns). A partition column's type comes from the folder
values of **every** object, as for local files (\`year=abc\` in a later object makes \`year\` VARCHAR in
the plan and in the run alike). An object that holds a column named like one of its folder keys is
refused, any object, not only the first (Parquet and JSON: once downloaded, before a row is read): the
folder's value would replace it.
A *File name column* holds each row's object as an \`s3://bucket/key\` URL.

**Keys a local file cannot be named after.** S3 keys may hold parts a local file name cannot: longer
than a file name (S3 allows 1,024 bytes for a key, file systems 255 for a name), empty, \`.\` or
\`..\`, and on Windows backslashes, \`:\` and the like. Such objects are read all the same, through
local copies with shortened or escaped names (the extension kept); the *File name column*, the
rejects' \`file\` and the errors about them still name the object's real \`s3://bucket/key\`. Parts of
up to 255 bytes keep their names, so every partition folder sink.s3 and sink.parquet write (at most
255 bytes) is read with its value. A longer partition folder (\`name=value\`), which the copy has to
rename, cannot give its value to a column: it is refused before the run, naming the object, unless
that format's \`hive_partitioning\` is \`false\`. Keys whose copies would be
one file (on a file system that ignores letter case, as macOS' and Windows' do by default, also
\`Sales.csv\` and \`sales.csv\`) are refused before the run, naming both.

**How it reads.** A run lists the objects once, downloads them into the run's temp folder
(*Parallel downloads* at a time, each checked against the ETag it was listed with, so an object
replaced during the run fails it rather than mixing versions; an object deleted or replaced
after the listing fails it naming that object and saying which) and DuckDB reads them with the file
source's SQL. The temp folder is removed after the run. Planning sees only the first object, so
once the objects are downloaded, and before anything is read, the others are held to it as a local
pattern's files are: a CSV object whose header names other columns or the same ones in another
order, a Parquet object whose column has another type than in the first (a DOUBLE 1.5 would be read
as the first object's BIGINT 2), or, combined by name, a value the combined type would change, stops
the run naming both objects. JSON columns are detected again over all the objects when the run reads
them; when they differ from those planning saw in the first object (a later \`"id": "two"\` making
\`id\` JSON, a key the first object lacks), the run stops before it reads a row, naming the column and
the object: list the keys and their types under \`json.columns\` for objects that differ. Errors about values, and DuckDB's about an object that is not what its name says (a
\`.parquet\` object that is not Parquet), name the objects (\`s3://…\`), not the local copies, and
carry what the file source adds to them (the line of a CSV value that does not convert, of a broken
JSON record, where line endings change; what to set for a JSON value past the records sampled), as
do the warnings about rows set aside.

**Planning and previews** read as little as they can and keep it in a local cache keyed by the
object's ETag, so previewing an unchanged object again reads no bytes of it (only the listing):
for Parquet, the footer (one range read of the last 64 KB) and, for previews, the first row group;
for CSV and newline-delimited JSON, the first 8 MB cut at the last complete line; small,
compressed and JSON-array objects whole. Previews show rows of the first object and say they are
sampled when there is more. The cache lives in \`~/.cache/caudal/s3\` (\`$CAUDAL_CACHE_DIR/s3\`), is kept
under 1 GB (\`CAUDAL_S3_CACHE_MB\`) and can be deleted at any time.`;
