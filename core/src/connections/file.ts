import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CaudalError, errorMessage } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { duplicateKeyProblems } from '../model/load.js';
import { jsonSyntaxWhere } from '../model/json-syntax.js';
import { CONNECTION_NAME_PATTERN, CONNECTION_NAME_RULE, connectionNameError } from '../model/schema.js';

export const CONNECTIONS_FORMAT = 'caudal.connections/1';
/** Project connections sit next to the pipelines under this name and override the user's by name. */
export const PROJECT_FILE = 'caudal.connections.json';

const entrySchema = z.looseObject({ type: z.string().min(1) });
export const connectionsFileSchema = z
  .object({
    format: z.literal(CONNECTIONS_FORMAT),
    connections: z.record(z.string().regex(CONNECTION_NAME_PATTERN, CONNECTION_NAME_RULE), entrySchema, { error: connectionNameError }),
  })
  .strict();
export type ConnectionsFile = z.infer<typeof connectionsFileSchema>;
export type ConnectionEntry = z.infer<typeof entrySchema>;

/** The user's connections file: $CAUDAL_CONFIG_DIR, else $XDG_CONFIG_HOME/caudal, else ~/.config/caudal. */
export function userConnectionsPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.CAUDAL_CONFIG_DIR || path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'caudal');
  return path.join(dir, 'connections.json');
}

export async function readConnectionsFile(file: string): Promise<ConnectionsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { format: CONNECTIONS_FORMAT, connections: {} };
    throw new CaudalError('io', `cannot read ${file}: ${errorMessage(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Never JSON.parse's message: it quotes the text around the error, maybe a password written in by hand.
    throw new CaudalError('validation', `${file} is not valid JSON${jsonSyntaxWhere(text)}`, { hint: 'fix the file in a text editor; secrets belong in the OS keychain, not in it' });
  }
  const [repeated] = duplicateKeyProblems(text, file);
  if (repeated) throw new CaudalError('validation', repeated.message, { hint: repeated.hint });
  const r = connectionsFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new CaudalError('validation', `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  for (const [name, entry] of Object.entries(r.data.connections)) {
    const field = urlWithCredentials(entry);
    if (field) throw credentialsInUrl(name, field, file);
  }
  return r.data;
}

/** Writes atomically (temp file + rename) with owner-only permissions. */
export async function writeConnectionsFile(file: string, doc: ConnectionsFile): Promise<void> {
  try {
    await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
  } catch (e) {
    throw new CaudalError('io', `cannot write ${file}: ${errorMessage(e)}`);
  }
}

/**
 * A URL with user info (`scheme://user:password@host`), or a host written with it and no scheme
 * (`guest:secret@mq.local`, `alice:pw@broker:9092`): drivers took the latter as a host name, failed
 * to resolve it, and their error repeated it, password and all, into the run's record.
 */
function hasCredentials(value: string): boolean {
  // Each of a list (Kafka's brokers: `kafka-1:9092,alice:pw@kafka-2:9092`).
  return value.split(',').some((part) => {
    const v = part.trim();
    return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(v) || /^[^\s/?#@:]+:[^\s/?#@]*@[^\s/?#@]+$/.test(v);
  });
}

/** The field (path) of a connection whose value is a URL or host with user info (`user:password@`), if any. */
export function urlWithCredentials(fields: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string' && hasCredentials(v)) return k;
    if (Array.isArray(v)) {
      const at = v.findIndex((item) => typeof item === 'string' && hasCredentials(item));
      if (at >= 0) return `${k}[${at}]`;
    } else if (v !== null && typeof v === 'object') {
      const inner = urlWithCredentials(v as Record<string, unknown>);
      if (inner) return `${k}.${inner}`;
    }
  }
  return undefined;
}

/**
 * A URL with a user name or password in a non-secret field: the connections file is safe to
 * commit and is listed by `caudal connections list`, so credentials never go there. The value is
 * not repeated in the message.
 */
export function credentialsInUrl(name: string, field: string, file?: string): CaudalError {
  return new CaudalError(file ? 'validation' : 'usage', `connection '${name}'${file ? ` in ${file}` : ''}: field '${field}' has a user name or password in its URL (user:password@…), and the connections file holds no secrets`, {
    hint: `remove them from the URL${file ? ' (edit the file)' : ''} and use the connection's secret fields, which \`caudal connections add ${name}\` asks for (or CAUDAL_SECRET_<CONNECTION>_<FIELD> variables), e.g. auth=basic with username for a REST API`,
  });
}
