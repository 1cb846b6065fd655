import { inspect } from '../engine/engine.js';
import { commentLine, scriptLine } from '../compiler/sql.js';
import { CaudalError } from '../util/errors.js';
import { parse, parseParams, singleNode } from './args.js';
import { engineContext } from './engine-context.js';
import { EXIT } from './exit-codes.js';
import { formatProblems } from './format.js';
import { formatPlan } from './explain.js';
import type { Io } from './io.js';
import { checkNodeIds, engineOptions, loadOrExplain } from './pipeline-args.js';

/** `caudal sql <pipeline.json> [--node <id>]`: the DuckDB SQL each node compiles to. */
export async function sqlCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { positionals: 1, only: ['node', 'plan', 'param', 'project', 'threads', 'memory-limit', 'state-dir', 'json', 'quiet'], command: 'sql' });
  const nodeId = singleNode(values, 'sql');
  // A bad --threads or --memory-limit is a usage error before anything is read.
  const options = engineOptions(values);
  const { pipeline, baseDir } = await loadOrExplain(positionals[0]);
  checkNodeIds(pipeline, values.node, positionals[0]!);
  // Sources are asked for their schemas (a CSV sniffed, a database queried): with the threads and memory asked for.
  const result = await inspect({ pipeline, baseDir, params: parseParams(values.param), options, nodeIds: nodeId ? [nodeId] : undefined, ...(await engineContext(pipeline, baseDir, values)) });
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
