import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect, previewPipeline, runPipeline } from '../core/src/engine/engine.js';
import type { RunEvent } from '../core/src/engine/protocol.js';
import { pipeline, tempDir } from './support/pipeline.js';
import { pgConnection, pgLoginRole, pgSandbox } from './support/postgres.js';

/** Every string in a value, keys included (a secret must not hide in a key either). */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]);
  return [];
}

/**
 * Where the secret shows, by the rule in docs/connections.md: a secret of 8+ characters anywhere,
 * a shorter one standing alone (not between letters or digits).
 */
function showing(v: unknown, secret: string): string[] {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const alone = new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u');
  return strings(v).filter((s) => (secret.length >= 8 ? s.includes(secret) : alone.test(s)));
}

const connections = { db: { type: 'postgres' } };

describe('secrets that look like JSON do not break the engine, and never leave it', async () => {
  const { schema, q } = await pgSandbox();
  const dir = await tempDir();
  // 1,000 rows: the run's events carry the number 1000 (rows out), false (materialized), null (rows in).
  await q(`CREATE TABLE items AS SELECT g AS id, 'item ' || g AS label FROM generate_series(1, 1000) g`);

  it.each([
    ['1000'],
    ['false'],
    ['null'],
    ['t'],
    ['"'],
    ['\\'],
    ['{"p":"\\\\,:[]}'],
  ])('password %j: the run succeeds, the server echo is redacted, no event carries it', async (secret) => {
    const conn = pgConnection();
    Object.assign(conn.db!.config, { user: await pgLoginRole(secret), password: secret });
    const doc = pipeline(
      [
        { id: 'src', type: 'source.postgres', params: { connection: 'db', schema, table: 'items' } },
        { id: 'out', type: 'sink.csv', params: { path: `items-${Buffer.from(secret).toString('hex')}.csv` } },
      ],
      ['src -> out'],
      { connections },
    );
    const events: RunEvent[] = [];
    const summary = await runPipeline({ pipeline: doc, baseDir: dir, connections: conn, onEvent: (e) => events.push(e) });
    expect(summary.error).toBeUndefined();
    expect(summary.status).toBe('succeeded');
    expect(summary.outputs[0]!.rows).toBe(1000);
    const csv = await readFile(path.join(dir, `items-${Buffer.from(secret).toString('hex')}.csv`), 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(1001);
    expect(events.some((e) => e.type === 'node_finished' && e.rowsOut === 1000)).toBe(true);
    expect(showing([events, summary], secret)).toEqual([]);

    // The server names a missing relation, secret included: the message arrives with it redacted.
    const ident = `missing-${secret}`.replaceAll('"', '""');
    const echo = pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', query: `SELECT * FROM "${ident}"` } }], [], { connections });
    const result = await inspect({ pipeline: echo, baseDir: dir, connections: conn });
    expect(result.problems[0]!.message).toContain('missing-***');
    expect(showing(result, secret)).toEqual([]);

    // Previews carry rows: a row holding the secret is redacted, the others arrive whole.
    const rows = pipeline([{ id: 'src', type: 'source.postgres', params: { connection: 'db', query: 'SELECT $1::text AS v, 1000 AS n, false AS b, NULL::text AS z', query_params: [secret] } }], [], { connections });
    const p = await previewPipeline({ pipeline: rows, baseDir: dir, nodeId: 'src', connections: conn });
    expect(p.rows).toEqual([{ v: '***', n: 1000, b: false, z: null }]);
  });
});
