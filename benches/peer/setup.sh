#!/usr/bin/env bash
# Makes the peer benchmark's Python environment: a virtual environment at target/peer-venv of
# this repository (always there, whatever CARGO_TARGET_DIR says) with numpy from PyPI at the
# pinned version. Idempotent: an environment that already imports that numpy is left as it is.
# Prints the environment's python on stdout (everything else goes to stderr).
#
#   bash benches/peer/setup.sh
set -euo pipefail

NUMPY_VERSION=2.4.6

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/target/peer-venv"
python="$venv/bin/python"

have_numpy() {
  [ -x "$python" ] && "$python" -c "import numpy, sys; sys.exit(numpy.__version__ != '$NUMPY_VERSION')" 2>/dev/null
}

if have_numpy; then
  echo "$python"
  exit 0
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "peer bench: python3 is not installed (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! python3 -c "import venv, ensurepip" 2>/dev/null; then
  echo "peer bench: python3 cannot make virtual environments; install python3-venv (Debian: apt-get install python3-venv)" >&2
  exit 1
fi

if [ ! -x "$python" ]; then
  mkdir -p "$root/target"
  echo "peer bench: creating $venv" >&2
  python3 -m venv "$venv" >&2
fi
echo "peer bench: installing numpy==$NUMPY_VERSION into $venv" >&2
"$python" -m pip install --quiet --disable-pip-version-check "numpy==$NUMPY_VERSION" >&2
have_numpy || {
  echo "peer bench: numpy $NUMPY_VERSION did not install into $venv" >&2
  exit 1
}
echo "$python"
