import { inspect } from '../engine/engine.js';
import { commentLine, scriptLine } from '../compiler/sql.js';
import { CaudalError } from '../util/errors.js';
import { parse, parseParams } from './args.js';
import { engineContext } from './engine-context.js';
import { EXIT } from './exit-codes.js';
import { formatProblems } from './format.js';
import { formatPlan } from './explain.js';
import type { Io } from './io.js';
import { checkNodeIds, loadOrExplain } from './pipeline-args.js';

/** `caudal sql <pipeline.json> [--node <id>]`: the DuckDB SQL each node compiles to. */
export async function sqlCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { positionals: 1 });
  const { pipeline, baseDir } = await loadOrExplain(positionals[0]);
  const nodeId = values.node?.[0];
  checkNodeIds(pipeline, values.node, positionals[0]!);
  const result = await inspect({ pipeline, baseDir, params: parseParams(values.param), nodeIds: nodeId ? [nodeId] : undefined, ...(await engineContext(pipeline, baseDir, values)) });
  if (result.problems.length > 0) {
    throw new CaudalError('validation', `the pipeline has problems:\n${formatProblems(result.problems)}`, { problems: result.problems });
  }
  if (values.plan) {
    const steps = (result.plan ?? []).filter((s) => !nodeId || s.nodeId === nodeId);
    io.stdout.write(values.json ? JSON.stringify(steps) + '\n' : formatPlan(steps) + '\n');
    return EXIT.ok;
  }
  const nodes = nodeId ? result.nodes.filter((n) => n.nodeId === nodeId) : result.nodes;
  if (values.json) {
    io.stdout.write(JSON.stringify(nodes) + '\n');
    return EXIT.ok;
  }
  for (const n of nodes) {
    io.stdout.write(`${commentLine(`node ${n.nodeId} (${n.nodeType})`)}\n`);
    for (const s of n.setup) io.stdout.write(`${scriptLine(s)}\n`);
    for (const o of n.outputs) io.stdout.write(`${commentLine(`output ${o.port}: ${o.columns.map((c) => `${c.name} ${c.type}`).join(', ')}`)}\n${o.sql};\n`);
    for (const s of n.after) io.stdout.write(`${scriptLine(s)}\n`);
    if (n.sink) {
      const lines = [...n.sink.stage, ...n.sink.commit].map(scriptLine);
      io.stdout.write(`${commentLine(`writes ${n.sink.target}`)}\n${lines.join('\n')}\n`);
    }
    io.stdout.write('\n');
  }
  return EXIT.ok;
}
