import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Db } from '../../compiler/db.js';
import { stringLiteral } from '../../compiler/sql.js';
import { decodeMessage, type StreamMessage, streamOutputs, unreadKeysNotice, writeSpools } from './stream-spool.js';
import { unfitMessageError } from './spool-fit.js';
import { errorMessage } from '../../util/errors.js';
import type { CompileContext } from '../define.js';

const message = (value: string | null): StreamMessage => ({ value: value === null ? null : Buffer.from(value), meta: () => '"_offset":7', where: () => 'orders/0@7' });

describe('stream spool lines', () => {
  it('keeps a JSON value as sent, on one line even when the producer pretty-printed it', () => {
    expect(decodeMessage(message('{"id": 1}'), 'json')).toEqual({ line: '{"value":{"id": 1},"_offset":7}' });
    expect(decodeMessage(message('{\n  "id": 1,\n  "tags": ["a"]\n}\n'), 'json')).toEqual({ line: '{"value":{   "id": 1,   "tags": ["a"] } ,"_offset":7}' });
  });

  it('never re-serializes a value: integers beyond 2^53 and long decimals keep their text, also when pretty-printed', () => {
    const text = '{\r\n  "id": 9007199254740993,\r\n  "amount": 0.1000000000000000055511151231257827,\n  "note": "a\\nb"\n}';
    const { line } = decodeMessage(message(text), 'json');
    expect(line).toBe('{"value":{    "id": 9007199254740993,    "amount": 0.1000000000000000055511151231257827,   "note": "a\\nb" },"_offset":7}');
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('leaves the metadata out of good lines when the node does not output it, but never out of rejects', () => {
    expect(decodeMessage(message('{"id": 1}'), 'json', false)).toEqual({ line: '{"value":{"id": 1}}' });
    expect(decodeMessage(message('not json'), 'json', false).reject).toMatchObject({ reason: expect.stringContaining('the value is not JSON'), line: expect.stringContaining('"_raw":"not json"') });
    expect(decodeMessage(message('not json'), 'json', false).reject!.line).toContain('"_offset":7');
  });

  it('sets aside a value that is not UTF-8 (a producer writing Latin-1), whatever the format, instead of reading U+FFFD into it', () => {
    const latin1: StreamMessage = { value: Buffer.from('{"name":"Jos\u00e9"}', 'latin1'), meta: () => '"_offset":7', where: () => 'orders/0@7' };
    for (const format of ['json', 'text', 'csv'] as const) {
      const d = decodeMessage(latin1, format, true, { columns: ['name'], delimiter: ',' });
      expect(d.line, format).toBeUndefined();
      expect(d.reject?.reason, format).toBe('the value is not UTF-8 text (near "{\\"name\\":\\"Jos\uFFFD\\"}")');
    }
  });

  it('sets aside a value nesting deeper than a row can be read (DuckDB reading the spool failed on it, or crashed), naming the limit', () => {
    const nested = (depth: number) => `{"id":1,"x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    expect(decodeMessage(message(nested(999)), 'json').line).toBe(`{"value":${nested(999)},"_offset":7}`);
    expect(decodeMessage(message(nested(1000)), 'json').reject?.reason).toBe('the value nests objects or lists more than 999 levels deep, deeper than a row can be read');
    expect(decodeMessage(message(nested(100_000)), 'json').reject?.reason).toMatch(/more than 999 levels deep/);
    // Brackets inside strings are text, not nesting.
    expect(decodeMessage(message(JSON.stringify({ s: '['.repeat(5000) })), 'json').line).toBeDefined();
  });

  it('writes every line of a large batch, and names the message that stops a strict run', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-stream-spool-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const spool = path.join(dir, `spool-${process.pid}.ndjson`);
    const rejectSpool = path.join(dir, `rejects-${process.pid}.ndjson`);
    const many = Array.from({ length: 50_000 }, (_, i) => message(JSON.stringify({ id: i, text: 'x'.repeat(40) })));
    expect(await writeSpools(many, { format: 'json', onError: 'fail', spool, rejectSpool, nodeId: 'events', metadata: false, check: () => '' })).toEqual({ rows: 50_000, rejected: [] });
    const lines = (await readFile(spool, 'utf8')).split('\n');
    expect(lines).toHaveLength(50_001);
    expect(lines[49_999]).toBe(`{"_n":49999,"value":{"id":49999,"text":"${'x'.repeat(40)}"}}`);
    await expect(writeSpools([message('{}'), message('{oops')], { format: 'json', onError: 'fail', spool, rejectSpool, nodeId: 'events', check: () => '' })).rejects.toThrow(/node 'events': message orders\/0@7: the value is not JSON/);
  });
});

const numbered = (value: string, offset: number): StreamMessage => ({ value: Buffer.from(value), meta: () => `"_offset":${offset}`, where: () => `orders/0@${offset}` });

/** A database and the spool files of one batch, removed after the test. */
async function batchFiles(): Promise<{ db: Db; spool: string; rejectSpool: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caudal-stream-spool-'));
  const db = await Db.open({ threads: 1 });
  onTestFinished(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { db, spool: path.join(dir, 'spool.ndjson'), rejectSpool: path.join(dir, 'rejects.ndjson') };
}

describe('values that are JSON but do not fit the columns', () => {
  const check = (file: string) => `SELECT max(hash(value)) FROM read_json(${stringLiteral(file)}, format := 'newline_delimited', columns := {'value': 'STRUCT(id INTEGER)', '_offset': 'BIGINT'})`;

  it('are set aside with the reason when rejects are routed; a batch where most do not fit stops instead', async () => {
    const { db, spool, rejectSpool } = await batchFiles();
    const opts = { format: 'json' as const, onError: 'reject' as const, spool, rejectSpool, nodeId: 'events', check };
    const values = ['{"id": 1}', '{"id": "one"}', '{"id": 3}', '{"id": 99999999999}'];
    expect(await writeSpools(values.map(numbered), opts, db)).toEqual({ rows: 2, rejected: [1, 3] });
    expect(await readFile(spool, 'utf8')).toBe('{"_n":0,"value":{"id": 1},"_offset":0}\n{"_n":2,"value":{"id": 3},"_offset":2}\n');
    const rejects = (await readFile(rejectSpool, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects).toEqual([
      { _raw: '{"id": "one"}', _reason: 'the value does not fit the value columns: Failed to cast value to numerical: "one"', _offset: 1 },
      { _raw: '{"id": 99999999999}', _reason: 'the value does not fit the value columns: Failed to cast value to numerical: 99999999999', _offset: 3 },
    ]);

    const most = Array.from({ length: 150 }, (_, i) => numbered(i % 10 === 0 ? `{"id": ${i}}` : `{"id": "n${i}"}`, i));
    await expect(writeSpools(most, opts, db)).rejects.toThrow(/node 'events': more than 100 messages of this batch do not fit the value columns \(message orders\/0@\d+: Failed to cast/);
  });
});

describe('values that the value columns would change', () => {
  const values = ['{"id": 1, "day": "2024-03-04"}', '{"id": 2.5, "day": "2024-03-04"}', '{"id": 3, "day": "2024-03-04 10:00"}', '{"id": 4.0, "day": null}'];

  async function setUp() {
    const { db, spool, rejectSpool } = await batchFiles();
    // Flattening is off, so the outputs are built without asking DuckDB for the fields.
    const outputs = await streamOutputs({} as CompileContext<unknown>, { spool, rejectSpool, valueType: 'STRUCT(id INTEGER, "day" DATE)', flatten: false, separator: '_', metadata: [['_offset', 'BIGINT']], includeMetadata: true });
    return { db, spool, rejectSpool, outputs };
  }

  it('are set aside with the reason, where DuckDB would truncate 2.5 to 2 and cut the time off a DATE', async () => {
    const { db, spool, rejectSpool, outputs } = await setUp();
    const opts = { format: 'json' as const, onError: 'reject' as const, spool, rejectSpool, nodeId: 'events', check: outputs.check };
    expect(await writeSpools(values.map(numbered), opts, db)).toEqual({ rows: 2, rejected: [1, 2] });
    const rejects = (await readFile(rejectSpool, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects.map((r) => [r._offset, r._reason])).toEqual([
      [1, "the value does not fit the value columns: field id: '2.5' is not a whole number of type INTEGER"],
      [2, "the value does not fit the value columns: field day: '2024-03-04 10:00' is not a DATE: it has a time; convert to TIMESTAMP to keep it"],
    ]);
    const rows = await db.rows(outputs.out);
    expect(rows.map((r) => [r.id, String(r.day), r._offset])).toEqual([
      [1, '2024-03-04', '0'],
      [4, 'null', '3'],
    ]);
  });

  it('stop a strict run naming the message', async () => {
    const { db, spool, rejectSpool, outputs } = await setUp();
    await writeSpools(values.map(numbered), { format: 'json', onError: 'fail', spool, rejectSpool, nodeId: 'events', check: outputs.check }, db);
    const failure = await db.rows(outputs.out).then(() => undefined, (e: unknown) => e);
    const error = await unfitMessageError(errorMessage(failure), db, failure);
    expect(error?.message).toBe("node 'events': message orders/0@1 does not fit the value columns: field id: '2.5' is not a whole number of type INTEGER");
  });
});

describe('keys that the inferred value columns do not have', () => {
  it('are named by a notice: top-level keys of the values, each once', async () => {
    const { db, spool, rejectSpool } = await batchFiles();
    const values = ['{"id": 1}', '{"id": 2, "note": "x", "meta": {"deep": 1}}', '{"id": 3, "note": "y"}', '[1]'];
    await writeSpools(values.map(numbered), { format: 'json', onError: 'reject', spool, rejectSpool, nodeId: 'events', check: () => 'SELECT 1' }, db);
    const notice = unreadKeysNotice(spool, 'STRUCT(id BIGINT)')!;
    expect(await db.count(notice.countSql)).toBe(2);
    expect((await db.rows(notice.namesSql)).map((r) => r.k)).toEqual(['meta', 'note']);
    expect(await db.count(unreadKeysNotice(spool, 'STRUCT(id BIGINT, note VARCHAR, meta JSON)')!.countSql)).toBe(0);
    expect(unreadKeysNotice(spool, 'BIGINT')).toBeUndefined();
  });
});

describe('CSV values', () => {
  const csv = { columns: ['id', 'name', 'note'], delimiter: ',' };
  it('become the value columns in order; a quoted empty field is text, an unquoted one NULL', () => {
    expect(decodeMessage(message('7,"Smith, Ann",'), 'csv', false, csv)).toEqual({ line: '{"value":{"id":"7","name":"Smith, Ann","note":null}}' });
    expect(decodeMessage(message('8,"",x\n'), 'csv', false, csv)).toEqual({ line: '{"value":{"id":"8","name":"","note":"x"}}' });
    expect(decodeMessage(message('9;b;c'), 'csv', false, { ...csv, delimiter: ';' })).toEqual({ line: '{"value":{"id":"9","name":"b","note":"c"}}' });
  });

  it('a line with the wrong number of fields, two lines or a broken quote is a reject that says why', () => {
    expect(decodeMessage(message('1,2'), 'csv', false, csv).reject?.reason).toBe('the value has 2 fields, not 3 (id, name, note)');
    expect(decodeMessage(message('1,2,3\n4,5,6'), 'csv', false, csv).reject?.reason).toBe('the value holds 2 CSV lines, not one');
    expect(decodeMessage(message('1,"open,3'), 'csv', false, csv).reject?.reason).toMatch(/^the value is not a CSV line: /);
  });
});
