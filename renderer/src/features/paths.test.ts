import { describe, expect, it } from 'vitest';
import { closest, dirname, extensionsFor, joinPath, relativeTo } from './paths.js';

describe('file paths in node params', () => {
  it('keeps picked files relative to the pipeline folder when they are inside it', () => {
    expect(relativeTo('/w/project', '/w/project/data/orders.csv')).toBe('data/orders.csv');
    expect(relativeTo('/w/project/', '/w/project/a.csv')).toBe('a.csv');
    expect(relativeTo('/w/project', '/elsewhere/a.csv')).toBe('/elsewhere/a.csv');
    expect(relativeTo('C:\\w\\p', 'C:\\w\\p\\d\\a.csv')).toBe('d/a.csv');
  });

  it('joins and splits paths the way the host resolves them', () => {
    expect(joinPath('/w/p', 'data/../out/x.csv')).toBe('/w/p/out/x.csv');
    expect(joinPath('/w/p', '/abs/x.csv')).toBe('/abs/x.csv');
    expect(dirname('data/orders.csv')).toBe('data');
    expect(dirname('orders.csv')).toBe('');
    expect(extensionsFor('source.csv')).toEqual(['csv']);
    expect(extensionsFor('sink.duckdb')).toEqual(['duckdb']);
    expect(extensionsFor('source.postgres')).toBeUndefined();
  });

  it('suggests a close file name for a typo, not an unrelated one', () => {
    expect(closest('oders.csv', ['orders.csv', 'customers.csv'])).toBe('orders.csv');
    expect(closest('Orders.CSV', ['orders.csv'])).toBe('orders.csv');
    expect(closest('orders.csv', ['orders.csv'])).toBeNull();
    expect(closest('sales.csv', ['orders.csv', 'customers.csv'])).toBeNull();
  });
});
