# A throw-away PostgreSQL server for the test suite (sourced by scripts/test.sh, not run).
#
# start_test_postgres : installs Debian's `postgresql` if missing, initialises a private cluster
#   in a temporary folder (never the system cluster), listening on 127.0.0.1 only, starts it and
#   exports HUBCORE_TEST_DATABASE_URL (an admin URL: tests create and drop one database per use).
#   The server is stopped and the folder removed when the calling shell exits.
# Needs _setup.sh (apt_install, as_root) sourced first.

_pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$dir" ]; then
    apt_install postgresql
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$dir"
}

_pg_free_port() {
  "${PYTHON_FOR_PORT:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Run a command as the cluster's owner: `postgres` when we are root (PostgreSQL refuses to run
# as root), otherwise ourselves.
_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_test_postgres() {
  if [ -n "${HUBCORE_PG_DIR:-}" ] && [ -d "$HUBCORE_PG_DIR" ]; then
    _pg_as_owner "$HUBCORE_PG_BIN/pg_ctl" -D "$HUBCORE_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$HUBCORE_PG_DIR"
  fi
}

start_test_postgres() {
  HUBCORE_PG_BIN=$(_pg_bin)
  HUBCORE_PG_DIR=$(mktemp -d /tmp/hubcore-pg.XXXXXX)
  local port password
  port=$(_pg_free_port)
  password=$("${PYTHON_FOR_PORT:-python3}" -c 'import secrets; print(secrets.token_hex(16))')
  echo "$password" > "$HUBCORE_PG_DIR/pwfile"
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$HUBCORE_PG_DIR"; fi
  chmod 700 "$HUBCORE_PG_DIR"
  _pg_as_owner "$HUBCORE_PG_BIN/initdb" -D "$HUBCORE_PG_DIR/data" -U hubcore_test \
    --auth-host=scram-sha-256 --auth-local=peer --pwfile="$HUBCORE_PG_DIR/pwfile" \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  # Tuned for a disposable test server: no durability needed, more connections for the suite.
  _pg_as_owner "$HUBCORE_PG_BIN/pg_ctl" -D "$HUBCORE_PG_DIR/data" -l "$HUBCORE_PG_DIR/server.log" \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$HUBCORE_PG_DIR \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    -w start >/dev/null
  trap stop_test_postgres EXIT
  export HUBCORE_PG_DIR HUBCORE_PG_BIN
  export HUBCORE_TEST_DATABASE_URL="postgresql+psycopg://hubcore_test:$password@127.0.0.1:$port/postgres"
  echo "hubcore setup: test PostgreSQL $("$HUBCORE_PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}
