/**
 * Errors that reach a user carry where (pipeline path, node, column, file line) and what to do.
 * `code` is stable so tools and tests can match on it without parsing text.
 */
export type ProblemCode =
  | 'invalid_json'
  | 'invalid_document'
  | 'unsupported_format'
  | 'unknown_node_type'
  | 'invalid_param'
  | 'duplicate_id'
  | 'dangling_edge'
  | 'unknown_port'
  | 'port_overfilled'
  | 'cycle'
  | 'missing_input'
  | 'unknown_param'
  | 'unknown_column'
  | 'invalid_expression'
  | 'bind_error'
  | 'io_error'
  /**
   * A server, service or API the node had to ask while planning could not be reached or refused the
   * connection (down, timed out, login refused): not a mistake in the pipeline, so a run stopped by
   * nothing else is a failed run (exit 1), not an invalid pipeline (exit 2).
   */
  | 'unavailable'
  | 'destination_exists'
  | 'unknown_connection'
  | 'invalid_connection'
  /** A source's columns differ from its pinned `expect_schema`. */
  | 'schema_drift'
  /** The node (or one of its settings, functions or types) has no form on the chosen engine (e.g. Spark). */
  | 'unsupported_on_engine'
  /** Saving or exporting would replace a file that is not a Caudal pipeline, or any existing file (pipeline.export), without overwrite. */
  | 'would_overwrite'
  /** The pipeline file changed on disk since the document was opened or saved (pipeline.save with expectedHash, without overwrite). */
  | 'changed_on_disk';

export interface Problem {
  code: ProblemCode;
  /** JSON path into the pipeline document, e.g. `nodes[2].params.condition`. */
  path: string;
  message: string;
  hint?: string;
  nodeId?: string;
  column?: string;
}

/** `quality`: a quality check with severity error failed (CLI exit code 3). */
/** `busy`: another run holds the pipeline or a destination (retry later, or wait with --wait). */
export type ErrorKind = 'validation' | 'execution' | 'cancelled' | 'usage' | 'io' | 'quality' | 'busy';

export class CaudalError extends Error {
  readonly kind: ErrorKind;
  readonly nodeId?: string;
  readonly column?: string;
  readonly hint?: string;
  readonly problems: Problem[];

  constructor(
    kind: ErrorKind,
    message: string,
    opts: { nodeId?: string; column?: string; hint?: string; problems?: Problem[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CaudalError';
    this.kind = kind;
    this.nodeId = opts.nodeId;
    this.column = opts.column;
    this.hint = opts.hint;
    this.problems = opts.problems ?? [];
  }

  toJSON(): SerializedError {
    return {
      kind: this.kind,
      message: this.message,
      nodeId: this.nodeId,
      column: this.column,
      hint: this.hint,
      problems: this.problems,
    };
  }

  static fromJSON(s: SerializedError): CaudalError {
    return new CaudalError(s.kind, s.message, s);
  }
}

/**
 * A node's plan-time error carrying several independent problems (one per broken quality check):
 * the planner reports every one, where a plain CaudalError reports its first.
 */
export class NodeProblemsError extends CaudalError {
  constructor(nodeId: string, problems: Problem[]) {
    super('validation', problems[0]?.message ?? `node '${nodeId}' has problems`, { nodeId, column: problems[0]?.column, hint: problems[0]?.hint, problems });
  }
}

export interface SerializedError {
  kind: ErrorKind;
  message: string;
  nodeId?: string;
  column?: string;
  hint?: string;
  problems?: Problem[];
}

export function validationError(problems: Problem[]): CaudalError {
  const first = problems[0];
  const summary =
    problems.length === 1 && first
      ? first.message
      : `${problems.length} problems in the pipeline:\n` + problems.map((p) => `  - ${formatProblem(p)}`).join('\n');
  // One problem: its hint is the error's (several: each problem keeps its own in the list).
  return new CaudalError('validation', summary, { problems, nodeId: first?.nodeId, column: first?.column, hint: problems.length === 1 ? first?.hint : undefined });
}

/**
 * The error for a plan's problems: an invalid pipeline, or, when every problem is a service that
 * could not be reached while planning, a failed run (`io`) that says the same.
 */
export function planError(problems: Problem[]): CaudalError {
  const e = validationError(problems);
  if (problems.length === 0 || !problems.every((p) => p.code === 'unavailable')) return e;
  return new CaudalError('io', e.message, { problems, nodeId: e.nodeId, column: e.column, hint: e.hint });
}

export function formatProblem(p: Problem): string {
  return `${p.path}: ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const FROM_DUCKDB = Symbol.for('caudal.duckdb-error');

/** Marks an error DuckDB raised (Db marks every one), so a connector does not take it for its server's. */
export function markDuckDbError(e: unknown): void {
  if (e instanceof Error && !(e instanceof CaudalError) && !isDuckDbError(e)) Object.defineProperty(e, FROM_DUCKDB, { value: true });
}

/**
 * True for an error DuckDB raised, e.g. a value that does not convert in an upstream node while a
 * sink streams rows to its server. A connector's error explainer returns it as it is, so the engine
 * names the upstream node and column instead of "PostgreSQL said: Conversion Error: …".
 */
export function isDuckDbError(e: unknown): e is Error {
  return e instanceof Error && (e as unknown as Record<symbol, unknown>)[FROM_DUCKDB] === true;
}

/**
 * A DuckDB error that reached a connector (rows streamed to a server failed to compute upstream),
 * carried as it is: the engine describes `duckdb` as any failed statement, naming the node and column.
 */
export class DuckDbFailure extends CaudalError {
  constructor(
    readonly duckdb: Error,
    nodeId?: string,
  ) {
    // Outside a run (a preview), the message is all there is: it names the node.
    super('execution', nodeId ? `node '${nodeId}': ${duckdb.message}` : duckdb.message, { cause: duckdb, nodeId });
  }
}

/**
 * Runs `check`, which throws a CaudalError for what it finds, and records that as a problem at
 * `path` instead (a sink's preflight: the same check as its load, reported before anything is read).
 */
export function problemIfThrown(problems: Problem[], code: ProblemCode, path: string, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (!(e instanceof CaudalError)) throw e;
    problems.push({ code, path, column: e.column, message: e.message, hint: e.hint });
  }
}
