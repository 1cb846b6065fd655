import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caudal } from './support/cli.js';
import { tempDir } from './support/pipeline.js';
import { PG, pgSandbox, pgSecretEnv, preparedTransactionsIn } from './support/postgres.js';
import { kafkaSandbox, readCommitted } from './support/kafka.js';
import { SERVICES } from './support/services.js';

/**
 * A Kafka topic and a PostgreSQL table written by one run. Kafka's transaction dies with the
 * process; PostgreSQL's load is prepared (two-phase) and recovery can still commit it. So Kafka
 * commits first and the decision is recorded after it: a run killed on either side of that point
 * ends entirely old or entirely new, and a rerun never appends the rows twice.
 */
const { client, schema, q } = await pgSandbox();
const root = await tempDir('caudal-commit-streams-');
const { kafka, topic: newTopic } = await kafkaSandbox('caudal-commit');

async function project(name: string) {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const topic = await newTopic(name);
  const table = name.replace(/-/g, '_');
  await q(`CREATE TABLE "${table}" (id int)`);
  const env = { ...pgSecretEnv('db'), CAUDAL_RUNTIME_DIR: path.join(dir, 'runtime'), CAUDAL_CONFIG_DIR: path.join(dir, 'config') };
  const connections = { db: { type: 'postgres', host: PG.host, port: PG.port, database: PG.database, user: PG.user }, bus: { type: 'kafka', brokers: SERVICES.kafkaBrokers.join(',') } };
  await writeFile(path.join(dir, 'caudal.connections.json'), JSON.stringify({ format: 'caudal.connections/1', connections }));
  const doc = {
    format: 'caudal.pipeline/1',
    name,
    params: {},
    connections: { db: { type: 'postgres' }, bus: { type: 'kafka' } },
    nodes: [
      { id: 'src', type: 'transform.sql', params: { query: 'SELECT range::INT AS id FROM range(1, 6)' } },
      { id: 'pub', type: 'sink.kafka', params: { connection: 'bus', topic, key_column: 'id' } },
      { id: 'pg', type: 'sink.postgres', params: { connection: 'db', schema, table, mode: 'append' } },
    ],
    edges: [{ from: 'src:out', to: 'pub:in' }, { from: 'src:out', to: 'pg:in' }],
  };
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(doc));
  return {
    run: (more: NodeJS.ProcessEnv = {}) => caudal(['run', 'pipeline.json', '-q'], { cwd: dir, env: { ...env, ...more } }),
    clean: () => caudal(['clean', 'pipeline.json'], { cwd: dir, env }),
    state: async () => ({
      kafka: (await readCommitted(kafka, topic)).length,
      pg: Number((await q<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`))[0]!.n),
    }),
    journals: () => readdir(path.join(dir, 'runtime/runs')).catch(() => []),
  };
}

describe('commit protocol: Kafka next to a prepared PostgreSQL load', () => {
  for (const c of [
    // Before Kafka's commit: nothing anywhere (the prepared load is rolled back).
    { at: 'after-reversible', expect: { kafka: 0, pg: 0 }, clean: 'rolled back' },
    // After Kafka's commit and the decision: the prepared load is committed by recovery.
    { at: 'after-decision', expect: { kafka: 5, pg: 5 }, clean: 'rolled forward' },
  ]) {
    it(`killed ${c.at.replace(/-/g, ' ')}: recovery leaves both ${c.expect.pg === 0 ? 'as they were' : 'written'}, and a rerun writes each row once more everywhere`, async () => {
      const p = await project(`kafka-pg-${c.at}`);
      expect((await p.run({ CAUDAL_FAILPOINT: c.at })).signal).toBe('SIGKILL');
      const clean = await p.clean();
      expect(clean.code, clean.stdout + clean.stderr).toBe(0);
      expect(clean.stdout).toContain(c.clean);
      expect(await p.state()).toEqual(c.expect);
      expect(await preparedTransactionsIn(client, schema)).toEqual([]);
      expect(await p.journals()).toEqual([]);
      const again = await p.run();
      expect(again.code, again.stderr).toBe(0);
      expect(await p.state()).toEqual({ kafka: c.expect.kafka + 5, pg: c.expect.pg + 5 });
    });
  }
});
