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
});
