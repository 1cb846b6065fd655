import { describe, expect, it } from 'vitest';
import { connectionTypeCatalog } from '../../../core/src/host/catalog.js';
import { formModel } from '../inspector/form-model.js';
import type { ParamJsonSchema } from '../model/types.js';
import { connectionErrorText, draftProblems, fieldValues } from './connection-draft.js';

const postgres = connectionTypeCatalog().find((t) => t.type === 'postgres')!;
const fields = formModel(postgres.fieldsSchema as ParamJsonSchema).flatMap((g) => g.fields);

describe('a connection being typed', () => {
  it('names each required field left empty, in words, before anything is sent', () => {
    expect(draftProblems('', fields, { host: 'db' }, postgres.secretFields)).toEqual({ '': 'Name is required.', database: 'Database is required.', user: 'User is required.' });
    expect(draftProblems('wh', fields, { database: 'shop', user: 'me' }, postgres.secretFields)).toEqual({});
  });

  it('takes a port of decimal digits only: 0x1F90 is not read as 8080', () => {
    expect(draftProblems('wh', fields, { database: 'shop', user: 'me', port: '0x1F90' })).toEqual({ port: 'Port: enter a whole number (digits only).' });
    expect(draftProblems('wh', fields, { database: 'shop', user: 'me', port: '54.5' }).port).toBeDefined();
    expect(fieldValues(fields, { port: '0x1F90' }).port).toBe('0x1F90');
    expect(fieldValues(fields, { port: ' 5433 ' }).port).toBe(5433);
  });

  it('refuses a number it would store rounded, saying what it takes', () => {
    expect(draftProblems('wh', fields, { database: 'shop', user: 'me', port: '99999999999999999999' }).port).toMatch(/^Port: 99999999999999999999 cannot be kept exactly: .* Enter a whole number from /);
    expect(fieldValues(fields, { port: '99999999999999999999' }).port).toBe('99999999999999999999');
  });

  it("a host error about a missing field says the field's label is required", () => {
    expect(connectionErrorText("field 'database': Invalid input: expected string, received undefined", fields)).toBe('Database is required.');
    expect(connectionErrorText('something else', fields)).toBe('something else');
  });
});
