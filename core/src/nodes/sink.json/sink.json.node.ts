import { z } from 'zod';
import { defineNode } from '../define.js';
import { jsonSinkSpark } from './sink.json.spark.js';
import { compressionFor, fileSinkPlan, ifExistsParam, pathParam } from '../shared/file-sink.js';
import { jsonSafeSelect } from '../shared/json-out.js';

const params = z
  .object({
    path: pathParam('exports/orders.jsonl'),
    if_exists: ifExistsParam,
    format: z
      .enum(['newline_delimited', 'array'])
      .default('newline_delimited')
      .meta({
        label: 'Layout',
        help: 'newline_delimited: one object per line (JSON Lines), streamable and appendable. array: one JSON array of objects, what browsers and many APIs expect.',
        widget: 'select',
        group: 'Format',
      }),
  })
  .strict();

export const jsonSinkNode = defineNode({
  type: 'sink.json',
  wholeTarget: true,
  version: 1,
  spark: jsonSinkSpark,
  category: 'sink',
  title: 'Write JSON',
  description: 'Writes the input as JSON Lines or a JSON array, replacing the file atomically.',
  aliases: ['json', 'jsonl', 'ndjson', 'json lines', 'export', 'save'],
  inputs: [{ name: 'in' }],
  outputs: [],
  params,
  docs: `Each row becomes an object whose keys are the column names, in column order. Numbers stay
numbers (decimals keep every significant digit but drop trailing zeros: \`12.50\` is written
\`12.5\`), \`NULL\` becomes \`null\`, dates and timestamps become ISO strings, lists become arrays and
structs nested objects. JSON has no NaN or Infinity: a value of either, also inside a list, struct, map or union (in DuckDB \`0.0 / 0.0\` is NaN and
\`1 / 0.0\` Infinity) stops the run naming the column, since the file could not be read as JSON;
replace such values first (\`CASE WHEN isfinite(ratio) THEN ratio END\` in a Derive gives NULL).

**Large integers.** Integers are written with every digit (\`9007199254740993\`, a HUGEINT's 39
digits, a DECIMAL(38,s)'s 38), as JSON allows. Many consumers read every JSON number as a double and
keep about 15 significant digits: JavaScript's \`JSON.parse\` reads \`9007199254740993\` as
9007199254740992. If such a consumer reads the file and the values are identifiers or amounts
beyond 2^53, write them as text (\`CAST(id AS VARCHAR)\` in a Derive). A BLOB is written as DuckDB's
escaped text, a JSON string holding printable ASCII as itself and any other byte, a backslash and
quotes as \`\\xNN\` (the bytes 00 FF as \`"\\\\x00\\\\xFF"\`, the text \`\\x00\\xFF\`): source.json reads it back
as the same bytes where the key is listed as \`BLOB\`, and \`CAST(… AS BLOB)\` turns the text into them. For
other consumers, \`base64(col)\` in a Derive is what most of them decode.

With \`format: "newline_delimited"\` (the default, also known as JSON Lines or NDJSON) each line is
one object and an empty input gives an empty file. With \`"array"\` the file is one array
(\`[]\` for an empty input). A name ending in \`.gz\` or \`.zst\` is compressed with gzip or zstd.

**Atomic.** The data is written to a hidden temp file next to the target and renamed into place only
when every sink of the run has been written; a failed or cancelled run deletes the temp file and
leaves the old file as it was. \`if_exists: "fail"\` (the default) stops a run whose target exists
before it reads any data; \`"overwrite"\` replaces the file. Missing parent folders are created when
the run starts (and stay, empty, if the run fails).`,
  example: {
    description: 'A JSON array for a web page, refreshed on every run',
    params: { path: 'site/data/top_products.json', if_exists: 'overwrite', format: 'array' },
  },
  sink(ctx) {
    const p = ctx.params;
    return fileSinkPlan(ctx, {
      noun: 'JSON file',
      options: { FORMAT: 'json', ARRAY: p.format === 'array', COMPRESSION: compressionFor(ctx.text(p.path)) },
      // NaN and Infinity would be written as bare tokens, which JSON readers refuse.
      select: jsonSafeSelect(ctx.input().columns),
    });
  },
});
