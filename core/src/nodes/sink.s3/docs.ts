export const s3SinkDocs = `Writes the input to Amazon S3 or an S3-compatible store through an **S3 connection** (see
source.s3 for the connection). The bytes are exactly what the CSV, JSON and Parquet file sinks
write, with the same options under \`csv\`, \`json\` or \`parquet\`.

**One object or a partitioned prefix.** \`s3://bucket/exports/orders.parquet\` writes one object.
With *Partition by*, the URL is a prefix (\`s3://bucket/lake/orders/\`) and the output is Parquet in
the hive layout (\`country=ES/data_0.parquet\`) that DuckDB, Spark, Athena and source.s3 read back;
a text partition value \`NULL\` or \`__HIVE_DEFAULT_PARTITION__\` stops the run, as in sink.parquet
(readers would take it for a missing value), and the folder written on this machine before the
upload must hold every row (sink.parquet, *Partitioned output*).
Large objects are uploaded in parts (*Part size*, 16 MB; 4 parts at a time).

**Params in the URL.** \`\${param}\` puts a pipeline param's value into the key as it is
(\`s3://bucket/exports/\${name}.csv\`; \`-p name=daily/orders\` writes \`exports/daily/orders.csv\`). The
URL's checks hold for the key the values make, before anything is read (at validate too, which
gets the \`-p\` values): an empty value is refused (\`s3://bucket/\${name}\` would name the bucket itself), as is
a value that ends the key with \`/\` (a URL ending in \`/\` is a prefix, which needs *Partition by*:
\`-p name=again/\` would write the folder marker \`exports/again/\`) or makes an empty, \`.\` or \`..\` key
part. A param in the bucket (\`s3://\${bucket}/…\`, \`s3://lake-\${env}/…\`) holds only bucket-name
characters, so its value cannot reach into the key. *Format* \`auto\` reads the extension of the name
the values make (\`s3://bucket/exports/\${name}\` with \`-p name=orders.csv\` writes CSV; a value without
one of the extensions is refused before anything is read: set *Format*). The *Staging prefix* takes
no params: it is written as it is.

**Atomic publication.** Nothing is written at the target until every sink of the run has staged:
1. The output is uploaded under \`<staging prefix><run>-<owner>-<node>/new/\` in the same bucket
   (\`.caudal-staging/\` by default): DuckDB writes the output in the run's temp folder (one file, or
   a folder of partitions), then its objects are uploaded (*Objects uploaded at once*).
2. *Prepare*: every staged object is checked (present, right size), and the target is checked again
   against *If it exists*.
3. *Commit*: objects it replaces are copied aside (\`…/old/\`), the new ones copied into place, and
   (partitioned overwrite) replaced objects the new output lacks deleted.
4. When the whole run has committed, the staging prefix is deleted. If another destination of the
   run fails to commit after this one, the objects kept aside are copied back and new ones deleted.

A failed or cancelled run deletes its staging prefix and leaves **no new object at the target**.
*If it exists*: \`fail\` (the default) stops the run before it reads anything when the object exists
(or, partitioned, when the prefix has any object); \`overwrite\` replaces it as a whole: partitions
without rows this time disappear, and an input of no rows at all leaves the prefix empty (every
object under it is deleted at the commit; a single object is replaced by one holding no rows).

**Targets that overlap.** Two sinks of one pipeline may not write into each other: an object or
prefix inside another sink's partitioned prefix (its overwrite would delete the other's output) is
refused before the run, naming both nodes. So is a *Staging prefix* inside the sink's own target
prefix, or a target inside it.

**What readers see.** S3 has no rename and no multi-object transaction, so the copy in step 3 is
one request per object: a reader of a single object sees the old version or the new one, never a
mix of bytes; a reader **listing a partitioned prefix during the commit** can see some new objects
next to old ones (and, for an overwrite, an old partition a moment before it is deleted). The window
lasts as long as the server-side copies (about a second per GB on AWS; the objects are not
downloaded again). Readers should not list a prefix while a run commits into it, or should read a
prefix that the run writes fresh (\`…/orders/\${run_date}/\`).

**Crashes.** A run killed while uploading leaves only its staging prefix, which the next run of a
sink into that bucket removes (the name carries the dead process), aborting the incomplete multipart
uploads the run left there too: no object listing shows them, and S3 keeps their parts until they
are aborted. Where they cannot be listed (some S3-compatible stores; credentials without
\`s3:ListBucketMultipartUploads\`), a bucket lifecycle rule with \`AbortIncompleteMultipartUpload\`
does that instead. A run killed during its commit is finished by the next run or \`caudal clean\` from its commit
journal, only through a connection to the same endpoint (or region, without one): before the run's decision the kept-aside objects are copied back and new ones deleted; after
it the copy is completed. A run whose publish failed midway and whose copying back failed too (the
store refused or dropped the copies) keeps its journal as well: the error names \`…/<run>/old/\`,
where the replaced objects are, and once the store accepts copies again the next run of any pipeline
or \`caudal clean\` puts them back (\`caudal doctor\` lists it as \`failed\`). Objects over 5 GB cannot be
copied in one request: such a run stops at prepare (partition the output instead).

**Permissions** the connection's credentials need on the bucket, since the commit stages, checks,
copies and cleans up rather than writing the target directly: \`s3:PutObject\` (uploads and copies),
\`s3:GetObject\` (the copies' source and the checks), \`s3:ListBucket\` (the target and the staging
prefix), \`s3:DeleteObject\` (the staging prefix, replaced partitions). \`s3:ListBucketMultipartUploads\`
and \`s3:AbortMultipartUpload\` let the next run clean up after a killed one (optional, see above). A
write-only policy (PutObject alone) is not enough: the run stops at its first check of the target,
before anything is written, naming the refused request.`;
