#!/usr/bin/env bash
# Install hubcore into .venv, build the synthetic demo hub (embedded SQLite) and serve it.
# Extra arguments go to `hubcore demo` (try --help).
source "$(dirname "$0")/_setup.sh"
make_venv ""
exec .venv/bin/hubcore demo "$@"
