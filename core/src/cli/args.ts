import { parseArgs } from 'node:util';
import { CaudalError } from '../util/errors.js';

/** One option table for every command; each command reads the options it understands. */
export const options = {
  param: { type: 'string', multiple: true, short: 'p' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  threads: { type: 'string' },
  'memory-limit': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  metrics: { type: 'string' },
  node: { type: 'string', multiple: true },
  port: { type: 'string' },
  limit: { type: 'string' },
  type: { type: 'string' },
  set: { type: 'string', multiple: true },
  project: { type: 'string' },
  'state-dir': { type: 'string' },
  value: { type: 'string' },
  key: { type: 'string' },
  'artifacts-dir': { type: 'string' },
  html: { type: 'string' },
  exact: { type: 'boolean' },
  sample: { type: 'string' },
  random: { type: 'boolean' },
  open: { type: 'boolean' },
  wait: { type: 'boolean' },
  watch: { type: 'boolean' },
  explain: { type: 'boolean' },
  plan: { type: 'boolean' },
  'run-id': { type: 'string' },
  job: { type: 'string' },
  trigger: { type: 'string' },
  attempt: { type: 'string' },
  slot: { type: 'string' },
  out: { type: 'string', short: 'o' },
  operator: { type: 'string' },
  image: { type: 'string' },
  'project-root': { type: 'string' },
  'state-claim': { type: 'string' },
  field: { type: 'string' },
  file: { type: 'string', short: 'f' },
  engine: { type: 'string' },
  master: { type: 'string' },
  'spark-submit': { type: 'string' },
  conf: { type: 'string', multiple: true },
  force: { type: 'boolean' },
} as const;

export type OptionName = keyof typeof options;

/** `-o, --out` / `--force`, as a hint lists a command's options. */
const spelled = (name: OptionName) => {
  const short = (options[name] as { short?: string }).short;
  return short ? `-${short}, --${name}` : `--${name}`;
};

/**
 * Parses a command's arguments. With `positionals`, a command that takes that many file or name
 * arguments (`takes` names them in the hint) refuses more: `caudal run a.json b.json` would otherwise run a.json alone without a word.
 * With `only` (and the `command` it is for), an option of the shared table that the command does
 * not read is refused, naming it, rather than ignored (`caudal export airflow p.json --param k=v`
 * would otherwise write a DAG that runs with the defaults).
 */
export function parse(args: string[], limits: { positionals?: number; only?: readonly OptionName[]; command?: string; takes?: string } = {}) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw new CaudalError('usage', (e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  refuseRepeated(parsed.tokens);
  if (limits.only) {
    const allowed = new Set<string>([...limits.only, 'help']);
    const unused = Object.keys(parsed.values).filter((name) => !allowed.has(name));
    if (unused.length > 0)
      throw new CaudalError('usage', `caudal ${limits.command ?? 'this command'} does not take ${unused.map((n) => `--${n}`).join(', ')}`, {
        hint: `its options: ${limits.only.map(spelled).join(', ')}`,
      });
  }
  const extra = limits.positionals === undefined ? [] : parsed.positionals.slice(limits.positionals);
  if (extra.length > 0) {
    throw new CaudalError('usage', `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `'${a}'`).join(', ')}`, {
      hint: `${limits.command ? `caudal ${limits.command}` : 'this command'} takes ${limits.takes ?? (limits.positionals === 1 ? 'one pipeline file; run it once per file' : `${limits.positionals} arguments`)}, and options as --name value`,
    });
  }
  return parsed;
}

/**
 * A value option given twice (`-o a.csv -o b.csv`, `--limit 10 --limit 100`): parseArgs keeps the
 * last, and the user may have meant the first. Options that take several values are `multiple`.
 */
function refuseRepeated(tokens: ReturnType<typeof parseArgs>['tokens']): void {
  const seen = new Map<string, string>();
  for (const t of tokens ?? []) {
    if (t.kind !== 'option' || t.value === undefined) continue;
    const option = options[t.name as OptionName] as { multiple?: boolean } | undefined;
    if (option?.multiple) continue;
    const before = seen.get(t.name);
    if (before !== undefined)
      throw new CaudalError('usage', `--${t.name} is given twice (${JSON.stringify(before)}, then ${JSON.stringify(t.value)})`, { hint: `give --${t.name} once` });
    seen.set(t.name, t.value);
  }
}

type Values = ReturnType<typeof parse>['values'];

/**
 * Refuses options that the command reads only beside another one (`--master` without `--engine
 * spark`, `--force` without `--html`): given alone they would change nothing, and the user would
 * believe they had. `why` completes "--a, --b are …"; `hint` gets the same list.
 */
export function refuseGiven(values: Values, names: readonly OptionName[], why: string, hint?: (given: string) => string): void {
  const given = names.filter((name) => values[name] !== undefined);
  if (given.length === 0) return;
  const list = given.map((n) => `--${n}`).join(', ');
  throw new CaudalError('usage', `${list} ${given.length === 1 ? 'is' : 'are'} ${why}`, { hint: hint?.(list) });
}

/** The one `--node` of a command that shows or changes a single node: a second one would be ignored. */
export function singleNode(values: Values, command: string): string | undefined {
  const [first, second] = values.node ?? [];
  if (second !== undefined) throw new CaudalError('usage', `--node is given twice ('${first}', then '${second}')`, { hint: `caudal ${command} takes one node; run it once per node` });
  return first;
}

/** `--param k=v` pairs; the value keeps any further '=' characters. A name given twice is refused. */
export function parseParams(list: string[] | undefined, flag = '--param'): Record<string, string> {
  const out: Array<[string, string]> = [];
  for (const item of list ?? []) {
    const i = item.indexOf('=');
    if (i <= 0) throw new CaudalError('usage', `${flag} expects key=value, got "${item}"`);
    const [name, value] = [item.slice(0, i), item.slice(i + 1)];
    const before = out.find(([k]) => k === name);
    if (before) throw new CaudalError('usage', `${flag} '${name}' is given twice (${JSON.stringify(before[1])}, then ${JSON.stringify(value)})`, { hint: `give ${name} once` });
    out.push([name, value]);
  }
  // fromEntries keeps any name (even __proto__) a plain own key.
  return Object.fromEntries(out);
}

export function parseThreads(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CaudalError('usage', `--threads expects a positive integer, got "${v}"`);
  return n;
}

const MEMORY_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };
const MIN_MEMORY_LIMIT_BYTES = 64e6;

export function parseMemoryLimit(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)$/i.exec(v.trim());
  if (!m) throw new CaudalError('usage', `--memory-limit expects a size such as 512MB or 4GB, got "${v}"`);
  // Below this DuckDB cannot even set up a query: the run would fail with its own out-of-memory text.
  const bytes = m[2] === '%' ? undefined : Number(m[1]) * MEMORY_UNITS[m[2]!.toLowerCase()]!;
  if (m[2] === '%' && (Number(m[1]) <= 0 || Number(m[1]) > 100)) throw new CaudalError('usage', `--memory-limit ${v.trim()}: a share of the RAM is more than 0% and at most 100%`);
  if (bytes !== undefined && bytes < MIN_MEMORY_LIMIT_BYTES)
    throw new CaudalError('usage', `--memory-limit ${v.trim()} is too small: a run needs at least 64MB (the engine itself takes about 130 MB; DuckDB spills larger work to disk)`, { hint: 'e.g. --memory-limit 512MB, or a share of the RAM such as 50%' });
  return v.trim();
}
