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

/** A Python identifier from a job name (job names are letters, digits, _ and -). */
export function pyIdent(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/**
 * Text for a Jinja-templated operator field (bash env, pod arguments) that must reach the task
 * as written: `{% raw %}` keeps `{{`, `{%` and `{#` in a path or param value from being rendered.
 */
export function jinjaLiteral(text: string): string {
  if (!/\{[{%#]/.test(text)) return text;
  if (text.includes('endraw')) throw new Error(`cannot pass ${JSON.stringify(text)} through Airflow's templates`);
  return `{% raw %}${text}{% endraw %}`;
}
