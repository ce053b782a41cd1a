#!/usr/bin/env bash
# Makes a Python venv with the ipabs package built into it (idempotent).
#
#   bash python/setup-venv.sh [VENV_DIR]     (default: target/py-venv under the repo root)
#
# Uses the machine's python3 (apt-get installs python3-venv if `python3 -m venv` is missing),
# pip installs the pinned maturin, pandas and pytest of python/requirements-dev.txt from PyPI,
# then `maturin develop --release` builds the package into the venv (CARGO_TARGET_DIR is
# honoured, so the Rust dependencies the CLI's release build compiled are reused). Prints the
# venv's python path last.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="${1:-$root/target/py-venv}"
python="${PYTHON:-python3}"
# The root crate's target folder unless told otherwise: the CLI's release build and this one
# then share the compiled dependencies.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

if [ ! -x "$venv/bin/python" ]; then
  if [ -e "$venv" ] && [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
    # Never write into (or remove) a folder this script did not make.
    echo "setup-venv: $venv exists and is not a virtual environment; give another folder" >&2
    exit 2
  fi
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    # Only what the failed attempt just made is removed.
    rm -rf "$venv"
    echo "setup-venv: python3 -m venv failed; installing python3-venv" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    "$python" -m venv "$venv"
  fi
fi
py="$venv/bin/python"
stamp="$venv/.ipabs-requirements"
if ! cmp -s "$here/requirements-dev.txt" "$stamp"; then
  "$py" -m pip install -q --disable-pip-version-check -r "$here/requirements-dev.txt"
  cp "$here/requirements-dev.txt" "$stamp"
fi
# maturin develop installs into the venv it finds in VIRTUAL_ENV.
(
  cd "$here"
  export VIRTUAL_ENV="$venv"
  export PATH="$venv/bin:$PATH"
  "$venv/bin/maturin" develop --release --quiet >&2
)
"$py" -c "import ipabs" >&2
echo "$py"
