import path from 'node:path';
import { pythonJson, sparkResources, sqlglotPython } from './python.js';

export interface TranslateItem {
  id: string;
  sql: string;
  kind: 'query' | 'expr';
}

export interface Translated {
  id: string;
  /** Spark SQL; null when the item has problems. */
  sql: string | null;
  problems: string[];
}

/**
 * DuckDB SQL → Spark SQL through sqlglot (resources/spark/translate.py), all items in one Python
 * process. `schemas` (relation → column → DuckDB type) lets sqlglot expand `*` with EXCLUDE/REPLACE.
 */
export async function translateToSpark(items: TranslateItem[], schemas: Record<string, Record<string, string>>): Promise<{ sqlglot: string; items: Map<string, Translated> }> {
  if (items.length === 0) return { sqlglot: '', items: new Map() };
  const python = await sqlglotPython();
  const out = await pythonJson<{ sqlglot: string; items: Translated[] }>(python, path.join(sparkResources(), 'translate.py'), { schemas, items });
  return { sqlglot: out.sqlglot, items: new Map(out.items.map((t) => [t.id, t])) };
}
