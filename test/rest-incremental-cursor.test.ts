import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { listStates, writeNodeState } from '../core/src/engine/state.js';
import { pipeline, tempDir } from './support/pipeline.js';

/**
 * source.rest's incremental cursor against an API that filters by it: what the state keeps of the
 * highest value read, and what the next run sends. An integer beyond 2^53 was rounded by
 * JSON.parse (1234567890123456900 saved as 1234567890123457000, and the next run skipped the
 * records in between); numbers were compared as text after a run (String(state.cursor): "10" <
 * "9"), which warned every run and, for ids sent as strings, saved "9" as the highest of "1".."12".
 */
describe('source.rest: the incremental cursor', () => {
  let server: http.Server;
  let base = '';
  /** The `since` param of every request, by path. */
  const sent: Record<string, Array<string | null>> = {};
  /** Records by path, as JSON text (so big integers go out with their digits). */
  const big = ['1234567890123456800', '1234567890123456900'];
  const nums: number[] = [];
  const strs: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      const since = u.searchParams.get('since');
      (sent[u.pathname] ??= []).push(since);
      const answer = (records: string[]) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"data":[${records.join(',')}]}`);
      };
      // Filtered as an API does: by value, exactly.
      if (u.pathname === '/big') return answer(big.filter((id) => since === null || BigInt(id) > BigInt(since)).map((id) => `{"id":${id}}`));
      if (u.pathname === '/nums') return answer(nums.filter((id) => since === null || id > Number(since)).map((id) => `{"id":${id}}`));
      if (u.pathname === '/strs') return answer(strs.filter((id) => since === null || Number(id) > Number(since)).map((id) => `{"id":"${id}"}`));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  let n = 0;
  const read = async (dir: string, url: string, incremental: Record<string, unknown> = {}) => {
    const out = path.join(dir, `out-${++n}.json`);
    const doc = pipeline(
      [
        { id: 'src', type: 'source.rest', params: { url: `${base}${url}`, records_path: 'data', retries: 0, incremental: { cursor_path: 'id', param: 'since', ...incremental } } },
        { id: 'dst', type: 'sink.json', params: { path: out, format: 'array' } },
      ],
      ['src -> dst'],
      { name: 'cursor' },
    );
    const warnings: string[] = [];
    const onEvent = (e: RunEvent) => void (e.type === 'warning' && warnings.push(e.message));
    const summary = await runPipeline({ pipeline: doc, baseDir: dir, stateDir: path.join(dir, 'state'), onEvent });
    expect(summary.error).toBeUndefined();
    const text = await readFile(out, 'utf8');
    const cursor = (await listStates(path.join(dir, 'state'), 'cursor', 'src'))[0]?.state.cursor;
    return { text, warnings, cursor };
  };

  it('an integer beyond 2^53 keeps every digit: saved as the digits the API sent, and sent back as they are', async () => {
    const dir = await tempDir();
    const first = await read(dir, '/big');
    expect(first.text).toContain('1234567890123456900');
    expect(first.cursor).toBe('1234567890123456900');

    // A record between the last one read and what the rounded cursor (1234567890123457000) said.
    big.push('1234567890123456950');
    const second = await read(dir, '/big');
    expect(sent['/big']!.at(-1)).toBe('1234567890123456900');
    expect(second.text).toContain('1234567890123456950');
    expect(second.warnings).toEqual([]);
    expect(second.cursor).toBe('1234567890123456950');
  });

  it('numbers compare as numbers after a run saved them: 10 is after 9, with no warning that the API does not filter', async () => {
    const dir = await tempDir();
    nums.push(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const first = await read(dir, '/nums');
    expect(first.cursor).toBe(9);

    nums.push(10, 11, 12);
    const second = await read(dir, '/nums');
    expect(sent['/nums']!.at(-1)).toBe('9');
    expect((JSON.parse(second.text) as Array<{ id: number }>).map((r) => r.id)).toEqual([10, 11, 12]);
    expect(second.warnings).toEqual([]);
    // Saved as the number it is, not as text.
    expect(second.cursor).toBe(12);
  });

  it('ids the API sends as strings of digits compare as numbers: "12" is the highest of "1" to "12", and is not read again', async () => {
    const dir = await tempDir();
    strs.push(...Array.from({ length: 12 }, (_, i) => String(i + 1)));
    const first = await read(dir, '/strs');
    expect(first.cursor).toBe('12');

    const second = await read(dir, '/strs');
    expect(sent['/strs']!.at(-1)).toBe('12');
    expect(JSON.parse(second.text)).toEqual([]);
    expect(second.warnings).toEqual([]);
  });

  it('a first value and a state saved by an earlier version as text ("9") compare with number ids as numbers', async () => {
    const initial = await read(await tempDir(), '/nums', { initial: '9' });
    expect(sent['/nums']!.at(-1)).toBe('9');
    expect(initial.warnings).toEqual([]);
    expect(initial.cursor).toBe(12);

    // An unkeyed state, as `caudal state set` or an earlier version left it: the next run adopts it.
    const dir = await tempDir();
    await writeNodeState(path.join(dir, 'state'), 'cursor', 'src', { cursor: '9' });
    const adopted = await read(dir, '/nums');
    expect(sent['/nums']!.at(-1)).toBe('9');
    expect(adopted.warnings).toEqual([]);
    expect(adopted.cursor).toBe(12);
  });
});
