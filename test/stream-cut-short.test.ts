import { describe, expect, it } from 'vitest';
import { runPipeline } from '../core/src/engine/engine.js';
import { Db } from '../core/src/compiler/db.js';
import { busConnections, busPipeline, kafkaSandbox, readCommitted } from './support/kafka.js';
import { tempDir } from './support/pipeline.js';

/**
 * DuckDB's streamed results end like exhausted ones when a value fails once the first chunks were
 * handed over (its C API gives NULL for both). A sink that streams its rows out (Kafka, RabbitMQ,
 * Redis, Elasticsearch, SQL Server) must not take the rows it got for the whole input: the run
 * stops with DuckDB's own error, and nothing is published.
 */
const ROWS = 400_000;
const BAD = 300_000;
/** Rows whose value at BAD stops the query: far enough for DuckDB to hand over chunks first. */
const failingLate = `SELECT i AS id, CASE WHEN i = ${BAD} THEN 'x' ELSE i::VARCHAR END::INTEGER AS v FROM range(${ROWS}) r(i)`;

describe('Db.stream', () => {
  it("raises DuckDB's error when the stream ends early, after handing over rows", async () => {
    const db = await Db.open();
    try {
      let seen = 0;
      const consume = async () => {
        for await (const chunk of db.stream(failingLate, 'js')) seen += chunk.length;
      };
      await expect(consume()).rejects.toThrow(/Could not convert string 'x' to INT32/);
      expect(seen).toBeGreaterThan(0);
      expect(seen).toBeLessThan(ROWS);
    } finally {
      db.close();
    }
  });

  it('gives every row of a query that succeeds, and a consumer that stops early is not checked', async () => {
    const db = await Db.open();
    try {
      let seen = 0;
      for await (const chunk of db.stream(`SELECT i FROM range(${ROWS}) r(i)`, 'duckdb')) seen += chunk.length;
      expect(seen).toBe(ROWS);
      for await (const chunk of db.stream(failingLate, 'js')) if (chunk.length > 0) break;
    } finally {
      db.close();
    }
  });
});

describe('sink.kafka: a value that fails after the first messages were sent', () => {
  it('fails the run with the value\'s error and readers see no message', async () => {
    const { kafka, topic } = await kafkaSandbox('caudal-cut');
    const t = await topic('late-failure', 1);
    const doc = busPipeline('late-failure', [
      { id: 'src', type: 'transform.sql', params: { query: failingLate } },
      { id: 'pub', type: 'sink.kafka', params: { connection: 'bus', topic: t, key_column: 'id' } },
    ], [['src:out', 'pub:in']]);
    const summary = await runPipeline({ pipeline: doc as never, baseDir: await tempDir(), connections: busConnections as never });
    expect(summary.status).toBe('failed');
    expect(summary.error?.message).toMatch(/Could not convert string 'x' to INT32/);
    expect(await readCommitted(kafka, t)).toEqual([]);
  }, 120_000);
});
