import { createHash } from 'node:crypto';

/**
 * Python source text for generated DAG files. A JSON string literal is a valid Python str literal
 * with the same value (JSON's escapes are a subset of Python's), so values go through JSON.stringify.
 */
export function py(value: string | number | boolean | null): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} in Python`);
    return String(value);
  }
  return JSON.stringify(value);
}

export function pyList(items: string[]): string {
  return `[${items.join(', ')}]`;
}

export function pyDict(entries: Array<[string, string]>, indent: string): string {
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${indent}    ${py(k)}: ${v},`).join('\n')}\n${indent}}`;
}

/** A Python identifier from a job name (job names are letters, digits, _ and -): not one-to-one. */
export function pyIdent(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/** Python's keywords and soft keywords: never a variable. */
const KEYWORDS = new Set(
  'False None True and as assert async await break case class continue def del elif else except finally for from global if import in is lambda match nonlocal not or pass raise return try type while with yield _'.split(' '),
);

/**
 * One Python variable per name, distinct for distinct names and never one of `taken` (the file's
 * own names: modules, classes, constants) or a keyword: `pyIdent`, with a suffix from a hash of the
 * name where two names would share one (`x-y` and `x_y` are both `x_y`). The same names give the
 * same variables, whatever their order.
 */
export function pyIdents(names: readonly string[], taken: readonly string[]): Map<string, string> {
  const unique = [...new Set(names)];
  const count = new Map<string, number>();
  for (const n of unique) count.set(pyIdent(n), (count.get(pyIdent(n)) ?? 0) + 1);
  const reserved = new Set([...KEYWORDS, ...taken]);
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const n of [...unique].sort()) {
    const base = pyIdent(n);
    let id = base;
    for (let len = 8; reserved.has(id) || count.get(base)! > 1 || used.has(id); len += 4) {
      id = `${base}_${createHash('sha256').update(n).digest('hex').slice(0, len)}`;
      if (!reserved.has(id) && !used.has(id) && !count.has(id)) break;
      if (len > 64) throw new Error(`no Python variable for ${JSON.stringify(n)}`);
    }
    used.add(id);
    out.set(n, id);
  }
  return out;
}

/**
 * What a templated operator field (bash env and cwd, pod arguments and env) must not be as written:
 * Airflow renders it with Jinja, which evaluates `{{`, `{%` and `{#`, drops one trailing newline
 * and turns `\r\n` and `\r` into `\n`; and BashOperator reads a string ending in `.sh` or `.bash`
 * as the path of a template file (TemplateNotFound). The generated file's `_literal` checks the same.
 */
export function needsProtection(text: string): boolean {
  return /\{[{%#]|\r/.test(text) || /(\n|\.sh|\.bash)$/.test(text);
}

/**
 * Text for a Jinja-templated operator field that must reach the task as written: `{% raw %}` around
 * it (which also ends it in something else than a newline or `.sh`), or, when `{% raw %}` cannot
 * hold it (`endraw` inside, `\r` that Jinja rewrites even there), one Jinja string expression: a
 * JSON string is a Jinja string literal with the same value (Jinja decodes it with Python's
 * unicode-escape, which reads JSON's escapes).
 */
export function jinjaLiteral(text: string): string {
  if (!needsProtection(text)) return text;
  if (/endraw|\r/.test(text)) return `{{ ${JSON.stringify(text)} }}`;
  return `{% raw %}${text}{% endraw %}`;
}
