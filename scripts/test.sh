#!/usr/bin/env bash
# Install what the tests need (Debian chromium for the browser tests, the test extras) and run
# ruff and the whole test suite. Extra arguments go to pytest.
source "$(dirname "$0")/_setup.sh"
apt_install chromium nginx  # nginx: the reverse-proxy deployment test (tests/e2e/test_nginx.py)
make_venv "[test]"
.venv/bin/ruff check .
# The whole suite runs twice: on SQLite files, then on a private PostgreSQL server (Debian's
# `postgresql`, started on 127.0.0.1 for this run only; see scripts/_postgres.sh).
# HUBCORE_TEST_BACKENDS="sqlite" (or "postgresql") runs one of them.
status=0
for backend in ${HUBCORE_TEST_BACKENDS:-sqlite postgresql}; do
  echo "hubcore tests: $backend" >&2
  if [ "$backend" = postgresql ]; then
    source scripts/_postgres.sh
    PYTHON_FOR_PORT=.venv/bin/python start_test_postgres
  fi
  .venv/bin/python -m pytest "$@" || status=$?
done
exit $status
