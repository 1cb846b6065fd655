#!/usr/bin/env bash
# Creates (once) the bench-only Python environment with the peer tools, pinned, and prints the path
# of its python. Exits 3 with a note when no Python 3 is on the machine: the benches then skip
# their peer columns. Never touches the project's own environments.
#
#   bench/peers/venv.sh            # → ~/.cache/caudal-bench-venv/bin/python
#   CAUDAL_BENCH_VENV=/path bench/peers/venv.sh
set -euo pipefail
VENV="${CAUDAL_BENCH_VENV:-$HOME/.cache/caudal-bench-venv}"
PINS=(polars==2.1.0 pandas==3.1.1 pyarrow==26.0.1)
STAMP="$VENV/.caudal-pins"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "${PINS[*]}" ]]; then
  echo "$VENV/bin/python"
  exit 0
fi
PY="$(command -v python3 || true)"
if [[ -z "$PY" ]]; then
  echo "no python3 on this machine: peer columns (polars, pandas) skipped" >&2
  exit 3
fi
echo "creating $VENV with ${PINS[*]} (once) …" >&2
rm -rf "$VENV"
"$PY" -m venv "$VENV" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}" >&2
echo "${PINS[*]}" > "$STAMP"
echo "$VENV/bin/python"
