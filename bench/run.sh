#!/usr/bin/env bash
# Runs the benchmarks (all, or those named: crypto certificates bulk http issue pages) with the project's virtualenv.
#   bench/run.sh [--quick] [crypto|certificates|bulk|http ...] [--postgres URL] [--json FILE]
# PostgreSQL for the bulk run: --postgres URL, or BENCH_DATABASE_URL (a database the bench may empty).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv/bin/python ]]; then
  echo "no .venv: run scripts/setup --tests first (the bench needs the npm modules in tests/interop too)" >&2
  exit 1
fi
exec .venv/bin/python -m bench "$@"
