"""One measured Spark run of an exported job: session start-up and job time apart.

    python child.py <job.json> <master> <report_dir>
Prints one JSON line: {"startMs", "jobMs", "status", "sinkSeconds"}.
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "resources", "spark"))

import caudal_spark  # noqa: E402


def main():
    job_path, master, report = sys.argv[1:4]
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    t0 = time.time()
    spark = caudal_spark.make_session(job, master, {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "8"})
    spark.sql("SELECT 1").collect()  # the session is really up
    t1 = time.time()
    real_stdout = sys.stdout
    sys.stdout = open(os.devnull, "w")  # the job's JSON events
    try:
        summary = caudal_spark.run_job(spark, job, report)
    finally:
        sys.stdout.close()
        sys.stdout = real_stdout
    t2 = time.time()
    spark.stop()
    print(json.dumps({"startMs": (t1 - t0) * 1000, "jobMs": (t2 - t1) * 1000, "status": summary["status"], "error": summary.get("error"), "sinkSeconds": {k: v["seconds"] for k, v in summary["nodes"].items()}}))


if __name__ == "__main__":
    main()
