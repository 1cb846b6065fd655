#!/usr/bin/env bash
# Stops the test services that up.sh started (never a server it did not start). Data stays in
# $CAUDAL_SERVICES_HOME; `rm -rf` that folder to start from scratch.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
cd "$CAUDAL_SERVICES_HOME" 2>/dev/null || exit 0

if [ -f postgres.dir ]; then
  dir=$(cat postgres.dir)
  cd /
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" -D "$dir" -m fast stop
  else "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" -D "$dir" -m fast stop; fi
  rm -f "$CAUDAL_SERVICES_HOME/postgres.dir"
  cd "$CAUDAL_SERVICES_HOME"
fi
[ -f redis/redis.pid ] && kill "$(cat redis/redis.pid)" 2>/dev/null
if [ -f rabbitmq/rabbitmq.pid ]; then
  HOME="$CAUDAL_SERVICES_HOME/rabbitmq" RABBITMQ_NODENAME=caudal-test@localhost /usr/lib/rabbitmq/bin/rabbitmqctl stop >/dev/null 2>&1
  rm -f rabbitmq/rabbitmq.pid
fi
[ -f kafka.pid ] && { kill "$(cat kafka.pid)" 2>/dev/null; rm -f kafka.pid; }
[ -f moto.pid ] && { kill "$(cat moto.pid)" 2>/dev/null; rm -f moto.pid; }
echo "== test services stopped"
