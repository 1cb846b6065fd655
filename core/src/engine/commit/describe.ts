import type { SinkPlan } from '../../nodes/define.js';

/**
 * A sink's statements as `caudal sql` and the SQL export show them: what staging runs, then how the
 * commit protocol publishes it (comments where the step is not SQL).
 */
export function describeSink(sink: SinkPlan): { stage: string[]; commit: string[] } {
  const p = sink.publish;
  const stage = [...(p?.kind === 'duckdb' ? [p.attach] : []), ...sink.stage, ...(sink.external?.describe ?? [])];
  if (!p) return { stage, commit: ['-- prepared, then committed with the run\'s other sinks (two-phase when the server allows it)'] };
  if (p.kind === 'file') {
    return { stage, commit: [`-- publish: rename ${p.temp} → ${p.target}${p.replace ? ' (the previous version kept aside until every sink of the run committed)' : ''}`] };
  }
  return {
    stage,
    commit: ['-- publish, in one transaction per database file, committed with the run:', 'BEGIN TRANSACTION', ...p.apply, 'COMMIT', p.detach],
  };
}
