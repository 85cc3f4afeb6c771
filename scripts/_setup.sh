# Shared set-up for scripts/demo.sh and scripts/test.sh (sourced, not run).
# Creates .venv with Python 3.11+ and installs the project; installs Debian packages when asked.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "hubcore setup: need root (or sudo) to run: $*" >&2; return 1
  fi
}

apt_install() {  # apt_install PACKAGE... : install the Debian packages that are missing
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "hubcore setup: installing Debian packages: ${missing[*]}" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

make_venv() {  # make_venv EXTRAS : .venv with the project installed (editable)
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "hubcore setup: Python 3.11 or newer is needed ($PYTHON is $("$PYTHON" -V 2>&1))" >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      apt_install python3-venv  # Debian ships venv separately
      "$PYTHON" -m venv .venv
    fi
  fi
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$1"
}
