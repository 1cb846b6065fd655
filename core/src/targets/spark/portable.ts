import type { SparkCompiled } from '../../nodes/define.js';
import type { PlannedNode } from '../../compiler/plan.js';
import { SparkUnsupported } from './context.js';

const CREATE_TABLE = /^CREATE OR REPLACE TEMP TABLE ("(?:[^"]|"")+") AS\n([\s\S]*?);?$/;

/**
 * The Spark form of a node whose DuckDB SQL translates as it is: its outputs, its quality plan, and
 * setup steps that fill a helper table (`CREATE OR REPLACE TEMP TABLE x AS …`), which become cached
 * views. Anything else in its setup has no Spark form.
 */
export function portableForm(node: PlannedNode): SparkCompiled {
  const compiled = node.compiled;
  if (!compiled) throw new SparkUnsupported('', `node '${node.id}' has no compiled outputs`);
  const setup: NonNullable<SparkCompiled['setup']> = [];
  for (const step of compiled.setup ?? []) {
    const m = step.kind === 'sql' ? CREATE_TABLE.exec(step.sql.trim()) : null;
    if (!m) throw new SparkUnsupported('', `node '${node.id}': its setup step "${step.description}" has no Spark form`);
    setup.push({ name: m[1]!, sql: m[2]!, materialize: true });
  }
  return {
    setup,
    outputs: compiled.outputs,
    ...(compiled.quality ? { quality: compiled.quality } : {}),
    ...(compiled.materialize ? { materialize: true } : {}),
  };
}
