#!/usr/bin/env bash
# CI of the Python package: builds the CLI and the package, runs the pytest suite (which
# compares the package's results with the CLI's files) and the example notebook script.
#
#   bash python/ci.sh     (from anywhere; CARGO_TARGET_DIR is honoured, IPABS_VENV names the
#                          venv, default target/py-venv)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
target="$CARGO_TARGET_DIR"

cargo build --release --quiet
export IPABS_BIN="$target/release/ipabs"
py="$(bash python/setup-venv.sh ${IPABS_VENV:+"$IPABS_VENV"} | tail -n 1)"
"$py" -m pytest python/tests -q
"$py" docs/python-example.py >/dev/null
echo "python example: ok"
