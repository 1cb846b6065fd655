#!/usr/bin/env bash
# Installs and starts every service the test suites need, on loopback, idempotently: what already
# answers is left alone, what is installed is not installed again. Used by .ci/run and by hand:
#
#   test/services/up.sh                 # everything
#   test/services/up.sh postgres redis  # only these (postgres redis rabbitmq kafka moto spark airflow desktop)
#   test/services/down.sh               # stops what up.sh started
#
# Everything it owns lives in $CAUDAL_SERVICES_HOME (default ~/.cache/caudal-test-services): the
# test PostgreSQL cluster, Redis and RabbitMQ data, the Kafka jars and log, the Python venvs (moto's
# S3 server among them). It never changes the configuration of a server it did not create:
# PostgreSQL runs as its own test cluster.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# Work from / so that commands run as the postgres user never start in a folder they cannot read.
cd /
# shellcheck source=env.sh
source "$here/env.sh"

all=(desktop postgres redis rabbitmq kafka moto spark airflow)
wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=("${all[@]}")

mkdir -p "$CAUDAL_SERVICES_HOME"
log_dir="$CAUDAL_SERVICES_HOME/logs"
mkdir -p "$log_dir"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
say() { printf '== %s\n' "$*"; }
fail() { printf 'up.sh: %s\n' "$*" >&2; exit 1; }
stage() {
  local name=$1; shift
  local t0=$SECONDS
  "$@"
  printf '== %-9s ready (%ds)\n' "$name" $((SECONDS - t0))
}
url_host() { sed -E 's#^[a-z]+://([^@/]*@)?([^:/]+).*#\2#' <<<"$1"; }
url_port() { sed -E 's#^[a-z]+://([^@/]*@)?[^:/]+:([0-9]+).*#\2#' <<<"$1"; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_until() { # wait_until <seconds> <what> <command…>
  local limit=$1 what=$2; shift 2
  local i
  for ((i = 0; i < limit * 4; i++)); do "$@" && return 0; sleep 0.25; done
  fail "$what did not answer within ${limit}s (logs: $log_dir)"
}
want() { local s; for s in "${wanted[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
for s in "${wanted[@]}"; do
  printf '%s\n' "${all[@]}" | grep -qx "$s" || fail "unknown service '$s' (known: ${all[*]})"
done

# --- Debian packages: one apt-get for everything missing -------------------------------------------
apt_missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }
want desktop && { need_pkg chromium; need_pkg gnome-keyring; need_pkg dbus-x11; need_pkg libsecret-tools; }
want postgres && { need_pkg postgresql; }
want redis && need_pkg redis-server
want rabbitmq && need_pkg rabbitmq-server
want moto && { command -v curl >/dev/null || need_pkg curl; }
want kafka && { command -v java >/dev/null || need_pkg openjdk-17-jre-headless; command -v mvn >/dev/null || need_pkg maven; }
{ want moto || want spark || want airflow; } && { python3 -m venv --help >/dev/null 2>&1 || need_pkg python3-venv; }
if [ ${#apt_missing[@]} -gt 0 ]; then
  t0=$SECONDS
  say "installing Debian packages: ${apt_missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >"$log_dir/apt.log" 2>&1 ||
    { tail -20 "$log_dir/apt.log" >&2; fail "apt-get install failed"; }
  say "packages installed ($((SECONDS - t0))s)"
fi

# --- PostgreSQL: a test-only cluster (scram auth, loopback only, logical replication on) -----------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
pg_login() {
  PGPASSWORD="$CAUDAL_TEST_PG_PASSWORD" PGCONNECT_TIMEOUT=3 "$(pg_bin)/psql" -h "$CAUDAL_TEST_PG_HOST" -p "$CAUDAL_TEST_PG_PORT" \
    -U "$CAUDAL_TEST_PG_USER" -d "$1" -XAtqc "$2"
}
start_postgres() {
  local bin run_as=() dir
  bin=$(pg_bin)
  [ -n "$bin" ] || fail "no PostgreSQL binaries in /usr/lib/postgresql"
  if "$bin/pg_isready" -q -h "$CAUDAL_TEST_PG_HOST" -p "$CAUDAL_TEST_PG_PORT"; then
    pg_login postgres 'select 1' >/dev/null 2>&1 ||
      fail "a PostgreSQL server on $CAUDAL_TEST_PG_HOST:$CAUDAL_TEST_PG_PORT does not accept the test role '$CAUDAL_TEST_PG_USER'. Either create that role (password from CAUDAL_TEST_PG_PASSWORD) or let up.sh start its own test cluster on a free port: CAUDAL_TEST_PG_PORT=5433 test/services/up.sh"
  else
    # The server refuses to run as root: as root, the cluster belongs to the postgres user, in its home.
    if [ "$(id -u)" = 0 ]; then
      dir="$(getent passwd postgres | cut -d: -f6)/caudal-test-$CAUDAL_TEST_PG_PORT"
      run_as=(runuser -u postgres --)
    else
      dir="$CAUDAL_SERVICES_HOME/postgres-$CAUDAL_TEST_PG_PORT"
    fi
    if [ ! -s "$dir/PG_VERSION" ]; then
      say "creating the test PostgreSQL cluster in $dir"
      local pwfile
      pwfile=$(mktemp)
      printf '%s\n' "$CAUDAL_TEST_PG_PASSWORD" >"$pwfile"
      mkdir -p "$dir"
      if [ ${#run_as[@]} -gt 0 ]; then chown postgres "$dir" "$pwfile"; fi
      "${run_as[@]}" "$bin/initdb" -D "$dir" -U "$CAUDAL_TEST_PG_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 >"$log_dir/initdb.log" 2>&1 ||
        { rm -f "$pwfile"; cat "$log_dir/initdb.log" >&2; fail "initdb failed"; }
      rm -f "$pwfile"
    fi
    grep -q "^include 'caudal-test.conf'" "$dir/postgresql.conf" ||
      echo "include 'caudal-test.conf'" | "${run_as[@]}" tee -a "$dir/postgresql.conf" >/dev/null
    # Test-only settings, rewritten at every start: loopback, a socket in the cluster folder, logical
    # decoding (CDC tests), prepared transactions (two-phase commits), and no fsync (this cluster
    # holds nothing worth a crash-safe write).
    "${run_as[@]}" tee "$dir/caudal-test.conf" >/dev/null <<CONF
listen_addresses = '$CAUDAL_TEST_PG_HOST'
port = $CAUDAL_TEST_PG_PORT
unix_socket_directories = '$dir'
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_connections = 200
max_prepared_transactions = 50
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    "${run_as[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null ||
      { tail -20 "$dir/server.log" >&2; fail "PostgreSQL did not start"; }
    ln -sfn "$dir/server.log" "$log_dir/postgres.log"
    printf '%s\n' "$dir" >"$CAUDAL_SERVICES_HOME/postgres.dir"
  fi
  wait_until 30 PostgreSQL eval "pg_login postgres 'select 1' >/dev/null 2>&1"
  if [ "$(pg_login postgres "select count(*) from pg_database where datname = '$CAUDAL_TEST_PG_DATABASE'")" = 0 ]; then
    pg_login postgres "create database \"$CAUDAL_TEST_PG_DATABASE\"" >/dev/null
  fi
}

# --- Redis: its own instance, nothing persisted ------------------------------------------------------
start_redis() {
  local host port
  host=$(url_host "$CAUDAL_TEST_REDIS_URL"); port=$(url_port "$CAUDAL_TEST_REDIS_URL")
  if ! redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1; then
    mkdir -p "$CAUDAL_SERVICES_HOME/redis"
    redis-server --bind "$host" --port "$port" --daemonize yes --save '' --appendonly no \
      --dir "$CAUDAL_SERVICES_HOME/redis" --pidfile "$CAUDAL_SERVICES_HOME/redis/redis.pid" \
      --logfile "$log_dir/redis.log" >/dev/null
  fi
  wait_until 20 Redis sh -c "redis-cli -h '$host' -p '$port' ping 2>/dev/null | grep -q PONG"
}

# --- RabbitMQ: a node of its own (data, cookie and logs in the services folder) ---------------------
rabbit_env() {
  local base="$CAUDAL_SERVICES_HOME/rabbitmq"
  mkdir -p "$base"
  [ -f "$base/enabled_plugins" ] || echo '[].' >"$base/enabled_plugins"
  env HOME="$base" RABBITMQ_NODENAME=caudal-test@localhost \
    RABBITMQ_NODE_IP_ADDRESS="$(url_host "$CAUDAL_TEST_AMQP_URL")" RABBITMQ_NODE_PORT="$(url_port "$CAUDAL_TEST_AMQP_URL")" \
    RABBITMQ_MNESIA_BASE="$base/mnesia" RABBITMQ_LOG_BASE="$log_dir/rabbitmq" RABBITMQ_CONFIG_FILE="$base/rabbitmq" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins" RABBITMQ_PID_FILE="$base/rabbitmq.pid" \
    ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$@"
}
start_rabbitmq() {
  local host port
  host=$(url_host "$CAUDAL_TEST_AMQP_URL"); port=$(url_port "$CAUDAL_TEST_AMQP_URL")
  if ! port_open "$host" "$port"; then
    (cd "$CAUDAL_SERVICES_HOME" && rabbit_env /usr/lib/rabbitmq/bin/rabbitmq-server -detached) >"$log_dir/rabbitmq-start.log" 2>&1
    rabbit_env /usr/lib/rabbitmq/bin/rabbitmqctl wait "$CAUDAL_SERVICES_HOME/rabbitmq/rabbitmq.pid" --timeout 90 >>"$log_dir/rabbitmq-start.log" 2>&1 ||
      { tail -20 "$log_dir/rabbitmq-start.log" >&2; fail "RabbitMQ did not start"; }
  fi
  wait_until 30 RabbitMQ port_open "$host" "$port"
}

# --- Kafka: a single-node KRaft broker from Maven Central's jars, on the machine's JDK --------------
kafka_home() { echo "$CAUDAL_SERVICES_HOME/kafka-$CAUDAL_KAFKA_VERSION"; }
install_kafka() {
  local home
  home=$(kafka_home)
  [ -f "$home/libs/.complete" ] && return 0
  say "downloading the Kafka $CAUDAL_KAFKA_VERSION broker jars from Maven Central"
  mkdir -p "$home/libs"
  sed "s/@KAFKA_VERSION@/$CAUDAL_KAFKA_VERSION/" "$here/kafka/pom.xml" >"$home/pom.xml"
  mvn -q -B -f "$home/pom.xml" dependency:copy-dependencies -DoutputDirectory="$home/libs" -DincludeScope=runtime \
    >"$log_dir/kafka-maven.log" 2>&1 || { tail -30 "$log_dir/kafka-maven.log" >&2; fail "could not fetch the Kafka jars"; }
  touch "$home/libs/.complete"
}
start_kafka() {
  local home host port data java
  home=$(kafka_home)
  host=${CAUDAL_TEST_KAFKA_BROKERS%%:*}; port=${CAUDAL_TEST_KAFKA_BROKERS##*:}
  if ! port_open "$host" "$port"; then
    await_install kafka
    install_kafka
    java=java
    [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ] && java=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
    data="$CAUDAL_SERVICES_HOME/kafka-data"
    sed -e "s#@HOST@#$host#g" -e "s#@PORT@#$port#g" -e "s#@CONTROLLER_PORT@#$((port + 1))#g" -e "s#@DATA@#$data#g" \
      "$here/kafka/server.properties" >"$home/server.properties"
    sed -e "s#@LOG@#$log_dir/kafka.log#g" "$here/kafka/log4j.properties" >"$home/log4j.properties"
    local cp="$home/libs/*" jopts=(-Xms256m -Xmx768m "-Dlog4j.configuration=file:$home/log4j.properties")
    if [ ! -f "$data/meta.properties" ]; then
      "$java" "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool format -c "$home/server.properties" \
        -t "$("$java" -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null)" >"$log_dir/kafka-format.log" 2>&1 ||
        { cat "$log_dir/kafka-format.log" >&2; fail "could not format the Kafka log folder"; }
    fi
    : >"$log_dir/kafka.log"
    nohup "$java" "${jopts[@]}" -cp "$cp" kafka.Kafka "$home/server.properties" >"$log_dir/kafka.out" 2>&1 &
    echo $! >"$CAUDAL_SERVICES_HOME/kafka.pid"
    wait_until 90 Kafka grep -q 'Kafka Server started' "$log_dir/kafka.log"
  fi
  wait_until 30 Kafka port_open "$host" "$port"
}

# --- Python venvs: pyspark + sqlglot, apache-airflow -----------------------------------------------
install_venv() { # install_venv <name> <pip requirement…>; a marker keyed by the requirements skips reinstalls
  local venv="$CAUDAL_SERVICES_HOME/venv-$1"; shift
  local key marker
  key=$(printf '%s\n' "$@" | sha1sum | cut -c1-12)
  marker="$venv/.caudal-$key"
  [ -f "$marker" ] && return 0
  say "installing $* into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$@" >"$log_dir/pip-$(basename "$venv").log" 2>&1 ||
    { tail -30 "$log_dir/pip-$(basename "$venv").log" >&2; fail "pip install $* failed"; }
  touch "$marker"
}
install_spark() {
  install_venv spark "pyspark==$CAUDAL_PYSPARK_VERSION" "sqlglot==$CAUDAL_SQLGLOT_VERSION"
  install_extra spark "pyarrow==$CAUDAL_PYARROW_VERSION"
}
start_spark() {
  await_install spark
  install_spark
  "$CAUDAL_TEST_SPARK_PYTHON" -c 'import pyspark, sqlglot' || fail "pyspark does not import"
  command -v java >/dev/null || fail "Spark needs Java 17 on the PATH"
}
install_extra() { # install_extra <venv name> <pip requirement>: added to an installed venv, with its own marker
  local venv="$CAUDAL_SERVICES_HOME/venv-$1" marker
  marker="$venv/.caudal-extra-$(printf '%s' "$2" | sha1sum | cut -c1-12)"
  [ -f "$marker" ] && return 0
  say "installing $2 into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$2" >"$log_dir/pip-$1-extra.log" 2>&1 ||
    { tail -30 "$log_dir/pip-$1-extra.log" >&2; fail "pip install $2 failed"; }
  touch "$marker"
}
install_airflow() {
  install_venv airflow "apache-airflow==$CAUDAL_AIRFLOW_VERSION" "cryptography==$CAUDAL_AIRFLOW_CRYPTOGRAPHY_VERSION" "SQLAlchemy==$CAUDAL_AIRFLOW_SQLALCHEMY_VERSION"
  install_extra airflow "apache-airflow-providers-cncf-kubernetes==$CAUDAL_AIRFLOW_K8S_PROVIDER_VERSION"
}
start_airflow() {
  await_install airflow
  install_airflow
  AIRFLOW_HOME="$CAUDAL_SERVICES_HOME/airflow-home" "$CAUDAL_TEST_AIRFLOW_BIN" version >"$log_dir/airflow-version.log" 2>&1 || fail "airflow does not start (see $log_dir)"
}

# --- moto: an S3 API (among others) in memory, for what s3rver lacks (ListMultipartUploads) --------
install_moto() { install_venv moto "moto[server]==$CAUDAL_MOTO_VERSION"; }
moto_answers() { curl -sf -o /dev/null --max-time 2 "$CAUDAL_TEST_MOTO_URL/moto-api/"; }
start_moto() {
  local host port
  host=$(url_host "$CAUDAL_TEST_MOTO_URL"); port=$(url_port "$CAUDAL_TEST_MOTO_URL")
  if ! moto_answers; then
    await_install moto
    install_moto
    nohup "$CAUDAL_SERVICES_HOME/venv-moto/bin/moto_server" -H "$host" -p "$port" >"$log_dir/moto.log" 2>&1 &
    echo $! >"$CAUDAL_SERVICES_HOME/moto.pid"
  fi
  wait_until 30 moto moto_answers
}

start_desktop() {
  command -v chromium >/dev/null && command -v gnome-keyring-daemon >/dev/null && command -v dbus-run-session >/dev/null ||
    fail "chromium, gnome-keyring or dbus is missing"
}

# --- Downloads in the background ---------------------------------------------------------------
# On a fresh machine the Kafka jars and the Python venvs take minutes to download and install, one
# after the other. They start here, side by side, while the servers start; each service's start
# waits for its own (install_* then finds its marker and does nothing).
installing=()
install_in_background() { # install_in_background <service>
  "install_$1" >"$log_dir/install-$1.log" 2>&1 &
  installing+=("$1:$!")
}
await_install() { # await_install <service>: its background install's outcome (nothing if none ran or it was awaited)
  local entry left=()
  for entry in "${installing[@]}"; do
    if [ "${entry%%:*}" = "$1" ]; then
      wait "${entry#*:}" || { tail -30 "$log_dir/install-$1.log" >&2; fail "installing $1 failed (log: $log_dir/install-$1.log)"; }
    else
      left+=("$entry")
    fi
  done
  installing=("${left[@]}")
}
want kafka && ! port_open "${CAUDAL_TEST_KAFKA_BROKERS%%:*}" "${CAUDAL_TEST_KAFKA_BROKERS##*:}" && install_in_background kafka
want moto && ! moto_answers && install_in_background moto
want spark && install_in_background spark
want airflow && install_in_background airflow

for s in "${all[@]}"; do
  if want "$s"; then stage "$s" "start_$s"; fi
done
# An install whose service needed none after all (it started answering meanwhile) still ends here.
for entry in "${installing[@]}"; do await_install "${entry%%:*}"; done
say "test services are up (state in $CAUDAL_SERVICES_HOME)"
