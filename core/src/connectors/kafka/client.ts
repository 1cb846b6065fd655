import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
import type * as KafkaJs from 'kafkajs';
import type { ISocketFactory, Kafka, SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../../connections/kafka/kafka.connection.js';
import { noSecretError } from '../../secrets/resolve.js';

// kafkajs is CommonJS; require() keeps it out of the way until a Kafka node runs.
export const loadKafkaJs = () => createRequire(import.meta.url)('kafkajs') as typeof KafkaJs;

/**
 * kafkajs' own socket factory (network/socketFactory.js), keeping each socket in `sockets` while it
 * is open: a client that must stop at once (a run cancelled while its join of a consumer group
 * waits, which kafkajs' disconnect would wait for) destroys them.
 */
function trackingSocketFactory(sockets: Set<net.Socket>): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl ? tls.connect(Object.assign({ host, port }, !net.isIP(host) ? { servername: host } : {}, ssl), onConnect) : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };
}

/**
 * A kafkajs client for a connection: brokers, TLS, SASL; its own logs off (errors reach us).
 * `sockets`: where the client's open sockets are kept (trackingSocketFactory).
 */
export function kafkaClient(config: KafkaConfig, sockets?: Set<net.Socket>): Kafka {
  const { Kafka, logLevel } = loadKafkaJs();
  const sasl: SASLOptions | undefined =
    config.sasl_mechanism === 'none'
      ? undefined
      : ({ mechanism: config.sasl_mechanism, username: config.username ?? '', password: config.password ?? '' } as SASLOptions);
  return new Kafka({
    clientId: config.client_id,
    brokers: config.brokers.split(',').map((b) => b.trim()).filter(Boolean),
    ssl: config.ssl,
    sasl,
    connectionTimeout: config.connect_timeout_s * 1000,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 200 },
    ...(sockets ? { socketFactory: trackingSocketFactory(sockets) } : {}),
  });
}

/**
 * `e` as the error to report: with SASL on, no password stored, and the brokers refusing the
 * authentication, the connection's missing password (noSecretError: the node, or `connections
 * test`, names the connection and how to provide it) instead of the brokers' bare refusal of an
 * empty password. Anything else is `e` as it is.
 */
export function missingPasswordOr(e: unknown, config: Pick<KafkaConfig, 'sasl_mechanism' | 'password'>): unknown {
  if (config.sasl_mechanism !== 'none' && config.password === undefined && isAuthenticationRefusal(e)) return noSecretError('password');
  return e;
}

/**
 * The brokers refused the SASL credentials: kafkajs' KafkaJSSASLAuthenticationError ("SASL PLAIN
 * authentication failed: …", no Kafka error type) or a SASL_AUTHENTICATION_FAILED answer, here or
 * among the causes. A mechanism the listener does not enable is not a refusal of the password.
 */
function isAuthenticationRefusal(e: unknown): boolean {
  for (let c = e as { name?: unknown; type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0; c && depth < 6; depth++) {
    if (c.type === 'SASL_AUTHENTICATION_FAILED') return true;
    if (c.name === 'KafkaJSSASLAuthenticationError') return !/mechanism is not supported/i.test(String(c.message));
    c = (c.originalError ?? c.cause) as typeof c;
  }
  return false;
}

/** The topics whose whole name matches `pattern` (a JavaScript regular expression), internal ones left out. */
export async function topicsMatching(config: KafkaConfig, pattern: string): Promise<string[]> {
  const re = new RegExp(`^(?:${pattern})$`);
  const admin = kafkaClient(config).admin();
  try {
    await admin.connect().catch((e: unknown) => {
      throw missingPasswordOr(e, config);
    });
    return (await admin.listTopics()).filter((t) => !t.startsWith('__') && re.test(t)).sort();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The Kafka error type (e.g. UNKNOWN_TOPIC_OR_PARTITION) of a kafkajs error or of one of its causes. */
export function kafkaErrorType(e: unknown): string | undefined {
  for (let c = e as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0; c && depth < 6; depth++) {
    if (typeof c.type === 'string') return c.type;
    c = (c.originalError ?? c.cause) as typeof c;
  }
  return undefined;
}

/**
 * What to do about the usual refusals of a Kafka client, or undefined: a topic that does not exist
 * (misspelt, not created yet, or deleted), or SASL the listener does not speak.
 */
export function kafkaHint(e: unknown, config: Pick<KafkaConfig, 'brokers' | 'sasl_mechanism'>, topics: string[]): string | undefined {
  const type = kafkaErrorType(e);
  const named = topics.map((t) => `'${t}'`).join(', ');
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return `the brokers (${config.brokers}) have no topic ${named}: check the topic name, or create the topic (Caudal does not create topics); a topic deleted while the pipeline ran must be created again`;
  }
  if (type === 'ILLEGAL_SASL_STATE' || type === 'UNSUPPORTED_SASL_MECHANISM') {
    return `the broker did not accept SASL ${config.sasl_mechanism} on this listener: a plaintext listener takes no SASL (set the connection's sasl_mechanism to "none"), or connect to the port of the SASL listener with a mechanism it enables`;
  }
  if (type === 'SASL_AUTHENTICATION_FAILED') return "check the connection's username and password (the password is in the OS keychain or CAUDAL_SECRET_<CONNECTION>_PASSWORD)";
  if (type === 'TOPIC_AUTHORIZATION_FAILED' || type === 'GROUP_AUTHORIZATION_FAILED') return `the user may not read topic ${named} or use the consumer group: grant it the ACLs`;
  return undefined;
}
