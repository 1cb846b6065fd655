import type { Pipeline, PipelineNode } from '../../model/schema.js';
import type { Problem } from '../../util/errors.js';
import { emptyRelation, isUrl } from './context.js';

type Declared = Array<{ name: string; type?: string }>;

/**
 * Sources that read URLs (s3a://, hdfs://, abfss://, gs://) cannot be opened by DuckDB here, so the
 * export plans the pipeline with each such source replaced by an empty relation of the columns the
 * node states: `columns` (CSV) or `expect_schema` with types (any source). The node keeps its own
 * Spark form (export.ts looks the original up in `stubbed`). A remote source without stated columns
 * is a problem that says how to state them.
 */
export function stubRemoteSources(doc: Pipeline): { doc: Pipeline; stubbed: Map<string, PipelineNode>; problems: Problem[] } {
  const problems: Problem[] = [];
  const stubbed = new Map<string, PipelineNode>();
  const nodes = doc.nodes.map((n, index) => {
    const raw = n.params.path;
    if (!n.type.startsWith('source.') || typeof raw !== 'string' || !isUrl(raw)) return n;
    const declared = ((n.params.columns as Declared | undefined) ?? (n.params.expect_schema as Declared | undefined))?.filter((c) => typeof c.name === 'string');
    if (!declared?.length || declared.some((c) => !c.type)) {
      problems.push({
        code: 'unsupported_on_engine',
        path: `nodes[${index}].params.path`,
        nodeId: n.id,
        message: `node '${n.id}' reads ${raw}, which the export cannot open to learn its columns`,
        hint: 'state them: `expect_schema` with a name and DuckDB type per column (or `columns` for CSV)',
      });
      return n;
    }
    stubbed.set(n.id, n);
    const query = emptyRelation(declared.map((c) => ({ name: c.name, type: c.type! })));
    return { ...n, type: 'transform.sql', params: { query } };
  });
  return { doc: stubbed.size > 0 ? { ...doc, nodes } : doc, stubbed, problems };
}
