import { describe, expect, it } from 'vitest';
import { renameRelation } from './sql-rename.js';

describe('renaming the relation a pasted query reads', () => {
  it('renames the old id where it is a relation after FROM or JOIN, and its column qualifiers', () => {
    expect(renameRelation('SELECT * FROM orders WHERE amount > 5', 'orders', 'csv_source')).toBe('SELECT * FROM csv_source WHERE amount > 5');
    expect(renameRelation('SELECT orders.id FROM orders JOIN c ON c.id = orders.id', 'orders', 'o2')).toBe('SELECT o2.id FROM o2 JOIN c ON c.id = o2.id');
    expect(renameRelation('SELECT * FROM "orders"', 'orders', 'o2')).toBe('SELECT * FROM "o2"');
    expect(renameRelation('SELECT * FROM a JOIN\n  orders USING (id)', 'orders', 'o2')).toBe('SELECT * FROM a JOIN\n  o2 USING (id)');
  });

  it('never touches strings, comments or other names that contain the id', () => {
    expect(renameRelation("SELECT 'orders' AS src, orders_total FROM orders -- orders\n", 'orders', 'o2')).toBe("SELECT 'orders' AS src, orders_total FROM o2 -- orders\n");
  });

  it('leaves the query alone where the id is used otherwise (ambiguous): the check then names it', () => {
    expect(renameRelation('SELECT orders FROM orders', 'orders', 'o2')).toBeUndefined(); // a column named like the node
    expect(renameRelation('SELECT * FROM a, orders', 'orders', 'o2')).toBeUndefined();
    expect(renameRelation('SELECT x.orders FROM orders x', 'orders', 'o2')).toBeUndefined();
    expect(renameRelation('SELECT 1', 'orders', 'o2')).toBeUndefined();
  });
});
