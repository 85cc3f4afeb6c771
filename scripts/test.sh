#!/usr/bin/env bash
# Install what the tests need (Debian chromium for the browser tests, the test extras) and run
# ruff and the whole test suite. Extra arguments go to pytest.
source "$(dirname "$0")/_setup.sh"
apt_install chromium
make_venv "[test]"
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
