import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBInstance as Instance, DuckDBValue } from '@duckdb/node-api';
import { literal } from './sql.js';
import { CaudalError, markDuckDbError } from '../util/errors.js';

// @duckdb/node-api is CommonJS. Loading it with require() rather than `import` skips Node's scan of
// every re-exported file for named exports: about 75 ms off the start of each engine worker.
const { DuckDBInstance, DuckDBTimestampTZValue } = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;
// The client writes a TIMESTAMPTZ as text with the offset the process had when it loaded (one
// fixed offset, so a summer value in Madrid showed as 04:30+01): previews, profiles and samples
// show it as the session computes it, in UTC, whatever the machine's time zone.
DuckDBTimestampTZValue.timezoneOffsetInMinutes = 0;

export interface DbOptions {
  /** DuckDB threads; default: all cores. */
  threads?: number;
  /** e.g. "512MB", "4GB", "80%"; default: DuckDB's (80% of RAM). */
  memoryLimit?: string;
  /** Spill folder for larger-than-memory operators. */
  tempDir?: string;
}

/**
 * One DuckDB instance with one connection, owned by exactly one worker thread.
 * `close()` releases both; callers use it in `finally`.
 */
/**
 * The client writes the infinite values of DATE and of the timestamps other than microseconds as
 * the extreme values behind them (DATE 'infinity' as 5881580-07-11, TIMESTAMP_NS 'infinity' as
 * 2262-04-11 23:47:16.854775807): said as what they are, as TIMESTAMP's own are.
 */
const INFINITIES: Record<string, [string, string]> = {
  DATE: ['5881580-07-11', '5877642-06-24 (BC)'],
  TIMESTAMP_NS: ['2262-04-11 23:47:16.854775807', '1677-09-21 00:12:43.145224193'],
  TIMESTAMP_MS: ['292278994-08-17 07:12:55.807', '292275056-05-16 (BC) 16:47:04.193'],
  TIMESTAMP_S: ['292277026596-12-04 15:30:07', '292277022658-01-27 (BC) 08:29:53'],
};
const INFINITE = new Map(Object.values(INFINITIES).flatMap(([plus, minus]) => [[plus, 'infinity'], [minus, '-infinity']] as const));
const HOLDS_INFINITIES = new RegExp(`\\b(${Object.keys(INFINITIES).join('|')})\\b`);

/** A JSON value of the client with the extreme values standing for infinity, at any depth, said as what they are. */
function infinitiesNamed(value: unknown): unknown {
  if (typeof value === 'string') return INFINITE.get(value) ?? value;
  if (Array.isArray(value)) return value.map(infinitiesNamed);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, infinitiesNamed(v)]));
  return value;
}

export class Db {
  /** Files DuckDB reads in place of a user's file (converted copies), by the user's path. */
  private readonly aliases = new Map<string, string>();
  /** How many times interrupt() stopped a query: a stream that ends short after one was cut by it. */
  private interrupts = 0;
  /** Holds on interrupts (holdInterrupts): a run that is committing finishes its commit. */
  private holds = 0;

  private constructor(
    private readonly instance: Instance,
    readonly conn: DuckDBConnection,
  ) {}

  /**
   * From now on, error messages name `shown` wherever DuckDB names `internal`: a CSV file converted
   * to UTF-8 is read from a temp copy, but errors must name the user's file (lines are the same).
   */
  aliasPath(internal: string, shown: string): void {
    this.aliases.set(internal, shown);
  }

  private async mapped<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (e) {
      markDuckDbError(e);
      if (this.aliases.size > 0 && e instanceof Error) {
        for (const [internal, shown] of this.aliases) e.message = e.message.replaceAll(internal, shown);
      }
      throw e;
    }
  }

  static async open(opts: DbOptions = {}): Promise<Db> {
    // Never an extension from the network or the user's home folder because an expression named one
    // of its functions (excel_text, st_point): what a pipeline can do is what this build links in.
    const config: Record<string, string> = { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' };
    if (opts.threads !== undefined) config.threads = String(opts.threads);
    if (opts.memoryLimit !== undefined) config.memory_limit = opts.memoryLimit;
    if (opts.tempDir !== undefined) config.temp_directory = opts.tempDir;
    const instance = await DuckDBInstance.create(':memory:', config);
    try {
      const conn = await instance.connect();
      // Progress tracking is off by default and is a session setting, not an instance option.
      // TimeZone: DuckDB takes the machine's, so a TIMESTAMPTZ cast to TIMESTAMP, a day it falls on
      // or its text would differ between a laptop in Madrid and a server in UTC; pipelines compute in
      // UTC everywhere, as the PostgreSQL sessions and the Spark job do.
      await conn.run("SET enable_progress_bar = true; SET enable_progress_bar_print = false; SET TimeZone = 'UTC'");
      return new Db(instance, conn);
    } catch (e) {
      instance.closeSync();
      throw e;
    }
  }

  async run(sql: string): Promise<void> {
    await this.mapped(this.conn.run(sql));
  }

  /** Rows as JSON-safe objects (BIGINT → string, dates → ISO text). */
  async rows(sql: string, values?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<Record<string, unknown>[]> {
    const reader = await this.mapped(this.conn.runAndReadAll(sql, values));
    const names = reader.columnNames();
    // Own properties, whatever the names: the client's row objects assign them, so a column named
    // `__proto__` set the object's prototype and vanished from the row.
    const rows = reader.getRowsJson().map((values) => Object.fromEntries(names.map((n, i) => [n, values[i]])) as Record<string, unknown>);
    // The client writes DATE 'infinity' as the day after the last one (5881580-07-11) and
    // '-infinity' as the day before the first: said as what they are, as TIMESTAMP's are.
    const types = reader.columnTypes().map((t) => t.toString());
    names.forEach((name, i) => {
      const own = Object.hasOwn(INFINITIES, types[i]!) ? INFINITIES[types[i]!] : undefined;
      if (own) {
        for (const row of rows) if (row[name] === own[0] || row[name] === own[1]) row[name] = row[name] === own[0] ? 'infinity' : '-infinity';
      } else if (HOLDS_INFINITIES.test(types[i]!)) {
        // The same inside lists, structs and maps ([infinity] showed as [5881580-07-11]).
        for (const row of rows) row[name] = infinitiesNamed(row[name]);
      }
    });
    return rows;
  }

  /**
   * The rows of `sql`, chunk by chunk, as JS values (`js`: BIGINT as bigint, dates as Date) or as
   * DuckDB values (`duckdb`). DuckDB's C API ends a stream that fails midway exactly like one that is
   * exhausted (duckdb_stream_fetch_chunk gives NULL for both, and the client never reads
   * duckdb_result_error): a value that stops the query once the first chunks were handed over (a
   * check's error(), a cast, an overflow) would silently cut the rows, and a sink would publish part
   * of its input as the whole. So when the stream ends, the rows it gave are counted against the
   * query's count(*) (which skips the columns' expressions: cheap over a staged table); when short,
   * every column is computed again without streaming, which raises DuckDB's own error. A consumer
   * that stops early (a cancel) skips the check.
   */
  async *stream(sql: string, form: 'js' | 'duckdb'): AsyncGenerator<unknown[][]> {
    const interrupts = this.interrupts;
    const result = await this.mapped(this.conn.stream(sql));
    let streamed = 0;
    // An interrupt (a cancel) also ends a stream like its last row, or fails the next fetch: said
    // as what it is, never as rows DuckDB lost without an error.
    const interrupted = () =>
      new CaudalError('cancelled', `the rows stopped after ${streamed}: DuckDB's query was interrupted because the run was cancelled, and nothing more was sent`);
    const chunks = form === 'js' ? result.yieldRowsJs() : result.yieldRows();
    try {
      for await (const chunk of chunks) {
        streamed += chunk.length;
        yield chunk;
      }
    } catch (e) {
      if (this.interrupts !== interrupts) throw interrupted();
      throw e;
    }
    if (this.interrupts !== interrupts) throw interrupted();
    const expected = await this.count(`SELECT count(*) FROM (\n${sql}\n)`);
    if (expected === streamed) return;
    await this.run(`SELECT count(COLUMNS(*)) FROM (\n${sql}\n)`);
    throw new Error(`DuckDB ended the rows after ${streamed} of ${expected} without an error; nothing more was sent (run again; if it happens again, report it with the pipeline)`);
  }

  /** Runs a statement that reports a count (CREATE TABLE AS, COPY, INSERT) and returns it. */
  async count(sql: string): Promise<number> {
    const reader = await this.mapped(this.conn.runAndReadAll(sql));
    const v = reader.getRows()[0]?.[0];
    return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0;
  }

  /**
   * Runs `work` with DuckDB's `preserve_insertion_order` off: for statements whose rows have no
   * order to keep (after a DISTINCT or GROUP BY), which DuckDB then writes faster and with less
   * memory. The setting is back on afterwards, whatever happened; a failure to reset it never hides
   * why `work` failed.
   */
  async unordered<T>(work: () => Promise<T>): Promise<T> {
    await this.run('SET preserve_insertion_order = false');
    try {
      return await work();
    } finally {
      await this.run('RESET preserve_insertion_order').catch(() => undefined);
    }
  }

  async setting(name: string): Promise<string> {
    const rows = await this.rows(`SELECT current_setting(${literal(name)}) AS v`);
    return String(rows[0]?.v);
  }

  /**
   * A second connection to the same instance (attached databases are shared): the commit protocol
   * holds a database file's publishing transaction open on one while the run goes on with the other.
   * The caller closes it (closeSync) in `finally`.
   */
  session(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /**
   * Stops the running query (a cancel). Refused while interrupts are held (a run's commit: a sink
   * that streams its rows from DuckDB while it publishes would publish part of them): returns
   * whether the query was interrupted.
   */
  interrupt(): boolean {
    if (!this.interruptible) return false;
    this.interrupts++;
    this.conn.interrupt();
    return true;
  }

  /** False while interrupts are held (holdInterrupts). */
  get interruptible(): boolean {
    return this.holds === 0;
  }

  /**
   * From now until the returned release is called, interrupt() does nothing: once a run's commit
   * has begun it finishes it, and a cancel must not cut the rows a sink is publishing.
   */
  holdInterrupts(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
    };
  }

  progress(): { percentage: number; rowsProcessed: number; totalRows: number } {
    const p = this.conn.progress;
    return { percentage: p.percentage, rowsProcessed: Number(p.rows_processed), totalRows: Number(p.total_rows_to_process) };
  }

  close(): void {
    try {
      this.conn.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }
}
