import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { AbortMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketCommand, DeleteObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../core/src/connectors/s3/client.js';
import { pgClient } from './support/postgres.js';
import { connectTo, SERVICES } from './support/services.js';

const run = promisify(execFile);

/**
 * Each service that test/services/up.sh provides answers and does real work. When one is missing,
 * its test fails with the way to start it; the suites that depend on it fail the same way.
 */
describe('test services (test/services/up.sh)', () => {
  it('PostgreSQL accepts the test role over scram and has logical replication for CDC', async () => {
    const client = await pgClient();
    try {
      const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
      expect(rows[0]?.wal_level).toBe('logical');
      const { rows: sum } = await client.query<{ n: number }>('SELECT $1::int + 1 AS n', [41]);
      expect(sum[0]?.n).toBe(42);
    } finally {
      await client.end();
    }
  });

  it('Redis stores and returns a value', async () => {
    const redis = createClient({ url: SERVICES.redisUrl, socket: { reconnectStrategy: false, connectTimeout: 3000 } });
    redis.on('error', () => {});
    await connectTo('redis', SERVICES.redisUrl, () => redis.connect());
    try {
      const key = `caudal-test:${randomUUID()}`;
      await redis.set(key, 'ok', { expiration: { type: 'EX', value: 30 } });
      expect(await redis.get(key)).toBe('ok');
      await redis.del(key);
    } finally {
      redis.destroy();
    }
  });

  it('RabbitMQ delivers a message through a queue', async () => {
    const conn = await connectTo('rabbitmq', SERVICES.amqpUrl.replace(/\/\/[^@]*@/, '//'), () => amqp.connect(SERVICES.amqpUrl));
    try {
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      ch.sendToQueue(queue, Buffer.from('hello'));
      const got = await new Promise<string>((resolve) => void ch.consume(queue, (m) => m && resolve(m.content.toString()), { noAck: true }));
      expect(got).toBe('hello');
    } finally {
      await conn.close();
    }
  });

  it('Kafka (KRaft) takes a message on a new topic and gives it back', async () => {
    const kafka = new Kafka({ clientId: 'caudal-services-test', brokers: [...SERVICES.kafkaBrokers], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const admin = kafka.admin();
    await connectTo('kafka', SERVICES.kafkaBrokers.join(','), () => admin.connect());
    const topic = `caudal-test-${randomUUID()}`;
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'v1' }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const value = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }));
      expect(value).toBe('v1');
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });

  it("moto's S3 server stores an object and lists a multipart upload in progress", async () => {
    const client = s3Client({ region: 'us-east-1', endpoint: SERVICES.motoUrl, force_path_style: true, access_key_id: 'caudal-test', secret_access_key: 'caudal-test-secret' });
    const Bucket = `caudal-services-${randomUUID().slice(0, 8)}`;
    try {
      await connectTo('moto', SERVICES.motoUrl, () => client.send(new CreateBucketCommand({ Bucket })));
      await client.send(new PutObjectCommand({ Bucket, Key: 'a.txt', Body: 'hello' }));
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: 'big.bin' }));
      const listed = await client.send(new ListMultipartUploadsCommand({ Bucket }));
      expect(listed.Uploads?.map((u) => u.UploadId)).toEqual([UploadId]);
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'big.bin', UploadId }));
      await client.send(new DeleteObjectCommand({ Bucket, Key: 'a.txt' }));
      await client.send(new DeleteBucketCommand({ Bucket }));
    } finally {
      client.destroy();
    }
  });

  it('pyspark runs a local job on the machine JDK, and sqlglot transpiles DuckDB to Spark SQL', async () => {
    const script = [
      'from pyspark.sql import SparkSession',
      'import sqlglot',
      "s = SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false').getOrCreate()",
      "print(s.range(1000).selectExpr('sum(id) AS total').collect()[0].total)",
      "print(sqlglot.transpile(\"SELECT strftime(d, '%Y') FROM t\", read='duckdb', write='spark')[0])",
      's.stop()',
    ].join('\n');
    const { stdout } = await connectTo('spark', SERVICES.sparkPython, () => run(SERVICES.sparkPython, ['-c', script], { timeout: 120_000 }));
    const [total, sql] = stdout.trim().split('\n');
    expect(total).toBe('499500');
    expect(sql).toMatch(/DATE_FORMAT/i);
  }, 150_000);

  it('Airflow answers with its pinned version', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'caudal-airflow-'));
    try {
      const { stdout } = await connectTo('airflow', SERVICES.airflowBin, () =>
        run(SERVICES.airflowBin, ['version'], { env: { ...process.env, AIRFLOW_HOME: home }, timeout: 120_000 }),
      );
      expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/m);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }, 150_000);
});
