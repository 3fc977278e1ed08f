#!/usr/bin/env bash
# Re-vendor the lab's plotting library from the npm registry, pinned and checked:
# src/habmodel/lab/static/vendor/plotly-basic.min.js and its licence.
#
# Plotly.js "basic" (scatter, bar, pie) is the lab's one JavaScript library: it draws
# the trace, the I-V curve and the firing-mode map, exports a figure as PNG and SVG
# (the lab's downloads), and makes no network request. MIT licence.
set -euo pipefail
PACKAGE=plotly.js-basic-dist-min
VERSION=4.1.2
INTEGRITY="sha512-LvfKTeVYIKzEyMj9TuH+8ot0I7IMG1fET2YxgUtbpZVHd2fBrOlBFsk26wKgnAckHyNhKG7vDk4tEyqGCYs2Aw=="
OUT="$(cd "$(dirname "$0")/.." && pwd)/src/habmodel/lab/static/vendor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
tarball="$tmp/$PACKAGE-$VERSION.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$INTEGRITY" ]; then
  echo "vendor_plotly: $PACKAGE@$VERSION does not match its pinned integrity" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$tmp"
cp "$tmp/package/plotly-basic.min.js" "$OUT/plotly-basic.min.js"
cp "$tmp/package/LICENSE" "$OUT/LICENSE-plotly.js.txt"
echo "vendored $PACKAGE@$VERSION into $OUT"
