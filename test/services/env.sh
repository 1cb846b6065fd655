# Addresses and locations of the test services, shared by up.sh, down.sh and anyone who sources it.
# Every value can be overridden from the environment; test/support/services.ts reads the same
# variables with the same defaults.

: "${CAUDAL_SERVICES_HOME:=${XDG_CACHE_HOME:-$HOME/.cache}/caudal-test-services}"

: "${CAUDAL_TEST_PG_HOST:=127.0.0.1}"
: "${CAUDAL_TEST_PG_PORT:=5432}"
: "${CAUDAL_TEST_PG_DATABASE:=test}"
: "${CAUDAL_TEST_PG_USER:=postgres}"
: "${CAUDAL_TEST_PG_PASSWORD:=caudal}"

: "${CAUDAL_TEST_REDIS_URL:=redis://127.0.0.1:6379}"
: "${CAUDAL_TEST_AMQP_URL:=amqp://guest:guest@127.0.0.1:5672}"
: "${CAUDAL_TEST_KAFKA_BROKERS:=127.0.0.1:9092}"
# moto's server: an S3 API with multipart listing (s3rver, in-process in the S3 suites, has none).
: "${CAUDAL_TEST_MOTO_URL:=http://127.0.0.1:5055}"

# Python environments: pyspark (with sqlglot) and apache-airflow, each in its own venv.
: "${CAUDAL_TEST_SPARK_PYTHON:=$CAUDAL_SERVICES_HOME/venv-spark/bin/python}"
: "${CAUDAL_TEST_AIRFLOW_BIN:=$CAUDAL_SERVICES_HOME/venv-airflow/bin/airflow}"

export CAUDAL_SERVICES_HOME CAUDAL_TEST_PG_HOST CAUDAL_TEST_PG_PORT CAUDAL_TEST_PG_DATABASE \
  CAUDAL_TEST_PG_USER CAUDAL_TEST_PG_PASSWORD CAUDAL_TEST_REDIS_URL CAUDAL_TEST_AMQP_URL \
  CAUDAL_TEST_KAFKA_BROKERS CAUDAL_TEST_MOTO_URL CAUDAL_TEST_SPARK_PYTHON CAUDAL_TEST_AIRFLOW_BIN

# Pinned versions (bump deliberately; the caches are keyed by them).
CAUDAL_KAFKA_VERSION=3.9.1
CAUDAL_MOTO_VERSION=5.2.5
CAUDAL_PYSPARK_VERSION=4.1.1
CAUDAL_SQLGLOT_VERSION=30.30.0
# pyarrow writes the Parquet types DuckDB does not (decimal256, nanoseconds with a time zone, INT96) in tests.
CAUDAL_PYARROW_VERSION=26.0.1
CAUDAL_AIRFLOW_VERSION=3.1.8
# Airflow's own dependencies float unless pinned: cryptography 51 made MultiFernet a Rust class that
# Airflow 3.1 cannot mark (`is_encrypted`), so every connection from an environment variable was
# "not found" (2026-12-06). Pinned here like Airflow's constraint files would, to what passed.
CAUDAL_AIRFLOW_CRYPTOGRAPHY_VERSION=50.0.2
CAUDAL_AIRFLOW_SQLALCHEMY_VERSION=2.0.58
# The KubernetesPodOperator of `caudal export airflow --operator kubernetes` (import checks only: no cluster here).
CAUDAL_AIRFLOW_K8S_PROVIDER_VERSION=10.25.0
