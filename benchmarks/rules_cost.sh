#!/usr/bin/env bash
# What the configured quality rules cost: runs with and without them, interleaved so that both see
# the same machine conditions; each run ingests 100,000 records into an empty SQLite database.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
for i in 1 2 3; do
  $PY benchmarks/ingest.py --records "${RECORDS:-100000}" --runs 1 2>&1 | sed -n 1p | sed 's/^/rules on:  /'
  $PY benchmarks/ingest.py --records "${RECORDS:-100000}" --runs 1 --no-rules 2>&1 | sed -n 1p | sed 's/^/rules off: /'
done
