import type { Pipeline } from '../model/schema.js';
import { getNodeDefinition } from '../nodes/index.js';
import type { Problem } from '../util/errors.js';
import { readersLeftOut } from './consumed.js';

/**
 * What a continuous run (`--watch`) cannot do, found before its first batch: every micro-batch is
 * a whole run of the graph, acknowledged at its streaming sources once committed.
 * - Without a streaming source each batch would read the same data again and write it again, as
 *   fast as it can (an append sink would fill with copies).
 * - A sink that replaces its one file or object with each run would keep only the last batch,
 *   whose predecessors the sources have already acknowledged.
 * - A run of some nodes (`--node`) without a sink among them writes no batch anywhere, so none
 *   could be acknowledged: the same messages would come back batch after batch; so would the
 *   batches of a stream that a sink left out of the run reads too.
 */
export function watchProblems(pipeline: Pipeline, targets?: string[]): Problem[] {
  const problems: Problem[] = [];
  const types = pipeline.nodes.map((n) => getNodeDefinition(n.type));
  if (!types.some((d) => d?.streaming)) {
    problems.push({
      code: 'invalid_document',
      path: '(document)',
      message: 'a continuous run (--watch) needs a streaming source (source.kafka, source.rabbitmq or source.postgres_cdc): this pipeline has none, so every micro-batch would read the same data and write it again',
      hint: 'run it without --watch, or on a schedule (caudal schedule)',
    });
  }
  if (targets?.length && !pipeline.nodes.some((n, i) => types[i]?.category === 'sink' && targets.includes(n.id))) {
    problems.push({
      code: 'invalid_document',
      path: '(document)',
      message: `a continuous run (--watch) of ${targets.map((t) => `'${t}'`).join(', ')} writes nowhere: no sink is among the nodes it runs, so no batch could be committed or acknowledged`,
      hint: 'watch the whole pipeline, or name a sink with --node; to look at a stream, preview its source',
    });
  }
  if (targets?.length) {
    // A stream some sink of the run reads and another leaves out could never be acknowledged
    // (engine/consumed.ts): its batches would come back again and again into the sinks that ran.
    pipeline.nodes.forEach((node, i) => {
      if (!types[i]?.streaming) return;
      const { readers, left } = readersLeftOut(pipeline, node.id, new Set(targets));
      if (left.length === 0 || left.length === readers.length) return;
      problems.push({
        code: 'invalid_document',
        path: '(document)',
        nodeId: node.id,
        message: `a continuous run (--watch) of ${targets.map((t) => `'${t}'`).join(', ')} leaves out ${left.map((s) => `'${s}'`).join(', ')}, which also ${left.length === 1 ? 'reads' : 'read'} the stream '${node.id}': its batches could never be acknowledged, so they would be read again and again`,
        hint: `add ${left.map((s) => `--node ${s}`).join(' ')}, or watch the whole pipeline`,
      });
    });
  }
  pipeline.nodes.forEach((node, i) => {
    if (!types[i]?.wholeTarget) return;
    problems.push({
      code: 'invalid_document',
      path: `nodes[${i}]`,
      nodeId: node.id,
      message: `node '${node.id}' (${node.type}) writes one file, which every micro-batch of a continuous run (--watch) would replace: only the last batch would remain, and the sources would have acknowledged the others`,
      hint: 'write the stream into a table (sink.postgres, sink.duckdb or sink.sqlserver, append or upsert) or onto a message bus (sink.kafka, sink.rabbitmq), and write files from there with a scheduled run',
    });
  });
  return problems;
}

/**
 * Sinks whose params make each run replace their destination's content: in a continuous run it
 * holds the last batch only. That can be meant ("latest snapshot" tables), so it is said, not refused.
 */
export function watchWarnings(pipeline: Pipeline): Array<{ nodeId: string; message: string }> {
  return pipeline.nodes.flatMap((node) => {
    const def = getNodeDefinition(node.type);
    const params = def?.replacesContent ? def.params.safeParse(node.params) : undefined;
    if (!def?.replacesContent || !params?.success || !def.replacesContent(params.data)) return [];
    const mode = (params.data as { mode?: string }).mode;
    return [{ nodeId: node.id, message: `node '${node.id}' (${node.type}) replaces its destination's content with every micro-batch (mode ${mode}): it will hold the last batch only; set mode to append or upsert to keep every batch` }];
  });
}
