#!/usr/bin/env bash
# Regenerates the pictures README shows: the first page of the reference deal's report as a
# committee member would print it (A4, headless Chromium), and one chart of the same run.
# Needs chromium and poppler-utils (as .ci/run installs them). Writes only docs/images/.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --release --quiet -- run scenarios/ip-lease-733m.toml --quiet --out "$work/run"
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --no-pdf-header-footer \
  --user-data-dir="$work/profile" --print-to-pdf="$work/report.pdf" \
  "file://$work/run/report.html" >/dev/null 2>&1
pdftoppm -png -r 60 -f 1 -l 1 "$work/report.pdf" "$work/page"
mkdir -p docs/images
cp "$work"/page-*1.png docs/images/report-page-1.png
cp "$work/run/charts/tranche_balances.png" docs/images/chart-tranche-balances.png
echo "pages: $(pdfinfo "$work/report.pdf" | awk '/^Pages:/ {print $2}')"
echo "wrote docs/images/report-page-1.png and docs/images/chart-tranche-balances.png"
