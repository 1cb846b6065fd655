/**
 * Every help text the CLI prints: `caudal --help` and `caudal <command> --help`. docs/cli.md shows
 * each command's text verbatim (a test compares them), so change both together.
 */

export const GLOBAL_HELP = `caudal — run Caudal pipelines headless

Usage:
  caudal run <pipeline.json> [options]          run the pipeline (all sinks, atomically)
  caudal validate <pipeline.json> [options]     check structure, params and every expression against the data's schema
  caudal preview <pipeline.json> --node <id>    show the first rows of a node's output (sinks never run)
  caudal sql <pipeline.json> --node <id>        show the DuckDB SQL a node compiles to
  caudal sql <pipeline.json> --plan             show which nodes fuse into one statement, which materialize, and why
  caudal profile <pipeline.json> --node <id>    profile a node's output per column (sampled; --exact for all rows)
  caudal connections list|add|test|remove       manage named connections (secrets in the OS keychain)
  caudal state show|reset|set <pipeline.json>   incremental watermarks kept between runs, one per node and source (--node, --key, --value)
  caudal serve [pipeline.json] [--port N]       the studio in a browser (127.0.0.1 only, URL with a token)
  caudal doctor [pipeline.json]                 what killed runs left: journals, temp folders, stale locks
  caudal clean [pipeline.json]                  finish or undo killed runs and remove what they left
  caudal schedule [caudal.project.json]         run a project's jobs on their schedules, in the foreground
  caudal jobs list|run|history|pause|resume|prune   a project's jobs: inspect, run one now, pause (-f project file)
  caudal alerts set-secret|test <channel>       an alert channel's secret into the OS keychain / send a test alert
  caudal export airflow <project|pipeline.json> an Apache Airflow DAG (--operator bash|kubernetes, -o file)
  caudal export spark <pipeline.json> -o DIR    write a PySpark job that runs the pipeline on Apache Spark
  caudal --version

Run 'caudal <command> --help' for a command's options and examples; an option a command does not
take there is refused (exit 2), not ignored.
Exit codes: 0 ok, 1 run failed, 2 invalid pipeline or usage, 3 a quality check with severity error failed,
75 busy (another run holds the pipeline or a destination), 130 cancelled (Ctrl-C), 143 stopped by SIGTERM.
Docs: docs/cli.md`;

/** Read by the commands that plan the pipeline; without it they read no saved state. */
const STATE_DIR = `      --state-dir DIR     read incremental watermarks from DIR, as a run with that --state-dir would
                          (default: none, every source from its initial value)`;

const COMMON = `  -p, --param key=value   set a pipeline param (repeatable)
      --project DIR       use DIR/caudal.connections.json on top of the user's file (default: the pipeline's folder)
      --threads N         DuckDB threads (default: all cores)
      --memory-limit SIZE the run's memory budget, e.g. 512MB (default: 80% of RAM); DuckDB gets it less 128 MiB, larger work spills to disk
      --json              machine-readable output
  -q, --quiet             print only errors`;

export const COMMAND_HELP = {
  run: `caudal run <pipeline.json> [options]

Runs the pipeline: every sink writes to a temporary name or staging table and is committed only
after every sink succeeded, so a failed or cancelled run leaves every destination as it was.

Options:
${COMMON}
      --node id           run only this node and what it needs (repeatable; sinks downstream do not run)
      --wait              when another run holds this pipeline or a destination, wait for it instead of exiting with 75
      --explain           print the execution plan at the end, with each node's time and rows
      --watch             run continuously: micro-batches from the streaming sources (Kafka…), each committed
                          before the next; Ctrl-C finishes the current batch, a second Ctrl-C rolls it back
      --metrics MODE      fast (default: count rows at materialized steps and sinks) | exact (count every node)
      --state-dir DIR     state kept between runs: watermarks, quality history (default <pipeline folder>/.caudal/state)
      --artifacts-dir DIR where quality.json/quality.html go (default <pipeline folder>/.caudal/runs/<run id>)
      --run-id ID         the run's id, its folder's name (default: a new one)
      --job NAME          recorded in run.json with --trigger schedule|catchup|dependency|manual,
                          --attempt N and --slot ISO (set by the scheduler and by Airflow DAGs; those three need --job)
      --json              one JSON event per line, from run_started to run_finished
      --engine E          duckdb (default) | spark: export the pipeline as a PySpark job and spark-submit it
                          (then --threads, --memory-limit, --metrics, --explain, --run-id, --job, --node and --watch are refused)
      --master URL        with --engine spark: local[2], yarn, spark://host:7077, k8s://https://…
      --spark-submit PATH with --engine spark: the spark-submit to use (default $SPARK_HOME/bin, then PATH)
      --conf key=value    with --engine spark: a Spark setting (repeatable)

Examples:
  caudal run pipeline.json
  caudal run pipeline.json --param since=2025-06-01 --memory-limit 512MB
  caudal run pipeline.json --node clean_orders --metrics exact
  caudal run pipeline.json --json | jq -c 'select(.type=="node_finished")'
  caudal run events.json --watch
  caudal run pipeline.json --engine spark --master local[2]

Ctrl-C or SIGTERM cancels: every destination stays as it was. Once the commit has begun (every sink
staged), the run finishes it instead: a half-committed run would be worse than a late one. A second
one stops waiting for the cleanup after 3 s (what is left is removed by the next run or \`caudal clean\`).

Exit codes: 0 ok, 1 run failed, 2 invalid pipeline or usage, 3 a quality check with severity error failed,
75 busy (another run holds the pipeline or a destination), 130 cancelled (Ctrl-C), 143 stopped by SIGTERM.`,

  validate: `caudal validate <pipeline.json> [options]

Checks the file, every node's params, the edges, and every column and expression against the
schemas of the real inputs (files are sniffed, databases asked for their columns; nothing is written).

Options:
${COMMON}
${STATE_DIR}
      --json              { valid, problems, warnings, migrationsApplied }
      --engine spark      also check that every node, setting, function and type has a Spark form
                          (translates the SQL with sqlglot; see docs/spark.md; --threads and --memory-limit are refused)

Examples:
  caudal validate pipeline.json
  caudal validate pipeline.json --param run_date=2025-01-31 --json
  caudal validate pipeline.json --engine spark

Exit codes: 0 valid, 2 problems found (each with its JSON path and a hint), 1 only servers or APIs
the check had to ask could not be reached (nothing is known to be wrong with the pipeline).`,

  preview: `caudal preview <pipeline.json> --node <id> [options]

Shows the first rows of a node's output. Sinks never run; only the node's upstream is read, and a
step that needs all of its input (sort, aggregate) reads a sample, which the output says.

Options:
      --node id           the node to show (required)
      --port name         output port (default: the node's first, e.g. out; rejects)
      --limit N           rows to show (default 20)
${COMMON}
${STATE_DIR}

Examples:
  caudal preview pipeline.json --node clean_orders --limit 5
  caudal preview pipeline.json --node orders --port rejects
  caudal preview pipeline.json --node big_orders --param min=100 --json`,

  sql: `caudal sql <pipeline.json> [--node <id>] [options]

Prints the DuckDB SQL each node compiles to (its setup, its output views and, for sinks, the
staging and commit steps), with the output columns and types. Nothing is read beyond the schemas.

Options:
      --node id           only this node (default: every node)
      --plan              the execution plan instead: which nodes fuse into one statement, which are
                          materialized, and why
${COMMON}
${STATE_DIR}

Examples:
  caudal sql pipeline.json --node revenue_by_country
  caudal sql pipeline.json --plan
  caudal sql pipeline.json --json`,

  profile: `caudal profile <pipeline.json> --node <id> [options]

Profiles a node's output per column: nulls, distinct values, min/max, mean, quantiles, top values,
histograms, value shapes and a guessed semantic type. Fast by default (a labelled sample).

Options:
      --node id           the node to profile (required)
      --port name         output port (default: the node's first)
      --exact             read every row (with progress; Ctrl-C cancels)
      --sample N          rows to sample (default 20000): the first N rows read, fast (not with --exact)
      --random            a random sample instead of the first rows (reads every row to choose; not with --exact)
      --html FILE         also write a self-contained HTML profile (replaces an earlier profile only,
                          unless --force)
      --force             with --html: replace a file there that is not a profile
${COMMON}
${STATE_DIR}

Examples:
  caudal profile pipeline.json --node orders
  caudal profile pipeline.json --node orders --exact --html orders-profile.html
  caudal profile pipeline.json --node orders --random --json`,

  connections: `caudal connections list|add|test|remove [name] [options]

Named connections that pipelines refer to. Settings live in the user's connections file (or
DIR/caudal.connections.json with --project); secrets go to the OS keychain, never to a file.
Headless runs can pass secrets as CAUDAL_SECRET_<NAME>_<FIELD> environment variables instead.

Commands:
  list                    every connection, with whether its secrets are stored
  add <name>              add or replace one; asks for its secrets (or reads them from stdin)
  test <name>             connect and report the server version and latency
  remove <name>           remove it and its stored secrets

Options:
      --type T            add: the connection type (postgres)
      --set key=value     add: a non-secret field, e.g. host=db.local (repeatable)
      --project DIR       use DIR/caudal.connections.json on top of the user's file
      --json              list, add, test: machine-readable output
  -q, --quiet             print only errors

Examples:
  caudal connections add warehouse --type postgres --set host=db.local --set database=sales --set user=etl
  caudal connections test warehouse
  caudal connections list --json
  caudal connections remove warehouse`,

  state: `caudal state show|reset|set <pipeline.json> [options]

What incremental nodes remember between runs (their watermarks), one state per node and source: the
same pipeline reading another schema, table or server keeps its own. State moves only after every
sink of a run committed.

Commands:
  show                    what each node remembers, for which source, when and by which run
  reset --node id         the next run starts from the node's initial value (a full reload)
  set --node id --value V the next run reads rows above V (backfill from an earlier point, or skip ahead)

reset and set take the pipeline's run lock: while a run of the pipeline is live they exit with 75
and name it (its commit would overwrite the change).

Options:
      --node id           the node (one)
      --key K             the state of one source (its key as 'state show' prints it, or a prefix)
      --value V           set: the new watermark
      --state-dir DIR     where state lives (default <pipeline folder>/.caudal/state)
      --json              show: machine-readable output
  -q, --quiet             print only errors

Examples:
  caudal state show pipeline.json
  caudal state set pipeline.json --node orders --value "2024-06-01 00:00:00+00"
  caudal state reset pipeline.json --node orders`,

  serve: `caudal serve [pipeline.json] [options]

The studio in a browser. Listens on 127.0.0.1 only and prints a URL with a random token that every
request needs; stop it with Ctrl-C (running runs are cancelled, their destinations left as they were).

Options:
      --port N            port on 127.0.0.1 (default 4817; 0 picks a free one)
      --open              open the studio in the default browser
  -q, --quiet             print only the URL

Examples:
  caudal serve
  caudal serve pipeline.json --open
  caudal serve --port 0
  ssh -L 4817:127.0.0.1:4817 server   # then run caudal serve there and open the URL here`,
  doctor: `caudal doctor [pipeline.json] [options]

Shows runs in progress, runs that were killed (kill -9, power loss) and what they left: commit
journals, temp folders, stale locks. Also runs that failed and could not put a destination back
(\`failed … clean will finish its undo\`). Changes nothing; \`caudal clean\` fixes what it lists.

Options:
      --project DIR       resolve connections from DIR/caudal.connections.json too
      --json              the report as one JSON object

Examples:
  caudal doctor
  caudal doctor --json

Exit codes: 0 nothing left over by killed runs, 1 something is.`,

  clean: `caudal clean [pipeline.json] [options]

Finishes or undoes what killed runs left. A run killed before its commit decision is undone (every
destination as it was: temp files, staging tables and prepared transactions removed, replaced files
restored); one killed after it is completed. Also removes temp folders of dead processes and stale
locks. The next run of any pipeline does the same before it starts; this does it on demand. Work a
killed run left on a server (a prepared PostgreSQL transaction, a staging table) is finished with
the connection of the same name in that run's own project, found from its folder; only a connection
to the server, database and user the run used finishes it. When that project cannot be read any
more, pass the pipeline (or --project DIR) whose connection is that same server; another project's
connection of the same name on another server is refused, and the run is left as it was, for
\`caudal clean <its pipeline.json>\`, which the report names.

Options:
      --project DIR       resolve connections from DIR/caudal.connections.json too
      --json              the report as one JSON object

Examples:
  caudal clean
  caudal clean pipelines/orders.json

Exit codes: 0 everything cleaned, 1 something remains (the report says what and why).`,

  schedule: `caudal schedule [caudal.project.json] [options]

Runs the project's jobs on their schedules, in the foreground (a terminal, systemd, launchd). Each
run is its own \`caudal run\` process; the scheduler's state is written before it acts, so a restart
follows running runs and never starts a slot twice. Logs go to stdout and to the rotated JSON-lines
file .caudal/scheduler/logs/scheduler.log. Each project file is its own project: another file than
caudal.project.json in the same folder keeps its lock, state and log apart, under
.caudal/scheduler/projects/<file name>/. Guide: docs/scheduling.md.

Options:
  -f, --file FILE         the project file (default: caudal.project.json here or in a parent folder)
      --json              log JSON lines on stdout
  -q, --quiet             log only warnings and errors

Examples:
  caudal schedule
  caudal schedule ops/caudal.project.json --json

SIGTERM or Ctrl-C: no new runs; exits (0) once the running ones finish. A second signal cancels
them (destinations stay as they were). Exit code 75: another scheduler runs for this project.`,

  jobs: `caudal jobs list|run|history|pause|resume|prune [job] [options]

A project's jobs: list them (schedule, next run, what runs now, last outcome), run one now (its
params, with --param overrides; recorded in the history: handed to the project's running scheduler,
so it never overlaps a scheduled run, and followed until it ends; without one, run in the
foreground), show recorded runs, pause or resume a job's scheduled runs (a running scheduler applies
it at once), or apply the history retention now.

Options:
  -f, --file FILE         the project file (default: caudal.project.json here or in a parent folder)
  -p, --param key=value   jobs run: override a param (repeatable)
      --limit N           jobs history: runs to show (default 20)
      --wait              jobs run: wait for a run that holds the pipeline instead of exiting with 75
                          (through a scheduler: wait for a run of the job that waits to start, then ask again)
      --json              list, run, history, prune: machine-readable output
  -q, --quiet             print only errors

Examples:
  caudal jobs list
  caudal jobs run extract
  caudal jobs history extract --limit 50
  caudal jobs pause extract`,

  alerts: `caudal alerts set-secret|test <channel> [field] [options]

Stores an alert channel's secret (a webhook token or URL, an SMTP password) in the OS keychain,
asking for it or reading standard input; or sends a test alert through the channel. Headless
servers set CAUDAL_SECRET_ALERT_<CHANNEL>_<FIELD> instead (it wins over the keychain).

Options:
  -f, --file FILE         the project file (default: caudal.project.json here or in a parent folder)
  -q, --quiet             print only errors

Examples:
  caudal alerts set-secret ops token
  caudal alerts test ops`,

  export: `caudal export airflow <caudal.project.json | pipeline.json> [options]
caudal export spark <pipeline.json> -o <dir> [options]

airflow: writes an Apache Airflow DAG file: one task per job running the headless runner,
dependencies, schedule (in the job's time zone), retries, timeout and params mapped to Airflow's;
secrets come from Airflow connections or variables as CAUDAL_SECRET_* environment variables, never
literal in the DAG. A pipeline file becomes a one-job DAG run on demand.

spark: writes a self-contained PySpark job that does what the DuckDB engine does for the same
pipeline: job.json (every step, its SQL translated from DuckDB to Spark SQL by sqlglot),
caudal_spark.py (the runtime; needs only pyspark) and run.sh (spark-submit with the JDBC drivers it
needs). Nothing is written when a node, setting, function or type has no Spark form: each is listed
with its node and field. Params are fixed at export time. Translation runs sqlglot in
CAUDAL_SPARK_PYTHON (or python3). Guide: docs/spark.md.

Options:
  -o, --out PATH          airflow: write the DAG there (default: standard output);
                          spark: the job folder (created; job.json, caudal_spark.py, run.sh are replaced)
      --force             replace files at -o that an earlier export did not write (refused otherwise)
      --operator KIND     airflow: bash (BashOperator on the workers, default) or kubernetes (KubernetesPodOperator)
      --project-root DIR  airflow: the project's folder on the workers or in the image
      --image IMAGE       airflow --operator kubernetes: the runner image with the project in it
      --state-claim PVC   airflow --operator kubernetes: a PersistentVolumeClaim that keeps state
                          (watermarks, change capture positions) between pods; without it each pod starts empty
  -p, --param key=value   spark: set a pipeline param (repeatable)
      --project DIR       spark: use DIR/caudal.connections.json on top of the user's file (default: the pipeline's folder)
      --json              spark: machine-readable output
  -q, --quiet             print only errors

Each export takes only the options listed for it: any other (e.g. --param with airflow, whose jobs
take their params from the project file's "params"; --image without --operator kubernetes) and a
second file are refused with exit code 2.

Examples:
  caudal export airflow caudal.project.json -o dags/shop.py
  caudal export airflow caudal.project.json --operator kubernetes --image registry/shop-caudal:1.4 --state-claim caudal-state
  caudal export spark pipeline.json -o job/
  job/run.sh --master yarn --deploy-mode cluster

Exit codes: 0 written, 2 invalid pipeline or usage (spark: or something without a Spark form).`,
} as const;

export type CommandName = keyof typeof COMMAND_HELP;

export const COMMANDS = Object.keys(COMMAND_HELP) as CommandName[];

export function isCommand(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMAND_HELP, name);
}
