import path from 'node:path';
import { getConnectionType } from '../connections/registry.js';
import { checkConnectionName } from '../connections/file.js';
import { cliConnectionService } from './connection-service.js';
import { plainSecrets, withoutSecretFields } from '../connections/service.js';
import { secretEnvName } from '../secrets/env-store.js';
import { CaudalError } from '../util/errors.js';
import { parse, parseParams, type OptionName } from './args.js';
import { EXIT } from './exit-codes.js';
import { readSecrets } from './secret-input.js';

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/** What each subcommand reads (every one reads --project): --type and --set are add's, and remove reports on stderr only. */
const SUBCOMMANDS = {
  list: { positionals: 0, only: ['project', 'json', 'quiet'], takes: 'no name (it lists them all)' },
  add: { positionals: 1, only: ['project', 'type', 'set', 'json', 'quiet'], takes: 'one connection name' },
  test: { positionals: 1, only: ['project', 'json', 'quiet'], takes: 'one connection name' },
  remove: { positionals: 1, only: ['project', 'quiet'], takes: 'one connection name' },
} as const satisfies Record<string, { positionals: number; only: readonly OptionName[]; takes: string }>;

const isSubcommand = (sub: string | undefined): sub is keyof typeof SUBCOMMANDS => sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub);

/** `caudal connections list | add | test | remove`. */
export async function connectionsCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (!isSubcommand(sub)) throw new CaudalError('usage', sub ? `unknown connections command '${sub}'` : 'connections needs a command', { hint: 'connections list | add | test | remove' });
  const { values, positionals } = parse(rest, { ...SUBCOMMANDS[sub], command: `connections ${sub}` });
  const service = cliConnectionService(values.project ? path.resolve(values.project) : undefined);
  const name = positionals[0];
  const needName = () => {
    if (!name) throw new CaudalError('usage', `connections ${sub} needs a connection name`);
    return name;
  };
  switch (sub) {
    case 'list': {
      // A secret written into the file by hand is never shown, only said to be there.
      const all = (await service.list()).map((c) => {
        const inFile = Object.keys(plainSecrets(c));
        return { ...c, fields: withoutSecretFields(c.type, c.fields), secrets: { ...c.secrets, ...Object.fromEntries(inFile.map((f) => [f, true])) }, inFile };
      });
      for (const c of all.filter((c) => c.inFile.length > 0))
        if (!values.quiet) io.stderr.write(`warning: connection '${c.name}' keeps ${c.inFile.join(', ')} in plain text in ${c.file}: remove it there and store it with \`caudal connections add ${c.name} --type ${c.type} --set …\` (the OS keychain) or a ${secretEnvName(c.name, c.inFile[0]!)} variable\n`);
      if (values.json) io.stdout.write(JSON.stringify(all.map(({ inFile, ...c }) => ({ ...c, ...(inFile.length > 0 ? { plainTextInFile: inFile } : {}) }))) + '\n');
      else if (all.length === 0) io.stdout.write('no connections yet: add one with `caudal connections add <name> --type postgres --set host=...`\n');
      else
        for (const c of all) {
          const fields = Object.entries(c.fields).map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`).join(' ');
          const state = (k: string, has: boolean) => (c.inFile.includes(k) ? 'in the file, plain text' : has ? 'stored' : c.unreadable?.[k] !== undefined ? `could not be read (${c.unreadable[k]})` : 'not set');
          const secrets = Object.entries(c.secrets).map(([k, has]) => `${k}: ${state(k, has)}`).join(', ');
          io.stdout.write(`${c.name.padEnd(20)} ${c.type.padEnd(10)} ${fields}${secrets ? `  (${secrets})` : ''}\n`);
        }
      return EXIT.ok;
    }
    case 'add': {
      const n = needName();
      // Before the secrets are asked for: a name the file cannot hold is refused first.
      checkConnectionName(n);
      if (!values.type) throw new CaudalError('usage', 'connections add needs --type (e.g. --type postgres)');
      const def = getConnectionType(values.type);
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(parseParams(values.set, '--set'))) fields[k] = typedSetting(def?.fields, k, v);
      const secrets = def ? await readSecrets(def.secrets, io.stdin ?? process.stdin, io.stderr) : {};
      const info = await service.add(n, values.type, fields, secrets);
      if (values.json) io.stdout.write(JSON.stringify(info) + '\n');
      else if (!values.quiet) io.stderr.write(`✔ connection '${n}' saved to ${info.file}${Object.keys(secrets).length ? `; ${Object.keys(secrets).join(', ')} in the OS keychain` : ''}\n`);
      return EXIT.ok;
    }
    case 'test': {
      const n = needName();
      try {
        const r = await service.test(n);
        if (values.json) io.stdout.write(JSON.stringify({ name: n, ...r }) + '\n');
        else io.stdout.write(`✔ ${n}: ${r.serverVersion}, connected in ${r.latencyMs} ms\n`);
        return EXIT.ok;
      } catch (e) {
        if (!(e instanceof CaudalError) || e.kind !== 'io') throw e;
        if (values.json) io.stdout.write(JSON.stringify({ type: 'error', error: e.toJSON() }) + '\n');
        else io.stderr.write(`✘ ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
        return EXIT.runFailed;
      }
    }
    case 'remove': {
      const n = needName();
      await service.remove(n);
      if (!values.quiet) io.stderr.write(`✔ connection '${n}' removed, with its secrets\n`);
      return EXIT.ok;
    }
  }
}

/**
 * A `--set key=value` as the field takes it: `true`/`false` for a boolean field (as the docs write
 * them), a number for a numeric one; text otherwise (a database named `2024` stays text).
 */
function typedSetting(fields: unknown, key: string, value: string): unknown {
  const field = (fields as { shape?: Record<string, { safeParse(v: unknown): { success: boolean } }> } | undefined)?.shape?.[key];
  if (!field) return /^\d+$/.test(value) ? Number(value) : value;
  const takes = (v: unknown) => field.safeParse(v).success;
  if (/^(true|false)$/i.test(value) && !takes(value) && takes(value.toLowerCase() === 'true')) return value.toLowerCase() === 'true';
  if (/^-?\d+(\.\d+)?$/.test(value) && !takes(value) && takes(Number(value))) return Number(value);
  return value;
}
