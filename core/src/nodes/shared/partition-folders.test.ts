import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../compiler/db.js';
import { stringLiteral } from '../../compiler/sql.js';
import { tempDir } from '../../../../test/support/pipeline.js';
import { checkPartitionFolders } from './partition-folders.js';

let dir: string;
let db: Db;
beforeAll(async () => {
  dir = await tempDir('caudal-partition-folders-');
  db = await Db.open();
});
afterAll(() => db.close());

const INPUT = `SELECT * FROM (VALUES (1, 'ES', 2024), (2, 'es', 2024), (3, 'FR', 2024), (4, 'São', 2025), (5, 'Sa${'\u0303'}o', 2025)) t(id, country, year)`;

describe('checkPartitionFolders', () => {
  it('passes when the folders hold every row written', async () => {
    const folder = path.join(dir, 'fine');
    const written = await db.count(`COPY (${INPUT}) TO ${stringLiteral(folder)} (FORMAT parquet, PARTITION_BY (country, year))`);
    await expect(checkPartitionFolders(db, { nodeId: 'out', folder, input: INPUT, partitionBy: ['country', 'year'] }, written)).resolves.toBeUndefined();
  });

  it('names the values that share a folder when the file system merged two (as macOS and Windows do with letter case)', async () => {
    const folder = path.join(dir, 'merged');
    const written = await db.count(`COPY (${INPUT}) TO ${stringLiteral(folder)} (FORMAT parquet, PARTITION_BY (country, year))`);
    // What a case-insensitive file system does: the second value's file lands on the first one's.
    await rename(path.join(folder, 'country=es', 'year=2024', 'data_0.parquet'), path.join(folder, 'country=ES', 'year=2024', 'data_0.parquet'));
    await rm(path.join(folder, 'country=es'), { recursive: true });
    const check = checkPartitionFolders(db, { nodeId: 'out', folder, input: INPUT, partitionBy: ['country', 'year'] }, written);
    await expect(check).rejects.toThrow("node 'out': the partition folders hold 4 of the 5 rows written: values that differ only in letter case share one folder on this file system");
    // Accented letters are percent-encoded in folder names (S%C3%A3o): they never meet, and are not named.
    await expect(check).rejects.toThrow("(country: 'ES' and 'es'); nothing was published");
    await mkdir(folder, { recursive: true });
  });
});
