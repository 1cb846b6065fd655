import { describe, expect, it } from 'vitest';
import { refSummary } from './recover.js';

describe('a recovery reference in doctor and clean output', () => {
  it('counts lists and cuts long texts: one readable line, not the whole reference (an S3 commit names every key it replaces)', () => {
    const keys = Array.from({ length: 400 }, (_, i) => `lake/k=${i}/data_0.parquet`);
    const line = refSummary({ bucket: 'sink', staging: '.caudal-staging/7b54dd33-h5p3615-dst/', existed: keys, written: keys, gid: 'x'.repeat(300), nested: { one: [1] } });
    expect(line).toBe(`bucket: sink, staging: .caudal-staging/7b54dd33-h5p3615-dst/, existed: 400 items, written: 400 items, gid: ${'x'.repeat(120)}…, nested: {one: 1 item}`);
  });
});
