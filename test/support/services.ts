import os from 'node:os';
import path from 'node:path';

/**
 * Where the test services live. The variables and defaults match test/services/env.sh, which
 * test/services/up.sh uses to install and start them; set a variable to point a suite elsewhere.
 */
const env = process.env;
const servicesHome = env.CAUDAL_SERVICES_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'caudal-test-services');

export const SERVICES = {
  home: servicesHome,
  postgres: {
    host: env.CAUDAL_TEST_PG_HOST ?? '127.0.0.1',
    port: Number(env.CAUDAL_TEST_PG_PORT ?? 5432),
    database: env.CAUDAL_TEST_PG_DATABASE ?? 'test',
    user: env.CAUDAL_TEST_PG_USER ?? 'postgres',
    password: env.CAUDAL_TEST_PG_PASSWORD ?? 'caudal',
  },
  redisUrl: env.CAUDAL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  amqpUrl: env.CAUDAL_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  kafkaBrokers: (env.CAUDAL_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  /** moto's server: an S3 API with ListMultipartUploads, which the in-process s3rver lacks. */
  motoUrl: env.CAUDAL_TEST_MOTO_URL ?? 'http://127.0.0.1:5055',
  sparkPython: env.CAUDAL_TEST_SPARK_PYTHON ?? path.join(servicesHome, 'venv-spark/bin/python'),
  airflowBin: env.CAUDAL_TEST_AIRFLOW_BIN ?? path.join(servicesHome, 'venv-airflow/bin/airflow'),
} as const;

export type ServiceName = 'postgres' | 'redis' | 'rabbitmq' | 'kafka' | 'moto' | 'spark' | 'airflow';

/**
 * The error a suite fails with when its service does not answer: it says where the suite looked
 * and how to start the service, instead of a bare ECONNREFUSED.
 */
export function serviceUnavailable(service: ServiceName, where: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(
    `${service} is not available at ${where} (${reason}). Start the test services with \`test/services/up.sh\` ` +
      `(or only this one: \`test/services/up.sh ${service}\`); see test/services/env.sh for the variables that move it.`,
    { cause },
  );
}

/** Runs `connect`; a failure becomes serviceUnavailable(service, where). */
export async function connectTo<T>(service: ServiceName, where: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (e) {
    throw serviceUnavailable(service, where, e);
  }
}
