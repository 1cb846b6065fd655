import { describe, expect, it } from 'vitest';
import { innerTypePairs, isNestedType, nestedKindClash, nestedMayChange } from './nested-types.js';

describe('nested types', () => {
  it('pairs the types inside lists, fixed-size arrays, structs (by name, any case) and maps', () => {
    expect(innerTypePairs('BIGINT[]', 'DOUBLE[]')).toEqual([['BIGINT', 'DOUBLE']]);
    expect(innerTypePairs('INTEGER[3][]', 'BIGINT[3][]')).toEqual([['INTEGER', 'BIGINT']]);
    expect(innerTypePairs('STRUCT("Full, Name" VARCHAR, "a""b" DECIMAL(18,2))', 'STRUCT("A""B" DOUBLE, "full, name" VARCHAR)')).toEqual([
      ['VARCHAR', 'VARCHAR'],
      ['DECIMAL(18,2)', 'DOUBLE'],
    ]);
    expect(innerTypePairs('MAP(VARCHAR, STRUCT(x BIGINT)[])', 'MAP(VARCHAR, STRUCT(x DOUBLE, y INTEGER)[])')).toEqual([
      ['VARCHAR', 'VARCHAR'],
      ['BIGINT', 'DOUBLE'],
    ]);
    // Quoted text with commas and parentheses inside an ENUM stays one type.
    expect(innerTypePairs("ENUM('a,b', 'c)''d')[]", 'VARCHAR[]')).toEqual([["ENUM('A,B', 'C)''D')", 'VARCHAR']]);
  });

  it('cannot pair types of different shapes', () => {
    expect(innerTypePairs('INTEGER[]', 'STRUCT(a INTEGER)')).toBeUndefined();
    expect(innerTypePairs('STRUCT(a INTEGER', 'STRUCT(a INTEGER)')).toBeUndefined();
  });

  it('says which nested conversions may change a value inside, and which change its kind', () => {
    expect(isNestedType('DOUBLE[]')).toBe(true);
    expect(isNestedType('DECIMAL(18,2)')).toBe(false);
    expect(nestedMayChange('BIGINT[]', 'DOUBLE[]')).toBe(true);
    expect(nestedMayChange('DECIMAL(38,2)[]', 'DECIMAL(38,0)[]')).toBe(true);
    expect(nestedMayChange('INTEGER[]', 'DOUBLE[]')).toBe(false);
    expect(nestedMayChange('STRUCT(a INTEGER)', 'STRUCT(a BIGINT, b VARCHAR)')).toBe(false);
    expect(nestedMayChange('INTEGER[]', 'VARCHAR[]')).toBe(false);
    expect(nestedMayChange('INTEGER[]', 'STRUCT(a INTEGER)')).toBe(true);
    expect(nestedMayChange('BIGINT', 'DOUBLE')).toBe(false); // plain columns are exact-widening's
    expect(nestedKindClash('BOOLEAN[]', 'INTEGER[]')).toEqual(['BOOLEAN', 'INTEGER']);
    expect(nestedKindClash('STRUCT(d TIMESTAMP)', 'STRUCT(d DOUBLE)')).toEqual(['TIMESTAMP', 'DOUBLE']);
    expect(nestedKindClash('DATE[]', 'TIMESTAMP[]')).toBeUndefined();
  });
});
