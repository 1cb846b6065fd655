import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../compiler/db.js';
import { exportSelect, watermarkRefusal } from './types.js';

/** Values no SQL Server column can hold, refused by the export with the column's name (DuckDB alone, no server). */
let db: Db;
beforeAll(async () => {
  db = await Db.open({ threads: 1 });
});
afterAll(() => db.close());

const exported = (type: string, literal: string, table?: string) => db.rows(`SELECT ${exportSelect([{ name: 'v', type }], table ? new Map([['v', table]]) : undefined)} FROM (SELECT ${literal}::${type} AS v)`);

describe('values no SQL Server column holds stop the load, naming the column', () => {
  it.each([
    ['DOUBLE', "'NaN'"],
    ['DOUBLE', "'Infinity'"],
    ['DOUBLE', "'-Infinity'"],
    ['FLOAT', "'NaN'"],
  ])('%s %s: float and real have no NaN or Infinity (the server said only "Invalid number.", or took Infinity)', async (type, literal) => {
    await expect(exported(type, literal)).rejects.toThrow(/column "v" holds (nan|inf|-inf), which SQL Server's float and real cannot hold \(they have no NaN or Infinity\): replace them first/);
    // Into an existing column too, whatever its type.
    await expect(exported(type, literal, 'float')).rejects.toThrow(/column "v" holds/);
  });

  it('finite doubles and NULL go as before', async () => {
    expect(await exported('DOUBLE', '1.5')).toEqual([{ v: 1.5 }]);
    expect(await exported('DOUBLE', 'NULL')).toEqual([{ v: null }]);
  });

  it("TIME '24:00:00' is refused (SQL Server's time ends at 23:59:59.9999999; it was written as 00:00:00)", async () => {
    await expect(exported('TIME', "'24:00:00'")).rejects.toThrow(/column "v" holds 24:00:00, which SQL Server's time cannot hold \(its day ends at 23:59:59\.9999999\)/);
    await expect(exported('TIME', "'24:00:00'", 'time(7)')).rejects.toThrow(/column "v" holds 24:00:00/);
    expect(await exported('TIME', "'23:59:59.999999'")).toEqual([{ v: '23:59:59.999999' }]);
    expect(await exported('TIME', "'00:00:00'")).toEqual([{ v: '00:00:00.000000' }]);
  });
});

describe('watermark columns: what SQL Server compares in the order of the read', () => {
  it.each(['int', 'bigint', 'decimal(18,2)', 'datetime2(7)', 'datetime', 'datetimeoffset(7)', 'date', 'nvarchar(50)', 'varchar(20) COLLATE Latin1_General_CI_AS'])('%s can be one', (type) => {
    expect(watermarkRefusal(type)).toBeUndefined();
  });
  it.each(['timestamp', 'rowversion', 'binary(8)', 'varbinary(max)'])('%s cannot: its bytes would be compared as text; the hint casts it to bigint below MIN_ACTIVE_ROWVERSION()', (type) => {
    const r = watermarkRefusal(type);
    expect(r?.why).toMatch(/compared as text/);
    expect(r?.hint).toMatch(/CAST\(rv AS bigint\) AS rv_n .* WHERE rv < MIN_ACTIVE_ROWVERSION\(\)/);
  });
  it.each(['uniqueidentifier', 'xml', 'hierarchyid', 'sql_variant', 'geography'])('%s cannot', (type) => {
    expect(watermarkRefusal(type)).toBeDefined();
  });
});
