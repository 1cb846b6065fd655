import { describe, expect, it } from 'vitest';
import { esPropertyFor } from './mapping.js';

describe('Elasticsearch mappings of an index the sink creates', () => {
  it('maps decimals of up to 15 digits as scaled_float, which holds them exactly; wider ones as double, as Elasticsearch reads them anyway', () => {
    expect(esPropertyFor('DECIMAL(15,2)')).toEqual({ type: 'scaled_float', scaling_factor: 100 });
    expect(esPropertyFor('DECIMAL(10,0)')).toEqual({ type: 'scaled_float', scaling_factor: 1 });
    // 16 digits and more go through a double when Elasticsearch parses them: scaled_float would not keep them either.
    expect(esPropertyFor('DECIMAL(18,2)')).toEqual({ type: 'double' });
    expect(esPropertyFor('DECIMAL(38,10)')).toEqual({ type: 'double' });
  });

  it('keeps whole numbers exact: BIGINT as long, UBIGINT as unsigned_long, HUGEINT as keyword', () => {
    expect(esPropertyFor('BIGINT')).toEqual({ type: 'long' });
    expect(esPropertyFor('UBIGINT')).toEqual({ type: 'unsigned_long' });
    expect(esPropertyFor('HUGEINT')).toEqual({ type: 'keyword' });
  });
});
