import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:'); const c = await db.connect();
for (const q of [
 `select version()`,
 `select * from read_csv('/tmp/rb/s16/t.csv', columns={'a':'BIGINT','b':'VARCHAR'}, header=true)`,
 `select * from read_csv('/tmp/rb/s16/t.csv', columns={'a':'BIGINT','b':'VARCHAR'}, header=true, strict_mode=true)`,
 `select '4.5'::BIGINT, '4.0'::BIGINT`,
]) { try { const r = await c.runAndReadAll(q); console.log(q, JSON.stringify(r.getRowsJS(), (k,v)=>typeof v==='bigint'?String(v):v)); } catch (e) { console.log(q, 'ERR', (e as Error).message.slice(0,200)); } }
