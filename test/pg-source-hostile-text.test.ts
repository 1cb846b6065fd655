import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection, pgSandbox } from './support/postgres.js';
import { inDb } from './support/duckdb.js';

const connections = { db: { type: 'postgres' } };

/**
 * Rows travel as CSV and DuckDB guessed the line ending from the file: a text value with a carriage
 * return (a comment typed on Windows: CRLF) among the first rows made it read the file with CR or
 * CRLF line endings, and the read failed with "Value with unterminated quote found". And a byte order
 * mark starting the first value of a COPY (which quotes only values that need it) was dropped.
 */
describe('source.postgres: text values the CSV transfer must carry as they are', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  const table = `we'ird "t" `;

  it('carriage returns (CR, CRLF), tabs, backslashes, quotes, a BOM, "NULL" and an empty string arrive as they are, over COPY and over a cursor, in oddly named columns', async () => {
    await q(`CREATE TABLE "we'ird ""t"" " ("a'b""c" text, "x,y" int, " sp " text, "e" json)`);
    // The first row's first value starts with a byte order mark: at the start of the transfer file,
    // where DuckDB drops one unless the value is quoted.
    await q(`INSERT INTO "we'ird ""t"" " VALUES
      (E'\\ufeffbom first', 0, 'x', '0'),
      (E'crlf\\r\\nsecond line', 1, E'cr\\ronly', '{"a":1, "a":2}'),
      (E'back\\\\slash', 2, E'\\ufeffbom', '"s"'),
      ('', 3, NULL, 'null'),
      ('NULL', 4, ' lead ', '1'),
      (E'tab\\there', 5, '"', '{}'),
      (E'ends with CR\\r', 6, E'\\n', '[]')`);
    // As hex: the JSON form of a DuckDB row drops a byte order mark, so only the bytes tell.
    const want = await q(`SELECT upper(encode(convert_to("a'b""c", 'UTF8'), 'hex')) AS a, "x,y" AS x, upper(encode(convert_to(" sp ", 'UTF8'), 'hex')) AS sp, "e"::text AS e FROM "we'ird ""t"" " ORDER BY 2`);
    expect(want[0]!.a).toMatch(/^EFBBBF/);
    for (const [name, extra] of [['copy', {}], ['cursor', { filters: [{ column: 'x,y', op: '>=', value: 0 }] }]] as const) {
      const db = path.join(dir, `${name}.duckdb`);
      const d = pipeline(
        [
          { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table, ...extra } },
          { id: 'dst', type: 'sink.duckdb', params: { database: db, table: 'o' } },
        ],
        ['src -> dst'],
        { connections },
      );
      const s = await runPipeline({ pipeline: d, baseDir: dir, connections: pgConnection() });
      expect(s.error).toBeUndefined();
      const got = await inDb(db, `SELECT hex(encode("a'b""c")) AS a, "x,y" AS x, hex(encode(" sp ")) AS sp, CAST("e" AS VARCHAR) AS e FROM o ORDER BY 2`);
      expect(got).toEqual(want);
    }
  });
});
