import type { Db } from '../compiler/db.js';
import type { RunEvent, RunRequest } from '../engine/protocol.js';
import { defaultArtifactsDir, defaultStateDir } from '../engine/run-dirs.js';
import { redactDeep, secretValues } from '../engine/redact-secrets.js';
import { CaudalError, errorMessage } from '../util/errors.js';
import { evaluateQuality, score } from './evaluate.js';
import { appendHistory, emptyByCheck, historyPath, readHistory, type HistoryEntry } from './history.js';
import { writeQualityArtifacts } from './artifacts.js';
import { describeFailure } from './messages.js';
import type { NodeQualityResult, QualityPlan, RunQualitySummary } from './types.js';

/**
 * The quality side of one run: evaluates each quality node's checks when the executor reaches it,
 * reports them as events, fails the run on `error` checks, and at the end (never after a cancel)
 * writes quality.json / quality.html and, when the run committed, records distribution history.
 */
export class QualityRun {
  private readonly results: NodeQualityResult[] = [];
  private readonly history: Array<{ file: string; values: Record<string, { entry: HistoryEntry; keep: number }> }> = [];
  private artifacts?: { json: string; html: string };
  /** The secret values of the run's connections, as the worker redacts them. */
  private readonly secrets: string[];

  constructor(
    private readonly req: RunRequest,
    private readonly db: Db,
    private readonly emit: (e: RunEvent) => void,
    private readonly isCancelled: () => boolean,
  ) {
    this.secrets = secretValues(req.connections);
  }

  private get stateDir(): string {
    return this.req.stateDir ?? defaultStateDir(this.req.baseDir);
  }

  /** Runs after the node's setup; throws a `quality` error when an error check (or min_score) fails. */
  async evaluate(nodeId: string, plan: QualityPlan): Promise<void> {
    const { runId } = this.req;
    const file = historyPath(this.stateDir, this.req.pipeline.name, nodeId);
    const distribution = plan.checks.filter((c) => c.judge.kind === 'distribution');
    const history = distribution.length > 0 ? (await readHistory(file)).checks : emptyByCheck<HistoryEntry[]>();
    // Sample rows may hold a connection's secret (a password in a table, a token an API echoed):
    // the result is redacted like everything the worker sends, before it is emitted or written
    // into quality.json / quality.html.
    const result = redactDeep(await evaluateQuality(nodeId, plan, this.db, { history, isCancelled: this.isCancelled }), this.secrets);
    if (this.isCancelled()) return;
    this.results.push(result);
    if (distribution.length > 0) {
      // Keyed by check name: no prototype, so `__proto__` is a check like any other.
      const values = emptyByCheck<{ entry: HistoryEntry; keep: number }>();
      for (const c of distribution) {
        const r = result.checks.find((x) => x.name === c.name);
        const value = r?.observed === undefined || r.observed.startsWith('NULL') ? null : Number(r.observed);
        values[c.name] = { entry: { at: result.evaluatedAt, runId, value }, keep: c.judge.kind === 'distribution' ? c.judge.window : 30 };
      }
      this.history.push({ file, values });
    }
    this.emit({ type: 'quality_result', runId, nodeId, result });
    for (const c of result.checks) {
      if (c.passed || c.severity === 'error') continue;
      const what = c.severity === 'quarantine' ? `${c.rowsFailed?.toLocaleString('en-US')} row${c.rowsFailed === 1 ? '' : 's'} quarantined` : 'warning';
      this.emit({ type: 'warning', runId, nodeId, message: `quality check ${describeFailure(c)} (${what})` });
    }
    const errors = result.checks.filter((c) => !c.passed && c.severity === 'error');
    const belowMin = plan.minScore !== undefined && result.score < plan.minScore;
    if (errors.length > 0 || belowMin) {
      const lines = errors.map((c) => `  - ${describeFailure(c)}`);
      if (belowMin) lines.push(`  - the quality score ${result.score.toFixed(1)}% is below min_score ${plan.minScore}%`);
      const first = errors[0];
      throw new CaudalError('quality', `node '${nodeId}': ${errors.length > 0 ? `${errors.length} quality check${errors.length === 1 ? '' : 's'} with severity error failed` : 'quality score too low'}:\n${lines.join('\n')}`, {
        nodeId,
        column: first?.columns.length === 1 ? first.columns[0] : undefined,
        hint: 'see the quality report for sample failing rows; use severity warn or quarantine to let the run go on',
      });
    }
  }

  /**
   * Writes the artifacts once the run is over (not after a cancel), and records the distribution
   * values only when the run committed (`committed`: it succeeded, warnings included). A failed
   * run's values never join the history: the outlier that failed the run would otherwise widen the
   * baseline, and a plain re-run of the same data would pass.
   */
  async finish(opts: { committed: boolean }): Promise<void> {
    if (this.results.length === 0) return;
    const { runId } = this.req;
    for (const h of opts.committed ? this.history : []) {
      try {
        await appendHistory(h.file, h.values);
      } catch (e) {
        this.emit({ type: 'warning', runId, message: `could not record quality history in ${h.file}: ${errorMessage(e)}` });
      }
    }
    const dir = this.req.artifactsDir ?? defaultArtifactsDir(this.req.baseDir, runId);
    try {
      this.artifacts = await writeQualityArtifacts(dir, { runId, pipeline: this.req.pipeline.name, ...this.summaryBody() });
      this.emit({ type: 'log', runId, level: 'info', message: `quality report: ${this.artifacts.html}` });
    } catch (e) {
      this.emit({ type: 'warning', runId, message: `could not write the quality report to ${dir}: ${errorMessage(e)}` });
    }
  }

  private summaryBody(): Omit<RunQualitySummary, 'artifacts'> {
    return { score: score(this.results.flatMap((r) => r.checks)), nodes: this.results };
  }

  /** RunSummary.quality, when the run evaluated any quality node. */
  summary(): RunQualitySummary | undefined {
    if (this.results.length === 0) return undefined;
    return { ...this.summaryBody(), ...(this.artifacts ? { artifacts: this.artifacts } : {}) };
  }
}
