import { describe, expect, it } from 'vitest';
import { secretStates } from './secret-states.js';

describe('the secrets column of the connections list', () => {
  it('says stored or missing, and a secret the keychain could not read as such, with why', () => {
    expect(secretStates({ secrets: { password: true } })).toBe('password: stored');
    expect(secretStates({ secrets: { password: false } })).toBe('password: missing');
    expect(secretStates({ secrets: { password: false, token: false }, unreadable: { password: 'AccessDenied' } })).toBe('password: could not be read (AccessDenied), token: missing');
    expect(secretStates({ secrets: {} })).toBe('–');
  });
});
