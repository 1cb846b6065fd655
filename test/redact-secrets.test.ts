import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLI_COMMANDS, NODE_TYPES, PRODUCT_NAMES, redact, redactText } from '../core/src/connections/redact.js';
import { COMMANDS } from '../core/src/cli/help.js';
import { nodeTypes } from '../core/src/nodes/index.js';
import { redactDeep } from '../core/src/engine/redact-secrets.js';
import { CaudalError } from '../core/src/util/errors.js';

/** True when `text` shows `secret` in a way the rule promises to hide (written apart from the redactor). */
function shows(text: string, secret: string): boolean {
  // Inside a longer name Caudal writes (a node type, a command) a secret is not shown.
  const names = PRODUCT_NAMES.flatMap((re) => [...text.matchAll(re)].map((m) => [m.index, m.index + m[0].length] as const));
  const inName = (at: number) => names.some(([from, to]) => from <= at && at + secret.length <= to && to - from > secret.length);
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = secret.length >= 8 ? new RegExp(escaped, 'gu') : new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'gu');
  return [...text.matchAll(pattern)].some((m) => !inName(m.index));
}

/** Every string in a JSON value, keys excluded. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

/** The value with every string replaced by one marker: what redaction must leave unchanged. */
function skeleton(v: unknown): unknown {
  if (typeof v === 'string') return '<s>';
  if (Array.isArray(v)) return v.map(skeleton);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, skeleton(x)]));
  return v;
}

describe('redactText: which appearances of a secret are replaced', () => {
  it.each([
    // Long secrets: anywhere, also inside a word.
    ['S3cr3t-pa55word', 'relation "missing_S3cr3t-pa55word" does not exist', 'relation "missing_***" does not exist'],
    ['S3cr3t-pa55word', 'xS3cr3t-pa55wordy', 'x***y'],
    // Short secrets: only where they stand alone.
    ['1000', 'wrote 1000 rows', 'wrote *** rows'],
    ['1000', 'wrote 10000 rows, 1000.5 on average', 'wrote 10000 rows, ***.5 on average'],
    ['1000', '1000', '***'],
    ['false', 'falsely false', 'falsely ***'],
    ['null', 'nullable null "null"', 'nullable *** "***"'],
    ['t', "it's t: postgres://u:t@host", "it's ***: postgres://u:***@host"],
    ['t', 'missing_t', 'missing_t'],
    ['t', 'missing-t', 'missing-***'],
    // Names Caudal writes itself keep a secret that is part of them; the secret alone is hidden.
    ['postgres', '✓ src  source.postgres  ✗ dst  sink.postgres', '✓ src  source.postgres  ✗ dst  sink.postgres'],
    ['postgres', 'postgres://postgres:postgres@h', '***://***:***@h'],
    ['source.postgres', 'unknown type source.postgres', 'unknown type ***'],
    ['caudal', 'run `caudal state reset x.json --node src`', 'run `caudal state reset x.json --node src`'],
    ['caudal', "SELECT pg_drop_replication_slot('caudal_orders_src_8cca')", "SELECT pg_drop_replication_slot('caudal_orders_src_8cca')"],
    ['caudal', 'removed its temp folder /tmp/caudal-run-h1a2bp123-Xyz7', 'removed its temp folder /tmp/caudal-run-h1a2bp123-Xyz7'],
    ['caudal', 'password caudal rejected for user "caudal"', 'password *** rejected for user "***"'],
    ['caudal', 'caudal stateful', '*** stateful'],
    ['"', 'relation "x" does not exist', 'relation "x" does not exist'],
    ['"', 'password: "', 'password: ***'],
    ['\\', 'C:\\dir', 'C:\\dir'],
    ['\\', 'password \\ rejected', 'password *** rejected'],
    ['é1', 'café1 é1', 'café1 ***'],
    ['ab', 'abab ab', 'abab ***'],
  ])('secret %j in %j → %j', (secret, text, expected) => {
    expect(redactText(text, [secret])).toBe(expected);
  });

  it('hides a longer secret whole before a shorter one it contains', () => {
    expect(redactText('pw: abc-long-secret', ['abc', 'abc-long-secret'])).toBe('pw: ***');
  });

  it('leaves no secret standing alone next to a hidden one', () => {
    expect(redactText('a-b', ['a-', 'b'])).toBe('***');
    expect(redactText('x a-b y', ['b', 'a-'])).toBe('x *** y');
    expect(redactText('xa-b', ['a-', 'b'])).toBe('xa-***');
    expect(redactText('"S', ['"', 'S', '~Mc!'])).toBe('***');
  });

  it('connection errors use the same rule, hints included', () => {
    const e = redact(new CaudalError('io', 'password 1000 rejected after 10000 ms', { hint: 'try 1000' }), ['1000']);
    expect(e.message).toBe('password *** rejected after 10000 ms');
    expect(e.hint).toBe('try ***');
  });
});

describe('redactDeep: structural, over any JSON value', () => {
  const special = fc.constantFrom('1000', 'false', 'null', 'true', '"', '\\', 't', ':', '{', '0', 'e', '"p":"\\,:[]}', 'S3cr3t-pa55word');
  const secret = fc.oneof(special, fc.string({ minLength: 1, maxLength: 10 })).filter((s) => !s.includes('*'));
  const secrets = fc.array(secret, { minLength: 1, maxLength: 3 });
  // Strings that often contain the secrets: a secret with some text around it, or free text.
  const messageWith = (ss: string[]) =>
    fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(fc.string(), fc.tuple(fc.string({ maxLength: 3 }), fc.constantFrom(...ss), fc.string({ maxLength: 3 })).map(([a, s, b]) => a + s + b)),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
        fc.integer(),
        fc.constantFrom(1000, 0, true, false, null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(fc.string(), fc.constantFrom(...ss)), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
  const cases = secrets.chain((ss) => fc.tuple(fc.constant(ss), messageWith(ss)));

  it('changes only strings: keys, numbers, booleans and null stay, the result is valid JSON', () => {
    fc.assert(
      fc.property(cases, ([ss, message]) => {
        const out = redactDeep(message, ss);
        expect(skeleton(out)).toEqual(skeleton(message));
        expect(JSON.parse(JSON.stringify(out))).toEqual(out);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves no secret showing in any string', () => {
    fc.assert(
      fc.property(cases, ([ss, message]) => {
        for (const text of strings(redactDeep(message, ss))) for (const s of ss) expect(shows(text, s), `${JSON.stringify(s)} in ${JSON.stringify(text)}`).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('never changes a string that does not show a secret, and returns a message without one as it is', () => {
    fc.assert(
      fc.property(cases, ([ss, message]) => {
        const out = redactDeep(message, ss);
        const before = strings(message);
        const after = strings(out);
        before.forEach((text, i) => {
          if (!ss.some((s) => shows(text, s))) expect(after[i]).toBe(text);
        });
        if (!before.some((text) => ss.some((s) => shows(text, s)))) expect(out).toBe(message);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the exact events that used to break: a password 1000, false or null next to such values', () => {
    const event = { type: 'node_finished', runId: 'r', nodeId: 'src', rowsIn: null, rowsOut: 1000, materialized: false, message: 'read 1000 rows; 10000 planned; null check' };
    expect(redactDeep(event, ['1000'])).toEqual({ ...event, message: 'read *** rows; 10000 planned; null check' });
    expect(redactDeep(event, ['false'])).toBe(event);
    expect(redactDeep(event, ['null'])).toEqual({ ...event, message: 'read 1000 rows; 10000 planned; *** check' });
  });

  it('passes binary data untouched', () => {
    const bytes = new Uint8Array([116, 0, 1]);
    expect(redactDeep({ bytes, text: 't' }, ['t'])).toEqual({ bytes, text: '***' });
    expect(redactDeep({ bytes, text: 't' }, ['t']).bytes).toBe(bytes);
  });
});

describe('the names redaction keeps', () => {
  it('are every node type and CLI command there is', () => {
    expect([...NODE_TYPES].sort()).toEqual(nodeTypes().sort());
    expect([...CLI_COMMANDS].sort()).toEqual([...COMMANDS].sort());
  });
});
