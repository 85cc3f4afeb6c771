#!/usr/bin/env bash
# The load test of benchmarks/load_sessions.py on SQLite (WAL) and on a throw-away PostgreSQL
# server (127.0.0.1 only). Extra arguments go to the script, e.g. --sessions 20 --rows 200000.
source "$(dirname "$0")/_setup.sh"
source scripts/_postgres.sh
apt_install chromium
PYTHON_FOR_PORT=.venv/bin/python start_test_postgres
.venv/bin/python benchmarks/load_sessions.py "$@"
