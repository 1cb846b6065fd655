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

/**
 * Refuses a connection name against the rule before anything is stored under it: the reader
 * refuses a whole file for one such name, so every command using the file would then fail.
 */
export function checkConnectionName(name: string): void {
  if (CONNECTION_NAME_PATTERN.test(name)) return;
  const fixed = name.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^(?=[0-9-])/, '_');
  throw new CaudalError('usage', `connection name ${JSON.stringify(name)} is not allowed: ${CONNECTION_NAME_RULE}`, {
    hint: CONNECTION_NAME_PATTERN.test(fixed) && fixed !== '_' ? `e.g. ${fixed}` : 'e.g. warehouse_eu',
  });
}

/** The user's connections file: $CAUDAL_CONFIG_DIR, else $XDG_CONFIG_HOME/caudal, else ~/.config/caudal. */
export function userConnectionsPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.CAUDAL_CONFIG_DIR || path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'caudal');
  return path.join(dir, 'connections.json');
}

export async function readConnectionsFile(file: string): Promise<ConnectionsFile> {
  const json = await readConnectionsJson(file);
  return json === undefined ? { format: CONNECTIONS_FORMAT, connections: {} } : checkConnectionsDocument(json, file);
}

/** The file's JSON, undefined when there is no file; refused when it is no JSON or repeats a key. */
async function readConnectionsJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
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
  return json;
}

/**
 * What a connections file must be, read or written (the same rules both ways, so no path writes a
 * file the reader then refuses): the format, connection names by the rule, a type for each, no
 * credentials in a URL.
 */
export function checkConnectionsDocument(json: unknown, file: string): ConnectionsFile {
  const r = connectionsFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const [top, name] = issue.path;
    if (issue.code === 'invalid_key' && top === 'connections' && typeof name === 'string')
      throw new CaudalError('validation', `${file}: connection name ${JSON.stringify(name)} is not allowed: ${CONNECTION_NAME_RULE}`, {
        hint: `rename it under "connections" in ${file} (and in the pipelines that use it), or remove it with \`${removeCommand(name, file)}\``,
      });
    throw new CaudalError('validation', `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  for (const [name, entry] of Object.entries(r.data.connections)) {
    const field = urlWithCredentials(entry);
    if (field) throw credentialsInUrl(name, field, file);
  }
  return r.data;
}

/** The command that removes a connection from a file: `--project` for a project's file. */
function removeCommand(name: string, file: string): string {
  const project = path.basename(file) === PROJECT_FILE ? ` --project ${shellWord(path.dirname(file))}` : '';
  return `caudal connections remove ${shellWord(name)}${project}`;
}

/** A word as a POSIX shell reads it back: quoted unless it is plain. */
function shellWord(word: string): string {
  return /^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The entries of a file the reader refuses, for `connections remove` to take out the one that makes
 * it refused (a name against the rule written by an older version or by hand). Undefined when the
 * file is missing, or is no JSON object with a "connections" object.
 */
export async function readConnectionsLoosely(file: string): Promise<{ format?: unknown; connections: Record<string, unknown> } | undefined> {
  const json = await readConnectionsJson(file);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const connections = (json as { connections?: unknown }).connections;
  if (connections === null || typeof connections !== 'object' || Array.isArray(connections)) return undefined;
  return json as { connections: Record<string, unknown> };
}

/** Writes atomically (temp file + rename) with owner-only permissions; refuses a document the reader would refuse. */
export async function writeConnectionsFile(file: string, doc: ConnectionsFile): Promise<void> {
  try {
    checkConnectionsDocument(doc, file);
  } catch (e) {
    // A caller's bug or a check it skipped: the file as it is stays readable.
    const err = e instanceof CaudalError ? e : new CaudalError('validation', errorMessage(e));
    throw new CaudalError(err.kind, `not written, as it could not be read back: ${err.message}`);
  }
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
