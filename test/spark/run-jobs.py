"""Runs many exported Caudal Spark jobs in one SparkSession (a session takes seconds to start).

stdin: {"master": "local[2]", "jobs": [{"job": path, "reportDir": dir, "runId": id}, ...]}
Each job's result lands in its reportDir/result.json (see caudal_spark.run_job).
"""

import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "resources", "spark"))

import caudal_spark  # noqa: E402


def main():
    request = json.load(sys.stdin)
    jobs = [dict(j, spec=json.load(open(j["job"], encoding="utf-8"))) for j in request["jobs"]]
    packages = sorted({p for j in jobs for p in j["spec"].get("packages", [])})
    # The catalog would create ./spark-warehouse in the working folder (the checkout): keep it in a temp folder.
    warehouse = tempfile.mkdtemp(prefix="caudal-spark-warehouse-")
    conf = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "2", "spark.sql.warehouse.dir": warehouse}
    spark = caudal_spark.make_session({"pipeline": "conformance", "packages": packages}, request.get("master", "local[2]"), conf)
    try:
        for j in jobs:
            caudal_spark.run_job(spark, j["spec"], j["reportDir"], j.get("runId"))
            spark.catalog.clearCache()
            for t in spark.catalog.listTables():
                if t.isTemporary:
                    spark.catalog.dropTempView(t.name)
    finally:
        spark.stop()
        shutil.rmtree(warehouse, ignore_errors=True)


if __name__ == "__main__":
    main()
