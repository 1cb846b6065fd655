import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from './db.js';

let db: Db;
beforeAll(async () => {
  db = await Db.open();
});
afterAll(() => db.close());

describe('Db.rows', () => {
  it("says DATE 'infinity' and '-infinity' as such (the client writes them as days past the ends), and leaves text and the last real day alone", async () => {
    const rows = await db.rows(
      `SELECT 'infinity'::DATE AS d, '-infinity'::DATE AS nd, DATE '5881580-07-10' AS last, '5881580-07-11' AS text, 'infinity'::TIMESTAMP AS ts, NULL::DATE AS none`,
    );
    expect(rows).toEqual([{ d: 'infinity', nd: '-infinity', last: '5881580-07-10', text: '5881580-07-11', ts: 'infinity', none: null }]);
  });

  it('keeps columns named like Object.prototype members as columns (a `__proto__` column vanished from every row)', async () => {
    const [row] = await db.rows(`SELECT 1 AS "__proto__", 2 AS "constructor", 3 AS x`);
    expect(Object.keys(row!)).toEqual(['__proto__', 'constructor', 'x']);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe(1);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(row))).toEqual(JSON.parse('{"__proto__":1,"constructor":2,"x":3}'));
  });
});
