import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMessage, type StreamMessage, writeSpools } from './stream-spool.js';

const message = (value: string | null): StreamMessage => ({ value: value === null ? null : Buffer.from(value), meta: () => '"_offset":7', where: () => 'orders/0@7' });

describe('stream spool lines', () => {
  it('keeps a JSON value as sent, on one line even when the producer pretty-printed it', () => {
    expect(decodeMessage(message('{"id": 1}'), 'json')).toEqual({ line: '{"value":{"id": 1},"_offset":7}' });
    expect(decodeMessage(message('{\n  "id": 1,\n  "tags": ["a"]\n}\n'), 'json')).toEqual({ line: '{"value":{"id":1,"tags":["a"]},"_offset":7}' });
  });

  it('leaves the metadata out of good lines when the node does not output it, but never out of rejects', () => {
    expect(decodeMessage(message('{"id": 1}'), 'json', false)).toEqual({ line: '{"value":{"id": 1}}' });
    expect(decodeMessage(message('not json'), 'json', false).reject).toMatchObject({ reason: expect.stringContaining('the value is not JSON'), line: expect.stringContaining('"_raw":"not json"') });
    expect(decodeMessage(message('not json'), 'json', false).reject!.line).toContain('"_offset":7');
  });

  it('writes every line of a large batch, and names the message that stops a strict run', async () => {
    const dir = os.tmpdir();
    const spool = path.join(dir, `spool-${process.pid}.ndjson`);
    const rejectSpool = path.join(dir, `rejects-${process.pid}.ndjson`);
    const many = Array.from({ length: 50_000 }, (_, i) => message(JSON.stringify({ id: i, text: 'x'.repeat(40) })));
    expect(await writeSpools(many, { format: 'json', onError: 'fail', spool, rejectSpool, nodeId: 'events', metadata: false })).toEqual({ rows: 50_000, rejected: [] });
    const lines = (await readFile(spool, 'utf8')).split('\n');
    expect(lines).toHaveLength(50_001);
    expect(lines[49_999]).toBe(`{"value":{"id":49999,"text":"${'x'.repeat(40)}"}}`);
    await expect(writeSpools([message('{}'), message('{oops')], { format: 'json', onError: 'fail', spool, rejectSpool, nodeId: 'events' })).rejects.toThrow(/node 'events': message orders\/0@7: the value is not JSON/);
  });
});
