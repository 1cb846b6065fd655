import { DuckDBInstance } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';
writeFileSync('/tmp/rb/s15/sn.csv', 'title line\nqty;id;"day"\n3;1;2024-01-01\n');
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const r = await conn.runAndReadAll(`SELECT Delimiter, Quote, Escape, NewLineDelimiter, SkipRows, HasHeader, Columns, Comment FROM sniff_csv('/tmp/rb/s15/sn.csv')`);
console.log(r.getRowObjectsJson());
