"""Runs a Caudal pipeline exported by `caudal export spark` on Apache Spark.

    spark-submit --master yarn caudal_spark.py job.json [--report-dir DIR]
    python caudal_spark.py job.json --master local[2]

job.json holds Spark SQL already translated from the pipeline's DuckDB SQL (by sqlglot, at export
time), so this file needs nothing but pyspark. Steps run in the pipeline's order: reads and views are
lazy Spark temp views, quality checks are evaluated where they stand (a failed `error` check stops the
run before anything is written), and every sink is staged first and published only after all of
them were written:

- files (local, HDFS, S3A…): each sink writes to a hidden staging folder next to its target; then,
  on the driver, every target is moved aside and its staging folder (or single file) renamed into
  place; if one rename fails the earlier ones are undone; the old versions are deleted last.
  Renames are atomic on local disks and HDFS. On S3 a rename is a copy and a delete, so readers can
  see a half-renamed folder, and a crash can leave one half-published.
- JDBC (PostgreSQL, SQL Server): Spark's writers load a staging table (one transaction per partition, invisible
  to readers); the driver then publishes it into the target in one transaction, after the files.

Secrets (JDBC passwords) come from the environment: CAUDAL_SECRET_<CONNECTION>_<FIELD>.
Events are JSON lines on stdout ({"type": "node_finished", ...}); --report-dir receives result.json
and quality.json.
"""

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import unicodedata
import uuid

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_QUALITY, EXIT_BUSY = 0, 1, 2, 3, 75


class RunFailed(Exception):
    def __init__(self, kind, message, node=None):
        super().__init__(message)
        self.kind = kind
        self.node = node


def strict(v):
    """v with every float NaN/±Infinity as DuckDB shows it in text ('nan', 'inf', '-inf') and every
    other value JSON has no form for as its text: JSON has no NaN, and Node's JSON.parse refuses the
    bare NaN Python writes by default (a committed run's result.json then read as a failure)."""
    if isinstance(v, float):
        if v != v:
            return "nan"
        if v in (float("inf"), float("-inf")):
            return "inf" if v > 0 else "-inf"
        return v
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, dict):
        return {str(k): strict(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [strict(x) for x in v]
    return str(v)


def dumps(v, **kw):
    return json.dumps(strict(v), allow_nan=False, **kw)


def emit(event):
    if isinstance(event.get("message"), str):
        event = {**event, "message": without_secrets(event["message"])}
    print(dumps(event), flush=True)


# --- session -----------------------------------------------------------------------------------


def make_session(job, master=None, conf=None, scratch=None):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(f"caudal: {job['pipeline']}")
    if master:
        builder = builder.master(master)
    settings = {
        # DuckDB's TIMESTAMP has no time zone; Spark's TIMESTAMP_NTZ is the same thing.
        "spark.sql.timestampType": "TIMESTAMP_NTZ",
        "spark.sql.session.timeZone": "UTC",
        # DuckDB fails on a bad cast or an overflow; so does Spark in ANSI mode (the default in 4.x).
        "spark.sql.ansi.enabled": "true",
        # DECIMAL + - * keep every digit of the exact result, as DuckDB's do (Spark otherwise cuts the
        # scale to fit 38 digits: DECIMAL(38,10) - DECIMAL(10,2) kept 9 places); translate.py casts
        # the result to DuckDB's type, so an overflow fails where DuckDB's fails.
        "spark.sql.decimalOperations.allowPrecisionLoss": "false",
        # No .crc files next to local outputs (Hadoop's checksummed local filesystem writes them).
        "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
        "spark.hadoop.fs.file.impl.disable.cache": "true",
        # Instants as TIMESTAMP_MICROS adjusted to UTC (DuckDB reads TIMESTAMPTZ), not INT96 (read as TIMESTAMP).
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        # No _SUCCESS marker in output folders: the DuckDB engine writes none, and the commit is Caudal's.
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
        # Spark 4 reads CSV only in UTF-8, UTF-16/32, US-ASCII and ISO-8859-1 unless Java's full set of
        # charsets is allowed: Windows-1252 and the East Asian encodings Excel writes need it.
        "spark.sql.legacy.javaCharsets": "true",
        # JSON text keeps a struct's NULL fields ("day": null), as DuckDB's to_json and JSON writer do:
        # a CSV cell holding a struct reads the same on both engines.
        "spark.sql.jsonGenerator.ignoreNullFields": "false",
    }
    if scratch:
        # Spark creates its warehouse folder (default: spark-warehouse in the current folder, the
        # user's) on the first catalog lookup, a failing one too. The job keeps nothing in the
        # catalog (temp views only), and enables no Hive support, so no Derby metastore is made.
        settings["spark.sql.warehouse.dir"] = "file://" + os.path.join(scratch, "warehouse")
    if job.get("packages"):
        settings["spark.jars.packages"] = ",".join(job["packages"])
    settings.update(conf or {})
    for k, v in settings.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def register_udfs(spark):
    from pyspark.sql.types import StringType

    def strip_accents(s):
        if s is None:
            return None
        return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")

    def nfc(s):
        return None if s is None else unicodedata.normalize("NFC", s)

    spark.udf.register("caudal_strip_accents", strip_accents, StringType())
    spark.udf.register("caudal_nfc", nfc, StringType())


# --- filesystem (Hadoop's, through the JVM: the same code for file:, hdfs:, s3a:) ---------------


class Fs:
    def __init__(self, spark):
        self.jvm = spark._jvm
        self.conf = spark._jsc.hadoopConfiguration()

    def path(self, p):
        return self.jvm.org.apache.hadoop.fs.Path(p)

    def fs(self, p):
        return self.path(p).getFileSystem(self.conf)

    def exists(self, p):
        return self.fs(p).exists(self.path(p))

    def rename(self, src, dst):
        if not self.fs(src).rename(self.path(src), self.path(dst)):
            raise RunFailed("execution", f"could not rename {src} to {dst}")

    def delete(self, p):
        if self.exists(p):
            self.fs(p).delete(self.path(p), True)

    def list(self, folder):
        return [str(s.getPath().toString()) for s in self.fs(folder).listStatus(self.path(folder))]

    def mkdirs(self, folder):
        self.fs(folder).mkdirs(self.path(folder))


def sibling(target, prefix, suffix):
    parent, name = target.rstrip("/").rsplit("/", 1) if "/" in target.rstrip("/") else (".", target)
    return f"{parent}/.{name}.{prefix}{suffix}"


# --- the commit journal (run --engine spark on this machine) ------------------------------------


class Journal:
    """The run's commit journal, in the DuckDB engine's format (core/src/engine/commit/journal.ts),
    at the path `caudal run --engine spark` gives. It names what the run staged and how far the commit
    got, and this process (the driver) as its owner: when the driver dies (kill -9, out of memory),
    `caudal run` (as soon as spark-submit exits), the next run or `caudal clean` undoes what it
    staged, or completes the commit once it was decided. Only local files and PostgreSQL tables are
    listed; without a path (an exported job on a cluster) nothing is journaled."""

    def __init__(self, path, run_id, pipeline, base_dir, owner_host):
        self.path = path
        host = owner_host or hashlib.sha256(socket.gethostname().encode()).hexdigest()[:4]
        self.data = {
            "format": "caudal.journal/1", "runId": run_id, "owner": {"host": host, "pid": os.getpid()},
            "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "pipeline": pipeline,
            "baseDir": base_dir or os.getcwd(), "phase": "running", "sinks": [],
        }

    def write(self, **changes):
        self.data.update(changes)
        if not self.path:
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.data, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def committed(self, node):
        """A sink that cannot prepare was committed before the decision: the recovery must not call it undone."""
        for e in self.data["sinks"]:
            if e.get("nodeId") == node and e["kind"] == "external":
                e["committed"] = True
        self.write()

    def leftovers(self):
        """Local staging this run left on disk (checked without the JVM, which may be shutting down
        under a cancel): while there is any, the journal stays for the recovery to remove it."""
        for e in self.data["sinks"]:
            if e["kind"] == "file" and any(p and os.path.exists(p) for p in [e.get("temp"), e.get("aside"), *e.get("stagingDirs", [])]):
                return True
        return False

    def remove(self):
        if self.path and os.path.exists(self.path):
            os.remove(self.path)


class Caller:
    """The caudal process that started this job (`--caller-pid`): when it is gone (killed outright),
    the run stops at its next step and undoes its work, as a run of the DuckDB engine stops with its
    process. Once the files are published it is no longer asked: the commit is completed."""

    def __init__(self, pid):
        self.pid = pid
        self.watching = None
        self.started = self.stat()[1] if pid else None  # tells a new process given the same pid

    def stat(self):
        """(state, start time) of the process from /proc, or (None, None) where there is none."""
        try:
            with open(f"/proc/{self.pid}/stat", encoding="utf-8") as f:
                fields = f.read()
            rest = fields[fields.rindex(")") + 2:].split()
            return rest[0], rest[19]
        except (OSError, ValueError, IndexError):
            return None, None

    def watch(self, spark):
        """Cancels the running Spark jobs within a second of the caller going, so that a long
        step (a large sink's write) fails at once and the run undoes its work, instead of finishing
        the step first."""
        if not self.pid:
            return
        self.watching = threading.Event()
        stop = self.watching

        def loop():
            # Every second once caudal is gone, since a job may start between two checks.
            while not stop.wait(1.0):
                if self.gone():
                    spark.sparkContext.cancelAllJobs()

        threading.Thread(target=loop, name="caudal-caller-watch", daemon=True).start()

    def unwatch(self):
        if self.watching:
            self.watching.set()

    def gone(self):
        if not self.pid:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        state, started = self.stat()
        # A zombie (killed, not yet reaped) is gone too, and so is a caller whose pid now names
        # another process.
        return state == "Z" or (self.started is not None and started is not None and started != self.started)

    def stopped(self):
        return RunFailed("cancelled", f"the caudal process that started this run (pid {self.pid}) is gone; the run stopped and its work was undone")

    def check(self):
        if self.gone():
            raise self.stopped()


def local_path(fs, p):
    """The local path of `p` when it is on this machine's disk (file:), else None."""
    path = fs.path(p)
    if path.getFileSystem(fs.conf).getUri().getScheme() != "file":
        return None
    return str(path.toUri().getPath())


def journal_entries(fs, staged_files, staged_jdbc, sinks, run_id):
    """One entry per sink the recovery can reach: local files, PostgreSQL tables."""
    files = {s.step["node"]: s for s in staged_files}
    entries = []
    for step in sinks:
        sink, node = step["sink"], step["node"]
        if sink["format"] == "jdbc":
            j = sink["jdbc"]
            stage = [j["schema"], stage_table_name(j, run_id)]
            if j.get("dialect") == "sqlserver":
                # No two-phase commit: the recovery can only drop the staging table.
                entry = {"label": f"SQL Server table {j['schema']}.{j['table']}", "ref": {"stageTable": stage}}
            else:
                entry = {"label": f"PostgreSQL table {j['schema']}.{j['table']}", "ref": {"gid": prepared_id(run_id, node), "stageTable": stage}}
            recovery = {"connection": j["connection"], "ref": entry["ref"]}
            if j.get("recoveryTarget"):
                # The server and database: only a connection to them recovers this load (recover.ts).
                recovery["target"] = j["recoveryTarget"]
            entries.append({"kind": "external", "nodeId": node, "label": entry["label"], "recovery": recovery})
            continue
        target = local_path(fs, sink["target"])
        if target is None:
            continue
        stage_dir, aside = stage_names(sink["target"], run_id, node)
        s = files.get(node)
        temp = local_path(fs, s.staged) if s else local_path(fs, stage_dir)
        entry = {"kind": "file", "nodeId": node, "target": target, "temp": temp, "aside": local_path(fs, aside), "replace": sink.get("ifExists", "fail") != "fail", "createdFolders": []}
        if s is not None:
            entry["existed"] = s.existed
            if s.staged != s.stage_dir:
                entry["stagingDirs"] = [local_path(fs, s.stage_dir)]
        entries.append(entry)
    return entries


# --- reads -------------------------------------------------------------------------------------


def struct_of(columns):
    from pyspark.sql.types import StructType

    return StructType.fromDDL(", ".join(f"`{c['name'].replace('`', '``')}` {c['type']}" for c in columns))


def read(spark, step):
    from pyspark.sql import functions as F

    r = step["read"]
    if r["format"] == "jdbc":
        j = r["jdbc"]
        reader = spark.read.format("jdbc").option("url", j["url"]).option("driver", j["driver"])
        for k, v in jdbc_properties(j).items():
            reader = reader.option(k, v)
        reader = reader.option("query", j["query"]) if j.get("query") else reader.option("dbtable", j["table"])
        df = reader.load()
    else:
        reader = spark.read.format(r["format"]).options(**r.get("options", {}))
        schema = [c for c in r.get("schema") or [] if c["name"] != r.get("fileColumn")]
        if r.get("applySchema") and schema:
            reader = reader.schema(struct_of(schema))
        df = reader.load(r["paths"])
        if r.get("fileColumn"):
            df = df.withColumn(r["fileColumn"], F.regexp_replace(F.col("_metadata.file_path"), "^file:(//)?", ""))
    df.createOrReplaceTempView(step["name"])


def jdbc_properties(j):
    props = dict(j.get("properties", {}))
    for prop, var in j.get("secrets", {}).items():
        if not os.environ.get(var):
            raise RunFailed("usage", f"connection '{j['connection']}' needs its {prop}: set the environment variable {var}")
        props[prop] = os.environ[var]
    return props


# --- views -------------------------------------------------------------------------------------


def view(spark, step):
    from pyspark import StorageLevel

    df = spark.sql(step["sql"])
    names = step.get("columns") or []
    if names and len(names) < len(df.columns):
        # A rewrite (QUALIFY → subquery) can leave a helper column: keep the node's own.
        df = df.select(*[f"`{n.replace('`', '``')}`" for n in names])
    if names and len(names) == len(df.columns) and names != df.columns:
        df = df.toDF(*names)  # sqlglot lower-cases unquoted names; keep the DuckDB engine's spelling
    if step.get("materialize") == "checkpoint":
        df = df.localCheckpoint(eager=True)
    elif step.get("materialize") == "cache":
        df = df.persist(StorageLevel.MEMORY_AND_DISK)
    df.createOrReplaceTempView(step["name"])


# --- quality (judged like core/src/quality/evaluate.ts) -----------------------------------------


def score(checks):
    total = sum(c["weight"] for c in checks)
    return 100.0 if total == 0 else 100.0 * sum(c["weight"] for c in checks if c["passed"]) / total


def jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


# Characters of a sample value kept (SAMPLE_TEXT_CHARS in core/src/quality/evaluate.ts): samples show
# what failed; a long value is cut and says how many characters were left out.
SAMPLE_TEXT_CHARS = 200


def sample_value(v):
    v = jsonable(v)
    if isinstance(v, str) and len(v) > SAMPLE_TEXT_CHARS:
        more = len(v) - SAMPLE_TEXT_CHARS
        return f"{v[:SAMPLE_TEXT_CHARS]}\u2026 ({more:,} more character{'' if more == 1 else 's'})"
    return v


def holds_time(t):
    from pyspark.sql import types as T

    if isinstance(t, (T.TimestampType, T.TimestampNTZType, T.DateType)):
        return True
    if isinstance(t, T.ArrayType):
        return holds_time(t.elementType)
    if isinstance(t, T.MapType):
        return holds_time(t.keyType) or holds_time(t.valueType)
    if isinstance(t, T.StructType):
        return any(holds_time(f.dataType) for f in t.fields)
    return False


def sample_rows(df):
    """A sample's columns with times as DuckDB writes them as text, converted in Spark: Python's
    datetime cannot hold every instant (a TIMESTAMPTZ of year 1 failed the job with 'year 0 is out of
    range'). An instant keeps its UTC offset (+00) as DuckDB's text does; a list or struct holding
    times is its JSON text."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    columns = []
    for f in df.schema.fields:
        c = F.col(f"`{f.name.replace('`', '``')}`")
        if isinstance(f.dataType, T.TimestampType):
            c = F.when(c.isNotNull(), F.concat(c.cast("string"), F.lit("+00")))
        elif isinstance(f.dataType, (T.TimestampNTZType, T.DateType)):
            c = c.cast("string")
        elif holds_time(f.dataType):
            c = F.to_json(c)
        else:
            columns.append(c)
            continue
        columns.append(c.alias(f.name))
    return df.select(*columns)


def evaluate_quality(spark, step):
    row = spark.sql(step["sql"]).collect()[0].asDict()
    n = int(row.get("n") or 0)
    samples = {s["index"]: s["sql"] for s in step.get("samples", [])}
    checks = []
    for c in step["checks"]:
        base = {k: c[k] for k in ("name", "kind", "severity", "weight", "columns", "expected") if k in c}
        if c.get("description"):
            base["description"] = c["description"]
        base["rowsEvaluated"] = n
        judge = c["judge"]
        i = c["index"]
        if judge["kind"] == "rows":
            failed = int(row.get(f"f_{i}") or 0)
            share = 0 if n == 0 else failed / n
            mostly = judge.get("mostly")
            passed = failed == 0 if mostly is None else 1 - share >= mostly - 1e-12
            rows = []
            if failed > 0 and step.get("sampleLimit", 0) > 0 and i in samples:
                rows = [{k: sample_value(v) for k, v in r.asDict().items()} for r in sample_rows(spark.sql(samples[i])).limit(step["sampleLimit"]).collect()]
            details = [] if mostly is None else [f"threshold: at least {('%.2f' % (mostly * 100)).rstrip('0').rstrip('.')}% of rows pass"]
            checks.append({**base, "passed": passed, "rowsFailed": failed, "failedPercent": share * 100, "details": details, "samples": rows})
        elif judge["kind"] == "sql":
            observed = row.get(f"o_{i}")
            checks.append({**base, "passed": row.get(f"p_{i}") is True, "rowsFailed": None, "failedPercent": None, "observed": "NULL (no values)" if observed is None else str(observed), "details": [], "samples": []})
        elif judge["kind"] == "fixed":
            checks.append({**base, "passed": judge["passed"], "rowsFailed": None, "failedPercent": None, "observed": judge["observed"], "details": judge["details"], "samples": []})
        else:
            raise RunFailed("execution", f"check '{c['name']}': judge {judge['kind']} is not available on Spark", step["node"])
    result = {"nodeId": step["node"], "score": score(checks), "rows": n, "checks": checks, "evaluatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if row.get("rejected") is not None:
        result["rejectedRows"] = int(row["rejected"])
    return result


def judge_node(result, step):
    for c in result["checks"]:
        if not c["passed"] and c["severity"] != "error":
            what = f"{c['rowsFailed']:,} rows quarantined" if c["severity"] == "quarantine" else "warning"
            emit({"type": "warning", "nodeId": step["node"], "message": f"quality check '{c['name']}' failed: expected {c['expected']} ({what})"})
    errors = [c for c in result["checks"] if not c["passed"] and c["severity"] == "error"]
    below = step.get("minScore") is not None and result["score"] < step["minScore"]
    if errors or below:
        lines = [f"  - '{c['name']}': expected {c['expected']}" + (f", {c['rowsFailed']:,} of {c['rowsEvaluated']:,} rows failed" if c.get("rowsFailed") is not None else f", observed {c.get('observed')}") for c in errors]
        if below:
            lines.append(f"  - the quality score {result['score']:.1f}% is below min_score {step['minScore']}%")
        head = f"{len(errors)} quality check{'s' if len(errors) != 1 else ''} with severity error failed" if errors else "quality score too low"
        raise RunFailed("quality", f"node '{step['node']}': {head}:\n" + "\n".join(lines), step["node"])


# --- sinks: stage, then publish all together ----------------------------------------------------


class StagedFile:
    def __init__(self, step, staged, aside, stage_dir):
        self.step, self.staged, self.aside, self.stage_dir = step, staged, aside, stage_dir
        self.target = step["sink"]["target"]
        self.moved_aside = False
        self.published = False
        self.existed = None  # whether the target was there when the commit began (the journal's)


def frame_for(spark, step):
    """The rows a sink writes, its columns named as the DuckDB plan spells them. A sink's own SELECT
    (values converted to text, a database sink's excluded columns left out) comes out of sqlglot with
    every name lower-cased, and the files' headers and keys are those names."""
    sink = step["sink"]
    df = spark.sql(sink["sql"]) if sink.get("sql") else spark.table(step["input"])
    return with_plan_names(df, [c["name"] for c in step["columns"]])


def with_plan_names(df, names):
    """df with the plan's spelling of its columns: by position when it has all of them, else (a sink
    SELECT that leaves some out) each matched by name regardless of case, as Spark resolves names."""
    if len(names) == len(df.columns):
        wanted = names
    else:
        spelled = {}
        for n in names:
            spelled.setdefault(n.lower(), []).append(n)
        wanted = [spelled[c.lower()][0] if len(spelled.get(c.lower(), [])) == 1 else c for c in df.columns]
    return df.toDF(*wanted) if wanted != df.columns else df


def counted(df, node, null=None):
    """The frame with its rows counted while it is written; with `null` (a CSV sink's null_string),
    also how many values of each text column equal it (see null_text)."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    obs = Observation(f"caudal_rows_{node}")
    metrics = [F.count(F.lit(1)).alias("rows")]
    if null:
        texts = [f.name for f in df.schema.fields if f.dataType.typeName() == "string"]
        metrics += [F.count(F.when(df[f"`{c.replace('`', '``')}`"] == F.lit(null), 1)).alias(f"null_text:{c}") for c in texts]
    return df.observe(obs, *metrics), obs


def null_text(step):
    """A CSV sink's null_string other than '': DuckDB quotes a text equal to it ("NULL") so it reads
    back as text; Spark's CSV writer cannot quote one value, so such a text fails the run instead."""
    sink = step["sink"]
    return sink.get("options", {}).get("nullValue") or None if sink["format"] == "csv" else None


def preflight(fs, steps):
    for step in steps:
        sink = step["sink"]
        if sink["format"] != "jdbc" and sink.get("ifExists", "fail") == "fail" and fs.exists(sink["target"]):
            raise RunFailed("validation", f"node '{step['node']}': {sink['target']} exists (if_exists is \"fail\"); nothing was read or written", step["node"])


def stage_names(target, run_id, node):
    """The staging folder and the name the previous version is moved aside to, next to the target."""
    return sibling(target, f"caudal-{run_id}-{node}", ".tmp"), sibling(target, f"caudal-{run_id}-{node}", ".old")


def stage_file(spark, fs, step, run_id, staged_list):
    """Writes the sink's output into its hidden staging folder; returns the rows written. The sink is
    listed in `staged_list` before anything is written, so a failure (or a job cancelled because
    caudal is gone) half way removes what it wrote."""
    sink = step["sink"]
    target = sink["target"]
    stage_dir, aside = stage_names(target, run_id, step["node"])
    staged_file = StagedFile(step, stage_dir, aside, stage_dir)
    staged_list.append(staged_file)
    parent = target.rstrip("/").rsplit("/", 1)[0]
    fs.mkdirs(parent)
    df, obs = counted(failpoint_frame(frame_for(spark, step), step["node"]), step["node"], null_text(step))
    if sink.get("singleFile"):
        # One task writes the one file; after a sort, coalesce keeps the rows in order.
        df = df.coalesce(1) if sink.get("ordered") else df.repartition(1)
    writer = df.write.format(sink["format"]).options(**sink.get("options", {})).mode("errorifexists")
    if sink.get("partitionBy"):
        writer = writer.partitionBy(*sink["partitionBy"])
    writer.save(stage_dir)
    metrics = obs.get
    rows = int(metrics.get("rows", 0))
    for name in [k.split(":", 1)[1] for k, v in metrics.items() if k.startswith("null_text:") and v]:
        null = sink["options"]["nullValue"]
        raise RunFailed("execution", f"node '{step['node']}': column \"{name}\" holds the text '{null}', which is the sink's null_string: DuckDB writes it quoted (\"{null}\") so it reads back as text, Spark's CSV writer cannot quote one value, so it would read back as NULL; choose a null_string that no text equals, or keep this pipeline on the DuckDB engine", step["node"])
    if sink.get("singleFile"):
        parts = [p for p in fs.list(stage_dir) if p.rsplit("/", 1)[-1].startswith("part-")]
        if len(parts) != 1:
            raise RunFailed("execution", f"node '{step['node']}': expected one part file in {stage_dir}, found {len(parts)}", step["node"])
        staged_file.staged = parts[0]
    return rows


def failpoint(name):
    """Tests stop a run at a named step to check the undo: CAUDAL_SPARK_FAILPOINT=publish:<node> fails
    it there; kill:<name> kills the driver outright, as kill -9 or the out-of-memory killer would;
    hang:<name> stops it there until something kills it; pause:<name> for ten seconds."""
    point = os.environ.get("CAUDAL_SPARK_FAILPOINT")
    if point == name:
        raise RunFailed("execution", f"failpoint {name}")
    if point == f"kill:{name}":
        os.kill(os.getpid(), signal.SIGKILL)
    if point == f"hang:{name}":
        time.sleep(3600)
    if point == f"pause:{name}":
        time.sleep(10)


def failpoint_frame(df, node):
    """CAUDAL_SPARK_FAILPOINT=slowwrite:<node>: the sink's rows pass a filter that sleeps two minutes
    per partition, for tests of what stops a write under way (its first task says so on stderr)."""
    if os.environ.get("CAUDAL_SPARK_FAILPOINT") != f"slowwrite:{node}":
        return df
    from pyspark.sql.functions import lit, udf

    def slow(_):
        print(f"caudal_spark: failpoint slowwrite:{node} running", file=sys.stderr, flush=True)
        time.sleep(120)
        return True
    return df.filter(udf(slow, "boolean")(lit(1)))


def publish_files(fs, staged):
    for s in staged:
        if fs.exists(s.target):
            if s.step["sink"].get("ifExists", "fail") == "fail":
                raise RunFailed("execution", f"node '{s.step['node']}': {s.target} appeared during the run (if_exists is \"fail\")", s.step["node"])
            fs.rename(s.target, s.aside)
            s.moved_aside = True
        fs.rename(s.staged, s.target)
        s.published = True
        failpoint(f"publish:{s.step['node']}")


def settle_tasks(spark, timeout=30.0):
    """Waits until no task runs. A cancelled or failed write's job ends at once, but its tasks stop
    a moment later, and one still writing would put its part file back into a staging folder the
    undo has just deleted. Returns at once when the JVM is gone (Ctrl-C).

    The tracker counts the tasks the listener bus has told it about, and the bus runs behind the
    scheduler: on a busy machine a task that had started when the job was cancelled was not yet
    counted, so the count read 0 while it still wrote. The bus is drained first, and the count is
    the bus's view, which a killed task leaves before its thread has stopped writing; in local mode
    (where the files are this machine's) the task threads of this JVM are waited for too."""
    try:
        sc = spark.sparkContext._jsc.sc()
        end = time.time() + timeout
        sc.listenerBus().waitUntilEmpty(int(timeout * 1000))
        tracker = sc.statusTracker()
        while time.time() < end and (sum(e.numRunningTasks() for e in tracker.getExecutorInfos()) > 0 or local_task_threads(spark) > 0):
            time.sleep(0.1)
    except Exception:  # noqa: BLE001  (no JVM to ask: nothing runs there any more; or the bus timed out)
        pass


def local_task_threads(spark):
    """Threads of this JVM running a task (local mode). Spark's task threads keep the name of their
    last task while idle in the pool, so a thread counts while a task runner is at the bottom of its
    stack (under the pool's worker frames; an idle one waits in the pool's getTask there instead)."""
    count = 0
    for entry in spark._jvm.java.lang.Thread.getAllStackTraces().entrySet().toArray():
        if not entry.getKey().getName().startswith("Executor task launch worker"):
            continue
        stack = entry.getValue()
        n = len(stack)
        if any(stack[i].getClassName() == "org.apache.spark.executor.Executor$TaskRunner" for i in range(max(0, n - 5), n)):
            count += 1
    return count


def undo_files(fs, staged):
    """Puts every target back as it was; True when all of it was done."""
    clean = True
    for s in reversed(staged):
        try:
            if s.published:
                fs.delete(s.target)
            if s.moved_aside:
                fs.rename(s.aside, s.target)
        except Exception as e:  # keep undoing the others; say what is left
            clean = False
            emit({"type": "warning", "nodeId": s.step["node"], "message": f"could not restore {s.target}: {e}; the previous version is at {s.aside}"})
        try:
            fs.delete(s.stage_dir)
        except Exception:
            clean = False
    return clean


def remove_stage_dirs(fs, staged):
    """Deletes staging folders that reappeared after the undo; True when none is left."""
    clean = True
    for s in staged:
        try:
            if fs.exists(s.stage_dir):
                fs.delete(s.stage_dir)
        except Exception:  # noqa: BLE001  (said by the journal left behind)
            clean = False
    return clean


def finalize_files(fs, staged):
    for s in staged:
        if s.moved_aside:
            fs.delete(s.aside)
        if s.stage_dir != s.staged or not s.published:
            fs.delete(s.stage_dir)


# --- JDBC sinks: a staging table per sink, published in one transaction on the driver -----------


def quote_pg(name):
    return '"' + name.replace('"', '""') + '"'


def quote_tsql(name):
    return "[" + name.replace("]", "]]") + "]"


def quote_for(j, name):
    return quote_tsql(name) if j.get("dialect") == "sqlserver" else quote_pg(name)


def rendered(statements, stage_table, j):
    """Statements given as parts (SQL text, or {"stage": true} where the staging table's name goes)."""
    return ["".join(quote_for(j, stage_table) if isinstance(part, dict) else part for part in parts) for parts in statements]


def stage_table_name(j, run_id):
    return f"{j['table'][:30]}__caudal_{run_id}"


def prepared_id(run_id, node):
    """The id of a sink's prepared transaction: the DuckDB engine's form (postgres/write.ts preparedId)."""
    return f"caudal:{run_id}:{node}"[:199]


def sql_text(value):
    return "'" + value.replace("'", "''") + "'"


class StagedJdbc:
    def __init__(self, step, stage_table):
        self.step, self.stage_table = step, stage_table
        self.prepared = None  # the prepared transaction's id once PREPARE TRANSACTION ran
        self.conn = None


def stage_jdbc(spark, step, run_id, staged_list):
    """Creates the staging table with the PostgreSQL types the DuckDB engine would use, then
    appends the rows with Spark's JDBC writer (each task in its own transaction)."""
    j = step["sink"]["jdbc"]
    stage_table = stage_table_name(j, run_id)
    staged = StagedJdbc(step, stage_table)
    staged_list.append(staged)  # from here on a failure drops the staging table
    with database_errors(step):
        conn = jdbc_connection(spark, j, step["node"])
        try:
            st = conn.createStatement()
            if j.get("statements"):
                for sql in rendered(j["statements"]["stage"], stage_table, j):
                    st.execute(sql)
            else:
                ensure_pg_schema(conn, j["schema"])
                st.execute(f"CREATE TABLE {quote_pg(j['schema'])}.{quote_pg(stage_table)} ({', '.join(quote_pg(c['name']) + ' ' + c['type'] for c in j['columnTypes'])})")
            conn.commit()
        finally:
            conn.close()
        df, obs = counted(frame_for(spark, step), step["node"])
        writer = df.write.format("jdbc").option("url", j["url"]).option("driver", j["driver"]).option("dbtable", f"{quote_for(j, j['schema'])}.{quote_for(j, stage_table)}").option("batchsize", "10000")
        for k, v in jdbc_properties(j).items():
            writer = writer.option(k, v)
        writer.mode("append").save()
    return int(obs.get.get("rows", 0))


# SQL Server's numbers for a permission the login lacks (object, column, CREATE TABLE, DROP, TRUNCATE).
TSQL_DENIED = {229, 230, 262, 3701, 1088}


@contextlib.contextmanager
def database_errors(step):
    """A database's refusal while a sink stages or publishes, named by node and connection, and by
    what the mode needs when a privilege was missing (as the DuckDB engine's sinks say it:
    postgres/errors.ts, sqlserver/errors.ts). Failures that are not the database's pass unchanged."""
    try:
        yield
    except RunFailed:
        raise
    except Exception as e:  # noqa: BLE001  (only a JDBC failure is reworded; anything else re-raised)
        sql_error = sql_exception(e)
        if sql_error is None:
            raise
        j = step["sink"]["jdbc"]
        tsql = j.get("dialect") == "sqlserver"
        state, number = sql_error
        message = f"node '{step['node']}' (connection '{j['connection']}'): {'SQL Server' if tsql else 'PostgreSQL'} said: {spark_error_text(e)}"
        if (tsql and number in TSQL_DENIED) or (not tsql and state == "42501"):
            message += f" (hint: {privilege_hint(j['mode'], tsql)})"
        raise RunFailed("execution", message, step["node"]) from e


def sql_exception(e):
    """(SQLState, vendor error number) of the first java.sql.SQLException in the JVM cause chain."""
    cause, depth = getattr(e, "java_exception", None), 0
    while cause is not None and depth < 20:
        try:
            return cause.getSQLState(), cause.getErrorCode()
        except Exception:  # noqa: BLE001  (not an SQLException: no such method)
            cause, depth = cause.getCause(), depth + 1
    return None


def privilege_hint(mode, tsql):
    """What a mode needs of the connection's user (postgres/errors.ts and sqlserver/errors.ts say the same)."""
    who = "login" if tsql else "user"
    grant = f"grant it to the connection's {who} (GRANT … TO <user>), or connect as a {who} that has it"
    if mode == "replace":
        if tsql:
            return f'mode "replace" drops the table and creates it anew, which needs ALTER on its schema and CREATE TABLE in the database: {grant}, or use "truncate_insert" (needs ALTER and INSERT on the table) or "append"'
        return 'mode "replace" drops the table and creates it anew, which only its owner may do: connect as the owner, or use "truncate_insert" (needs TRUNCATE and INSERT on the table) or "append"'
    if mode == "truncate_insert":
        return f'mode "truncate_insert" empties the table first, which needs {"ALTER on the table" if tsql else "the TRUNCATE privilege"} besides INSERT: {grant}, or use "append"'
    if mode == "upsert":
        return f'mode "upsert" needs SELECT, INSERT and UPDATE on the table (and DELETE with a delete flag): {grant}'
    return f'mode "append" needs INSERT on the table (and CREATE on its schema when the table is created; the staging table needs it too on Spark): {grant}'


def ensure_pg_schema(conn, schema):
    """Creates the schema when it is missing, and only then: CREATE SCHEMA, even with IF NOT EXISTS,
    needs the CREATE privilege on the database, which a role loading into its own schema often lacks."""
    ps = conn.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")
    try:
        ps.setString(1, schema)
        if ps.executeQuery().next():
            return
    finally:
        ps.close()
    st = conn.createStatement()
    try:
        st.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_pg(schema)}")
    finally:
        st.close()


def jdbc_connection(spark, j, node=None):
    """A JDBC connection on the driver. The driver class comes from spark.jars.packages, which only
    Spark's context class loader sees (not DriverManager's), so it is instantiated from there."""
    jvm = spark._jvm
    props = jvm.java.util.Properties()
    for k, v in jdbc_properties(j).items():
        props.setProperty(k, v)
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    driver = loader.loadClass(j["driver"]).newInstance()
    try:
        conn = driver.connect(j["url"], props)
    except Exception as e:
        # A Py4J error's first line names a JVM object ("An error occurred while calling o72.connect"):
        # the driver's own message says what went wrong.
        java = getattr(e, "java_exception", None)
        reason = java.getMessage() if java is not None else str(e)
        raise RunFailed("execution", f"connection '{j['connection']}': cannot connect to {j['url']}: {reason}", node)
    if conn is None:
        raise RunFailed("execution", f"the JDBC driver {j['driver']} does not accept {j['url']}")
    conn.setAutoCommit(False)
    return conn


# Text targets take the staged text as it is (an explicit cast to varchar(n) would cut it without a word).
TEXT_TYPES = re.compile(r"^(text|character varying.*|character.*|citext|name)$")


def publish_statements(j, stage_table, target_types=None):
    """`target_types`: an existing target's column types (PostgreSQL): staged text goes into a column
    of another type through a cast, PostgreSQL's input parse of the text, as COPY does on DuckDB
    (an INSERT … SELECT would refuse text for a date column)."""
    if j.get("statements"):
        return rendered(j["statements"]["publish"], stage_table, j)
    target = f"{quote_pg(j['schema'])}.{quote_pg(j['table'])}"
    stage = f"{quote_pg(j['schema'])}.{quote_pg(stage_table)}"
    cols = ", ".join(quote_pg(c["name"]) for c in j["columnTypes"])

    def staged_value(c):
        into = (target_types or {}).get(c["name"])
        if j["mode"] != "replace" and c["type"] == "text" and into and not TEXT_TYPES.match(into):
            return f"CAST({quote_pg(c['name'])} AS {into})"
        return quote_pg(c["name"])
    values = ", ".join(staged_value(c) for c in j["columnTypes"])
    out = []  # (the schema exists: the staging table is in it)
    if j.get("preSql"):
        out.append(j["preSql"])
    if j["mode"] == "replace":
        out.append(f"DROP TABLE IF EXISTS {target}")
        out.append(f"CREATE TABLE {target} ({', '.join(quote_pg(c['name']) + ' ' + c['type'] for c in j['columnTypes'])}" + (f", PRIMARY KEY ({', '.join(quote_pg(k) for k in j['keys'])})" if j.get("keys") else "") + ")")
    elif j.get("createTable", True):
        keys = f", PRIMARY KEY ({', '.join(quote_pg(k) for k in j['keys'])})" if j["mode"] == "upsert" and j.get("keys") else ""
        out.append(f"CREATE TABLE IF NOT EXISTS {target} ({', '.join(quote_pg(c['name']) + ' ' + c['type'] for c in j['columnTypes'])}{keys})")
    if j["mode"] == "truncate_insert":
        out.append(f"TRUNCATE {target}")
    insert = f"INSERT INTO {target} ({cols}) SELECT {values} FROM {stage}"
    if j["mode"] == "upsert":
        keys = ", ".join(quote_pg(k) for k in j["keys"])
        updates = ", ".join(f"{quote_pg(c['name'])} = EXCLUDED.{quote_pg(c['name'])}" for c in j["columnTypes"] if c["name"] not in j["keys"])
        insert += f" ON CONFLICT ({keys}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING")
    out.append(insert)
    if j.get("postSql"):
        out.append(j["postSql"])
    out.append(f"DROP TABLE {stage}")
    return out


# --- JDBC sinks: values an existing table's columns would change -------------------------------
# The publishing INSERT converts each staged value to its target column's type, and some conversions
# change values without a word (12.345 into numeric(10,2) becomes 12.35). The DuckDB engine checks
# such values while it sends them (core/src/connectors/assign.ts); here they are in the staging
# table, so the server looks for the first one there, before publishing, and the run stops naming it.

EXACT_IN_DOUBLE = {"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"}
EXACT_IN_FLOAT = {"TINYINT", "SMALLINT", "UTINYINT", "USMALLINT"}
INTEGERS = EXACT_IN_DOUBLE | {"BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT"}
TIMESTAMPS = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_US", "DATETIME", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"}
WITH_FRACTIONS = {"TIMESTAMP", "TIMESTAMP_MS", "TIMESTAMP_US", "DATETIME", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIME"}


def decimal_of(duck_type):
    m = re.match(r"^DECIMAL\((\d+),\s*(\d+)\)$", duck_type)
    return (int(m.group(1)), int(m.group(2))) if m else None


def target_of(dialect, shown):
    """(kind, detail) of a target column type as the server names it, or None when no input changes."""
    t = shown.strip().lower()
    if dialect == "sqlserver":
        m = re.match(r"^([a-z0-9_ ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$", t)
        if not m:
            return None
        name, first, second = m.group(1), m.group(2), m.group(3)
        if name in ("tinyint", "smallint", "int", "bigint"):
            return ("integer", None)
        if name in ("decimal", "numeric") and second is not None:
            return ("numeric", int(second))
        if name in ("money", "smallmoney"):
            return ("numeric", 4)
        if name in ("float", "real"):
            return ("float", "FLOAT" if name == "real" or (first is not None and int(first) <= 24) else "DOUBLE")
        if name == "date":
            return ("date", None)
        if name == "time":
            return ("time", int(first) if first else 7)
        if name in ("datetime2", "datetimeoffset"):
            return ("timestamp", int(first) if first else 7)
        if name in ("datetime", "smalldatetime"):
            return (name, None)
        return None
    if t in ("smallint", "integer", "bigint"):
        return ("integer", None)
    m = re.match(r"^numeric\((\d+),(\d+)\)$", t)
    if m:
        return ("numeric", int(m.group(2)))
    if t in ("double precision", "real"):
        return ("float", "FLOAT" if t == "real" else "DOUBLE")
    if t == "date":
        return ("date", None)
    m = re.match(r"^(time|timestamp)(?:\((\d)\))?(?: with(?:out)? time zone)?$", t)
    if m:
        return (m.group(1), int(m.group(2)) if m.group(2) is not None else 6)
    return None


def truncation(name, digits):
    if digits == 0:
        return f"truncate it on purpose first (a Derive with date_trunc('second', {name}))"
    if digits == 3:
        return f"truncate it on purpose first (a Derive with date_trunc('millisecond', {name}))"
    return f"truncate it to {digits} fractional digit{'' if digits == 1 else 's'} of a second on purpose first"


def value_loss(dialect, column, shown, shown_as=None):
    """What loading `column` (name, DuckDB type) into a column of type `shown` can change: None,
    ("refuse", message) for every value, or ("check", predicate(c), what[, "element"]) where
    predicate is the server's SQL true for a staged value `c` that would change, and what ends the
    message. A list into a PostgreSQL array column is judged element by element ("element": `c` is
    then one element of the staged array, as unnest gives them, and `shown_as` the array's type)."""
    if dialect != "sqlserver" and shown.strip().endswith("[]") and shown_as is None:
        duck = column["type"].strip().upper()
        if not duck.endswith("[]"):
            return None
        # PostgreSQL's arrays have no fixed depth (unnest reads every level), so nor do the elements here.
        element = {"name": column["name"], "type": re.sub(r"(\[\])+$", "", duck)}
        loss = value_loss(dialect, element, shown.strip()[:-2], shown)
        if loss is None or loss[0] == "refuse":
            return loss
        name = column["name"]
        return ("check", loss[1], f"{loss[2]}; in a list, do it to each element (a Derive with list_transform({name}, x -> …))", "element")
    target = target_of(dialect, shown)
    if target is None:
        return None
    kind, detail = target
    name, duck = column["name"], column["type"].strip().upper()
    into = f'the table\'s column "{name}" ({shown_as or shown})'
    tsql = dialect == "sqlserver"
    dec = decimal_of(duck)
    fractional = duck in ("DOUBLE", "FLOAT", "REAL") or (dec is not None and dec[1] > 0)
    if duck == "VARCHAR":
        return tsql_text_loss(kind, detail, name, into, shown) if tsql else text_loss(kind, detail, name, into)
    if kind == "time" and duck in TIMESTAMPS:
        return ("refuse", f'column "{name}" is {column["type"]} in the input, but {into} holds a time of day: writing it would drop the date of every value; convert it on purpose first (a Derive with CAST({name} AS TIME)), or make the table\'s column a timestamp')
    if kind in ("timestamp", "datetime", "smalldatetime") and duck == "TIME":
        return ("refuse", f'column "{name}" is TIME in the input, but {into} holds a date and a time: writing it would give every value a date the data does not hold; add the date on purpose first (a Derive with some_date + {name}), or make the table\'s column a time')
    if kind == "datetime" and duck in TIMESTAMPS:
        return ("check", lambda c: f"(DATEPART(microsecond, {c}) % 1000 <> 0 OR DATEPART(millisecond, {c}) % 10 NOT IN (0, 3, 7))",
                f"whose fraction of a second {into} would round (it keeps steps of 1/300 s, shown as .000, .003 and .007): truncate it on purpose first (a Derive with date_trunc('second', {name})), or make the table's column datetime2")
    if kind == "smalldatetime" and duck in TIMESTAMPS:
        return ("check", lambda c: f"(DATEPART(second, {c}) <> 0 OR DATEPART(microsecond, {c}) <> 0)",
                f"whose seconds {into} would round to the minute: truncate it on purpose first (a Derive with date_trunc('minute', {name})), or make the table's column datetime2")
    if kind == "date" and duck in TIMESTAMPS:
        # Judged in UTC, as the DuckDB engine does (a timestamptz's date in the session's zone would differ).
        if tsql:
            pred = lambda c: f"CAST({c} AS time) <> '00:00:00'"
        elif duck in ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"):
            pred = lambda c: f"({c} AT TIME ZONE 'UTC')::time <> '00:00:00'"
        else:
            pred = lambda c: f"{c}::time <> '00:00:00'"
        return ("check", pred, f"whose time of day {into} would drop: convert it on purpose first (a Derive with CAST({name} AS DATE) keeps the date), or make the table's column a timestamp")
    if kind == "float":
        exact = EXACT_IN_FLOAT if detail == "FLOAT" else EXACT_IN_DOUBLE
        digits = 6 if detail == "FLOAT" else 15
        if (duck in INTEGERS and duck not in exact) or (dec is not None and dec[0] > digits):
            if tsql:
                back = f"decimal({dec[0]},{dec[1]})" if dec else "decimal(38,0)"
                pred = lambda c: f"CAST(CAST({c} AS {'real' if detail == 'FLOAT' else 'float'}) AS {back}) <> {c}"
            else:
                # Through the float's text (the shortest that gives it back): PostgreSQL's float-to-numeric cast keeps 15 digits.
                pred = lambda c: f"({c})::{'real' if detail == 'FLOAT' else 'double precision'}::text::numeric <> ({c})::numeric"
            return ("check", pred, f"({column['type']}), which {into} cannot hold exactly; make the table's column a type that holds it (bigint, numeric), or round it on purpose first (a Derive with CAST({name} AS DOUBLE))")
        return None
    if kind == "integer" and fractional:
        pred = (lambda c: f"{c} <> ROUND({c}, 0, 1)") if tsql else (lambda c: f"{c} <> trunc({c})")
        return ("check", pred, f"which is not a whole number, and {into} holds whole numbers: round it on purpose first (a Derive with round({name}) or trunc({name})), or make the table's column a decimal type")
    if kind == "numeric" and (duck in ("DOUBLE", "FLOAT", "REAL") or (dec is not None and dec[1] > detail)):
        s = detail
        if tsql:
            pred = lambda c: f"ROUND({c}, {s}) <> {c}"
        elif dec is None:
            # A double compared through its text: PostgreSQL's float-to-numeric cast keeps 15 digits.
            pred = lambda c: f"round(({c})::text::numeric, {s}) <> ({c})::text::numeric"
        else:
            pred = lambda c: f"round({c}, {s}) <> {c}"
        return ("check", pred, f"which {into} would round to {s} decimal place{'' if s == 1 else 's'}: round it on purpose first (a Derive with round({name}, {s})), or give the table's column more decimal places")
    same_kind = (kind == "time") == (duck == "TIME")
    if kind in ("timestamp", "time") and detail < 6 and duck in WITH_FRACTIONS and same_kind:
        step = 10 ** (6 - detail)
        pred = (lambda c: f"DATEPART(microsecond, {c}) % {step} <> 0") if tsql else (lambda c: f"mod(extract(microseconds from {c})::bigint, {step}) <> 0")
        return ("check", pred, f"whose fraction of a second {into} would round: {truncation(name, detail)}, or give the table's column more precision")
    return None


def text_loss(kind, detail, name, into):
    """PostgreSQL's parse of staged text that would change it (as text_loss in assign.ts): more decimal
    places than numeric(p,s) keeps, a time of day into a date, more digits of a second than a
    timestamp or time keeps. Text the server parses its own way, or refuses, is left to it; each
    predicate first matches the text, so a value that is not a number or an ISO timestamp is not cast."""
    if kind == "numeric":
        s = detail
        pred = lambda c: (f"CASE WHEN {c} ~ '^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?\\s*$' "
                          f"THEN round(trim({c})::numeric, {s}) <> trim({c})::numeric ELSE false END")
        return ("check", pred, f"which {into} would round to {s} decimal place{'' if s == 1 else 's'}: round it on purpose first (a Derive with round(CAST({name} AS DOUBLE), {s})), or give the table's column more decimal places")
    if kind == "date":
        pred = lambda c: (f"CASE WHEN {c} ~ '^\\s*[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}[ T][0-9]{{1,2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?\\s*$' "
                          f"THEN trim({c})::timestamp::time <> '00:00:00' ELSE false END")
        return ("check", pred, f"whose time of day {into} would drop: convert it on purpose first (a Derive with CAST(CAST({name} AS TIMESTAMP) AS DATE) keeps the date), or make the table's column a timestamp")
    if kind in ("timestamp", "time") and detail < 9:
        n = detail
        pred = lambda c: f"coalesce(length(rtrim(substring({c} from ':[0-9][0-9]\\.([0-9]+)'), '0')), 0) > {n}"
        return ("check", pred, f"whose fraction of a second {into} would round: {truncation(name, n)}, or give the table's column more precision")
    return None


def tsql_text_loss(kind, detail, name, into, shown):
    """SQL Server's parse of staged text that would change it (as textLoss in assign.ts), judged by
    the server itself: the text converted to the column's type against the text read exactly
    (datetime2(7), time(7)), and for decimals the digits written after the point. Text SQL Server
    cannot read that way (TRY_CAST gives NULL) is left to the load, which then fails on it."""
    def v(c):
        return f"LTRIM(RTRIM({c}))"
    if kind == "numeric":
        s = detail

        def pred(c):
            fraction = f"SUBSTRING({v(c)}, CHARINDEX('.', {v(c)}) + 1, 4000)"
            # Its digits without the trailing zeros: the length less the zeros at its end.
            return f"(CHARINDEX('.', {v(c)}) > 0 AND {v(c)} NOT LIKE '%[eE]%' AND LEN({fraction}) - PATINDEX('%[^0]%', REVERSE({fraction}) + 'x') + 1 > {s})"
        return ("check", pred, f"which {into} would round to {s} decimal place{'' if s == 1 else 's'}: round it on purpose first (a Derive with round(CAST({name} AS DOUBLE), {s})), or give the table's column more decimal places")
    if kind == "date":
        return ("check", lambda c: f"CAST(TRY_CAST({v(c)} AS datetime2(7)) AS time) <> '00:00:00'",
                f"whose time of day {into} would drop: convert it on purpose first (a Derive with CAST(CAST({name} AS TIMESTAMP) AS DATE) keeps the date), or make the table's column a timestamp")
    if kind in ("datetime", "smalldatetime"):
        pred = lambda c: f"TRY_CAST({v(c)} AS datetime2(7)) <> CAST(TRY_CAST({v(c)} AS {kind}) AS datetime2(7))"
        if kind == "datetime":
            return ("check", pred, f"whose fraction of a second {into} would round (it keeps steps of 1/300 s, shown as .000, .003 and .007): truncate it on purpose first (a Derive with date_trunc('second', CAST({name} AS TIMESTAMP))), or make the table's column datetime2")
        return ("check", pred, f"whose seconds {into} would round to the minute: truncate it on purpose first (a Derive with date_trunc('minute', CAST({name} AS TIMESTAMP))), or make the table's column datetime2")
    if kind in ("timestamp", "time") and detail < 7:
        base = "time" if kind == "time" else ("datetimeoffset" if shown.strip().lower().startswith("datetimeoffset") else "datetime2")
        pred = lambda c: f"TRY_CAST({v(c)} AS {base}(7)) <> CAST(TRY_CAST({v(c)} AS {base}({detail})) AS {base}(7))"
        return ("check", pred, f"whose fraction of a second {into} would round: {truncation(name, detail)}, or give the table's column more precision")
    return None


def table_types(conn, j):
    """The target table's column types as the server names them (name -> type), or None when it does not exist."""
    tsql = j.get("dialect") == "sqlserver"
    if tsql:
        sql = ("SELECT c.name, TYPE_NAME(c.user_type_id), c.precision, c.scale FROM sys.columns c WHERE c.object_id = OBJECT_ID(?)")
        arg = f"{quote_tsql(j['schema'])}.{quote_tsql(j['table'])}"
    else:
        sql = ("SELECT a.attname, format_type(a.atttypid, a.atttypmod), 0, 0 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
               "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped")
    ps = conn.prepareStatement(sql)
    try:
        if tsql:
            ps.setString(1, arg)
        else:
            ps.setString(1, j["schema"])
            ps.setString(2, j["table"])
        rs = ps.executeQuery()
        types = {}
        while rs.next():
            name, type_name = rs.getString(1), rs.getString(2)
            if tsql:
                t, precision, scale = type_name.lower(), rs.getInt(3), rs.getInt(4)
                if t in ("decimal", "numeric"):
                    type_name = f"{t}({precision},{scale})"
                elif t in ("time", "datetime2", "datetimeoffset"):
                    type_name = f"{t}({scale})"
            types[name.lower() if tsql else name] = type_name
        return types or None
    finally:
        ps.close()


def check_values(staged, conn):
    """Stops the run at the first staged value that its existing target column would change; returns
    the target's column types (None when the table does not exist yet or is replaced)."""
    step, j = staged.step, staged.step["sink"]["jdbc"]
    if j["mode"] == "replace":
        return None
    types = table_types(conn, j)
    if not types:
        return None
    tsql = j.get("dialect") == "sqlserver"
    stage = f"{quote_for(j, j['schema'])}.{quote_for(j, staged.stage_table)}"
    for column in step["columns"]:
        shown = types.get(column["name"].lower() if tsql else column["name"])
        loss = value_loss(j.get("dialect"), column, shown) if shown else None
        if loss is None:
            continue
        if loss[0] == "refuse":
            raise RunFailed("validation", loss[1], step["node"])
        c = quote_for(j, column["name"])
        element = len(loss) > 3
        text = f"CAST({c} AS nvarchar(100))" if tsql else f"{c}::text"
        if element:
            sql = f"SELECT e.v::text FROM {stage} CROSS JOIN LATERAL unnest({c}) AS e(v) WHERE {loss[1]('e.v')} LIMIT 1"
        elif tsql:
            sql = f"SELECT TOP 1 {text} FROM {stage} WHERE {loss[1](c)}"
        else:
            sql = f"SELECT {text} FROM {stage} WHERE {loss[1](c)} LIMIT 1"
        st = conn.createStatement()
        try:
            rs = st.executeQuery(sql)
            if rs.next():
                what = loss[2]
                holds = "a list with the element " if element else ""
                raise RunFailed("execution", f'column "{column["name"]}" holds {holds}{rs.getString(1)}{" " if what.startswith("(") else ", "}{what}', step["node"])
        finally:
            st.close()
    return types


def prepare_jdbc(spark, staged, run_id, locks):
    """Runs each sink's publishing statements in an open transaction (not committed yet). On a
    PostgreSQL server that allows it (max_prepared_transactions > 0) the transaction is then prepared
    (PREPARE TRANSACTION): durable on the server, so a commit decided before the driver died can be
    completed by the recovery, as on the DuckDB engine."""
    for s in staged:
        j = s.step["sink"]["jdbc"]
        s.conn = locks.connection(spark, j, s.step["node"])
        with database_errors(s.step):
            types = check_values(s, s.conn)
            st = s.conn.createStatement()
            try:
                for sql in publish_statements(j, s.stage_table, types):
                    st.execute(sql)
                if j.get("dialect") != "sqlserver" and prepared_transactions_allowed(s.conn):
                    gid = prepared_id(run_id, s.step["node"])
                    st.execute(f"PREPARE TRANSACTION {sql_text(gid)}")
                    s.prepared = gid
                    failpoint(f"prepared:{s.step['node']}")
            finally:
                st.close()


class TableLocks:
    """The server-side lock of each database sink's table, taken when the job starts and held until
    that sink commits or rolls back: a PostgreSQL advisory lock or a SQL Server application lock,
    owned by the transaction that later publishes the rows, under the name DuckDB runs take
    (`lockKey`, core/src/connectors/table-lock.ts). So a load on either engine, from any machine,
    excludes the others; a second one stops at once (exit 75) or, with --wait-for-locks, waits."""

    def __init__(self):
        self.conns = {}

    def take(self, spark, sinks, wait, caller):
        for step in sinks:
            j = step["sink"].get("jdbc")
            if not j or not j.get("lockKey"):
                continue
            conn = jdbc_connection(spark, j, step["node"])
            self.conns[step["node"]] = conn
            waiting = False
            if j.get("dialect") != "sqlserver":
                # The transaction waits for the whole job (it publishes at the end): a server's
                # idle_in_transaction_session_timeout must not end it, and with it the lock, meanwhile.
                st = conn.createStatement()
                try:
                    st.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
                finally:
                    st.close()
            while not try_table_lock(conn, j):
                what = f"table {quote_for(j, j['schema'])}.{quote_for(j, j['table'])} (connection '{j['connection']}')"
                if not wait:
                    raise RunFailed("busy", f"node '{step['node']}': {what} is being loaded by another Caudal run; run again when it has finished, or pass --wait to wait for it", step["node"])
                if not waiting:
                    emit({"type": "warning", "message": f"node '{step['node']}': waiting for {what}, which another Caudal run is loading"})
                    waiting = True
                time.sleep(1)
                caller.check()

    def connection(self, spark, j, node):
        """The sink's connection, in the transaction that holds its lock."""
        return self.conns.pop(node, None) or jdbc_connection(spark, j, node)

    def release(self):
        """Closes the connections no sink took over (a run that failed before publishing): the
        server rolls their transactions back, which releases the locks."""
        for conn in self.conns.values():
            try:
                conn.close()
            except Exception:  # noqa: BLE001  (the server ends the session's transaction either way)
                pass
        self.conns = {}


def try_table_lock(conn, j):
    """True when this connection's transaction now holds the table's lock; False when another holds it."""
    if j.get("dialect") == "sqlserver":
        # A lock owned by the transaction needs one open: with autocommit off the driver begins
        # one only at the first statement that touches data, which a procedure call is not.
        ps = conn.prepareStatement("SET NOCOUNT ON; IF @@TRANCOUNT = 0 BEGIN TRANSACTION; DECLARE @r int; EXEC @r = sp_getapplock @Resource = ?, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 0; SELECT @r")
    else:
        ps = conn.prepareStatement("SELECT CASE WHEN pg_try_advisory_xact_lock(hashtextextended(?, 0)) THEN 0 ELSE -1 END")
    try:
        ps.setString(1, j["lockKey"])
        has_rows = ps.execute()
        while not has_rows and ps.getUpdateCount() != -1:
            has_rows = ps.getMoreResults()
        if not has_rows:
            raise RunFailed("execution", f"connection '{j['connection']}': the table lock query returned no answer")
        rs = ps.getResultSet()
        return rs.next() and rs.getInt(1) >= 0
    finally:
        ps.close()


def prepared_transactions_allowed(conn):
    st = conn.createStatement()
    try:
        rs = st.executeQuery("SELECT current_setting('max_prepared_transactions')::int")
        return rs.next() and rs.getInt(1) > 0
    finally:
        st.close()


def finish_prepared(conn, gid, action):
    """COMMIT PREPARED or ROLLBACK PREPARED, which run outside a transaction (autocommit)."""
    conn.setAutoCommit(True)
    st = conn.createStatement()
    try:
        st.execute(f"{action} PREPARED {sql_text(gid)}")
    finally:
        st.close()


def commit_jdbc(s):
    if s.prepared:
        finish_prepared(s.conn, s.prepared, "COMMIT")
    else:
        s.conn.commit()
    s.conn.close()


def rollback_jdbc(spark, staged):
    """Rolls each sink's transaction back and drops its staging table; True when all of it was done."""
    clean = True
    for s in staged:
        j = s.step["sink"]["jdbc"]
        try:
            if s.conn is not None:
                if s.prepared:
                    # A prepared transaction outlives its session: end it before the staging table
                    # (which it holds locked) can be dropped.
                    finish_prepared(s.conn, s.prepared, "ROLLBACK")
                else:
                    s.conn.rollback()
                s.conn.close()
            conn = jdbc_connection(spark, j)
            st = conn.createStatement()
            drops = rendered(j["statements"]["drop"], s.stage_table, j) if j.get("statements") else [f"DROP TABLE IF EXISTS {quote_pg(j['schema'])}.{quote_pg(s.stage_table)}"]
            for sql in drops:
                st.execute(sql)
            conn.commit()
            conn.close()
        except Exception as e:
            clean = False
            emit({"type": "warning", "nodeId": s.step["node"], "message": f"could not drop the staging table {s.stage_table}: {e}"})
    return clean


# --- the run -----------------------------------------------------------------------------------


def run_job(spark, job, report_dir=None, run_id=None, journal=None, caller=None, wait_for_locks=False):
    """Runs every step; returns the summary (also written to report_dir/result.json)."""
    run_id = run_id or time.strftime("%Y%m%d%H%M%S") + "_" + uuid.uuid4().hex[:6]
    journal = journal or Journal(None, run_id, job["pipeline"], None, None)
    caller = caller or Caller(None)
    decided = False
    started = time.time()
    summary = {"runId": run_id, "pipeline": job["pipeline"], "status": "failed", "nodes": {}, "quality": []}
    emit({"type": "run_started", "runId": run_id, "pipeline": job["pipeline"]})
    fs = Fs(spark)
    sinks = [s for s in job["steps"] if s["kind"] == "sink"]
    staged_files, staged_jdbc, committed = [], [], []
    locks = TableLocks()
    current = None  # the step running: a failure in it is blamed on a node (failing_node)
    caller.watch(spark)
    try:
        register_udfs(spark)
        preflight(fs, sinks)
        locks.take(spark, sinks, wait_for_locks, caller)
        for step in job["steps"]:
            caller.check()
            t0 = time.time()
            node = step["node"]
            current = step
            if step["kind"] == "read":
                read(spark, step)
            elif step["kind"] == "view":
                view(spark, step)
            elif step["kind"] == "quality":
                emit({"type": "node_started", "nodeId": node})
                result = evaluate_quality(spark, step)
                summary["quality"].append(result)
                emit({"type": "quality_result", "nodeId": node, "score": result["score"], "rows": result["rows"]})
                judge_node(result, step)
                emit({"type": "node_finished", "nodeId": node, "seconds": round(time.time() - t0, 3)})
        journal.write(sinks=journal_entries(fs, [], [], sinks, run_id))
        for step in sinks:
            caller.check()
            t0 = time.time()
            current = step
            emit({"type": "node_started", "nodeId": step["node"]})
            if step["sink"]["format"] == "jdbc":
                rows = stage_jdbc(spark, step, run_id, staged_jdbc)
            else:
                rows = stage_file(spark, fs, step, run_id, staged_files)
            summary["nodes"][step["node"]] = {"rowsWritten": rows, "seconds": round(time.time() - t0, 3)}
            emit({"type": "node_finished", "nodeId": step["node"], "rowsWritten": rows, "seconds": round(time.time() - t0, 3)})
        current = None
        failpoint("staged")
        # Commit, as on the DuckDB engine (core/src/engine/commit/protocol.ts): database transactions
        # prepared (statements run, not committed), files published (reversible), the databases that
        # cannot prepare committed, the decision journaled, then the prepared ones committed. Before
        # the decision a failure (or the recovery after a killed driver) undoes everything; after it,
        # the commit is completed.
        caller.check()
        for s in staged_files:
            s.existed = fs.exists(s.target)
        prepare_jdbc(spark, staged_jdbc, run_id, locks)
        caller.unwatch()
        caller.check()  # the last time: once something is committed, the commit is finished
        journal.write(phase="committing", sinks=journal_entries(fs, staged_files, staged_jdbc, sinks, run_id))
        publish_files(fs, staged_files)
        failpoint("published")
        try:
            for s in [s for s in staged_jdbc if not s.prepared]:
                commit_jdbc(s)
                committed.append(s)
                journal.committed(s.step["node"])
        except Exception:
            if committed:
                emit({"type": "warning", "message": "a database commit failed after others committed: " + ", ".join(s.step["node"] for s in committed) + " kept the new rows"})
            raise
        journal.write(decision="commit")
        decided = True
        failpoint("decided")
        for s in staged_jdbc:
            if s.prepared:
                commit_jdbc(s)
        finalize_files(fs, staged_files)
        if not journal.leftovers():
            journal.remove()
        summary["status"] = "succeeded"
    except BaseException as e:
        if not decided and caller.gone():
            e = caller.stopped()  # the job failed because the watch cancelled it, or will be undone as if it had
        kind = e.kind if isinstance(e, RunFailed) else ("cancelled" if isinstance(e, KeyboardInterrupt) else "execution")
        message = without_secrets(str(e) if isinstance(e, RunFailed) else spark_error_text(e))
        if current is not None and kind == "execution" and not isinstance(e, RunFailed):
            culprit = failing_node(spark, job, current)
            message = f"node '{culprit}' ({job.get('nodeTypes', {}).get(culprit, 'unknown type')}) failed: {message}"
            e = RunFailed(kind, message, culprit)
        if decided:
            # Past the decision the commit is completed, never undone: the recovery finishes the
            # prepared transactions the driver could not (caudal run does as soon as the job ends).
            kind = "execution"
            message = f"the commit was decided but did not complete ({message}); `caudal clean` completes it"
        else:
            settle_tasks(spark)
            clean = undo_files(fs, staged_files)
            # A task still stopping when the undo ran may have put its staging folder back.
            settle_tasks(spark)
            clean = remove_stage_dirs(fs, staged_files) and clean
            clean = rollback_jdbc(spark, [s for s in staged_jdbc if s not in committed]) and clean
            if clean and not journal.leftovers():
                journal.remove()
        summary["error"] = {"kind": kind, "message": message, **({"nodeId": e.node} if isinstance(e, RunFailed) and e.node else {})}
        summary["status"] = "cancelled" if kind == "cancelled" else "failed"
    finally:
        caller.unwatch()
        locks.release()
    summary["seconds"] = round(time.time() - started, 3)
    emit({"type": "run_finished", **summary})
    if report_dir:
        os.makedirs(report_dir, exist_ok=True)
        with open(os.path.join(report_dir, "result.json"), "w", encoding="utf-8") as f:
            f.write(dumps(summary, indent=2))
        if summary["quality"]:
            with open(os.path.join(report_dir, "quality.json"), "w", encoding="utf-8") as f:
                total = [c for r in summary["quality"] for c in r["checks"]]
                f.write(dumps({"score": score(total), "nodes": summary["quality"]}, indent=2))
    return summary


def without_secrets(text):
    """The text with the value of every CAUDAL_SECRET_* variable replaced by ***: a driver's message
    (now the JVM cause itself, see spark_error_text) may echo a connection string."""
    for name, value in os.environ.items():
        if name.startswith("CAUDAL_SECRET_") and value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


LOCALIZE_SECONDS = 30.0


def failing_node(spark, job, step):
    """The node to blame for a step that failed. Spark computes views lazily, so the step that fails
    (a sink, a quality check) is often downstream of the node whose expression failed: the views
    before it are computed one by one, in the job's order, and the first that fails is named, as the
    DuckDB engine names the first failing node upstream (engine/execute.ts). Within a time budget;
    past it, or when no view fails alone, the step's own node."""
    from pyspark.sql import functions as F

    deadline = time.time() + LOCALIZE_SECONDS
    for s in job["steps"]:
        if s is step or time.time() > deadline:
            break
        if s["kind"] != "view":
            continue
        try:
            df = spark.table(f"`{s['name'].replace('`', '``')}`")
            columns = [df[f"`{c.replace('`', '``')}`"] for c in df.columns]
            # Every value is computed (to_json cannot be pruned away, and takes maps, which hash does not).
            df.select(F.max(F.length(F.to_json(F.struct(*columns)))) if columns else F.count(F.lit(1))).collect()
        except Exception:
            return s["node"]
    return step["node"]


def spark_error_text(e):
    java = getattr(e, "java_exception", None)
    if java is not None:
        # A Py4J error's first line names a JVM object ("An error occurred while calling o419.save");
        # the deepest cause of the JVM exception says what failed, e.g. a JSON value that does not
        # parse, with the value (the job abort above it lists tasks and stages).
        reason, cause, depth = None, java, 0
        while cause is not None and depth < 20:
            message = cause.getMessage()
            if message and message.strip():
                reason = message.strip().split("\n", 1)[0]
            cause, depth = cause.getCause(), depth + 1
        if reason:
            return reason
    text = str(e).strip()
    first = text.split("\n", 1)[0]
    return first if first else "".join(traceback.format_exception_only(type(e), e)).strip()


def exit_code(summary):
    if summary["status"] == "succeeded":
        return EXIT_OK
    kind = summary.get("error", {}).get("kind")
    return {"quality": EXIT_QUALITY, "validation": EXIT_INVALID, "usage": EXIT_INVALID, "busy": EXIT_BUSY, "cancelled": 130}.get(kind, EXIT_FAILED)


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Run a Caudal pipeline exported for Spark.")
    ap.add_argument("job", nargs="?", default=os.path.join(here, "job.json"), help="job.json (default: next to this file)")
    ap.add_argument("--master", help="Spark master when run with plain python (spark-submit sets its own)")
    ap.add_argument("--report-dir", help="folder for result.json and quality.json")
    ap.add_argument("--run-id", help="names staging files and tables (default: time + random)")
    ap.add_argument("--conf", action="append", default=[], help="extra Spark setting key=value")
    ap.add_argument("--journal", help="commit journal to keep (caudal run --engine spark gives one; see Journal)")
    ap.add_argument("--owner-host", help="the host tag the journal names its owner by (default: from the host name)")
    ap.add_argument("--base-dir", help="the pipeline's folder, named in the journal")
    ap.add_argument("--caller-pid", type=int, help="stop (and undo) when this process is gone (caudal run gives its own)")
    ap.add_argument("--wait-for-locks", action="store_true", help="wait while another run loads a database table this job writes (default: stop at once, exit 75)")
    args = ap.parse_args(argv)
    with open(args.job, encoding="utf-8") as f:
        job = json.load(f)
    if job.get("format") != "caudal.spark-job/1":
        print(f"caudal_spark: {args.job} is not a Caudal Spark job", file=sys.stderr)
        return EXIT_INVALID
    conf = dict(c.split("=", 1) for c in args.conf)
    # The session's own files (warehouse, metastore), removed when the job ends. Under TMPDIR, which
    # `caudal run` points into the run's temp folder, with the JVM's java.io.tmpdir (Spark's local
    # dir): what a killed run leaves there is removed with that folder (targets/spark/submit.ts).
    scratch = tempfile.mkdtemp(prefix="caudal-spark-session-")
    try:
        return run_main(args, job, conf, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_main(args, job, conf, scratch):
    spark = make_session(job, args.master, conf, scratch)
    run_id = args.run_id or time.strftime("%Y%m%d%H%M%S") + "_" + uuid.uuid4().hex[:6]
    journal = Journal(args.journal, run_id, job["pipeline"], args.base_dir, args.owner_host)
    try:
        summary = run_job(spark, job, args.report_dir, run_id, journal, Caller(args.caller_pid), args.wait_for_locks)
    finally:
        spark.stop()
    if summary["status"] != "succeeded":
        print(f"caudal_spark: {summary['error']['message']}", file=sys.stderr)
    return exit_code(summary)


if __name__ == "__main__":
    sys.exit(main())
