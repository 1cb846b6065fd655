import os from 'node:os';
import path from 'node:path';
import type { Pipeline } from '../model/schema.js';
import type { Problem } from '../util/errors.js';
import type { PlannedNode } from './plan.js';
import { globToRegExp, isGlob } from '../util/glob.js';
import { exactFileOrPatternSync } from '../util/exact-file.js';

/**
 * A leading `~` in a pipeline's path is the user's home folder, as in a shell: `~/exports/o.csv`.
 * Only `~` and `~/…` (`~other/` is not expanded, and stays a name in the pipeline's folder).
 */
export function expandHome(p: string, home = os.homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || (path.sep === '\\' && p.startsWith('~\\'))) return path.join(home, p.slice(2));
  return p;
}

/**
 * A source whose pattern matches a file the same pipeline writes would read the previous run's
 * output back in: rows double on every run. Refused, naming both nodes. A single file read and
 * written by one pipeline is fine (read fully before the atomic replace), so only patterns count.
 */
export function sinksReadBack(nodes: PlannedNode[], sources: Array<{ nodeId: string; pattern: string }>, doc: Pipeline): Problem[] {
  const problems: Problem[] = [];
  // A path naming an existing file is that file, glob characters and all, as the sources read it.
  const patterns = sources.filter((s) => isGlob(s.pattern) && exactFileOrPatternSync(s.pattern) === s.pattern).map((s) => ({ ...s, re: globToRegExp(s.pattern) }));
  if (patterns.length === 0) return problems;
  for (const n of nodes) {
    const publish = n.sink?.publish;
    if (publish?.kind !== 'file') continue;
    const index = doc.nodes.findIndex((x) => x.id === n.id);
    const params = doc.nodes[index]?.params as { partition_by?: unknown } | undefined;
    const folder = Array.isArray(params?.partition_by) && params.partition_by.length > 0;
    const spellings = [...new Set([n.sink!.target, publish.target])];
    // A partitioned sink writes <folder>/<col>=<value>/data_<n>.<ext>, one or more levels deep.
    const ext = path.extname(publish.target) || '.parquet';
    const written = folder ? spellings.flatMap((t) => [`${t}/k=v/data_0${ext}`, `${t}/k=v/l=w/data_0${ext}`]) : spellings;
    const hit = patterns.find((p) => p.nodeId !== n.id && written.some((w) => p.re.test(w)));
    if (!hit) continue;
    problems.push({
      code: 'invalid_param',
      path: `nodes[${index}].params.path`,
      nodeId: n.id,
      message: `node '${hit.nodeId}' reads ${hit.pattern}, which matches ${n.sink!.target}, what node '${n.id}' writes: every run would read the previous run's output again`,
      hint: `write node '${n.id}' to another folder, or narrow the pattern of node '${hit.nodeId}' so that it does not match its output`,
    });
  }
  return problems;
}
