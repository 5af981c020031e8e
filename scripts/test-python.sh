#!/usr/bin/env bash
# The Python client's tests (issue 13, part 2): a fresh virtual environment in a temporary directory,
# `pip install ./python pytest jsonschema` (jsonschema: test_kd_json_schema.py checks `kd --json` against
# docs/kd-json.schema.json), then `pytest python/tests` against the kdserver and kd in BIN_DIR (each test
# module starts its own kdserver on port 0; docs/PYTHON.md, "Tests").
#
# Usage: scripts/test-python.sh [BIN_DIR]   (default .build/debug, relative to the repository root)
# Exit status: pytest's (0 when every test passed); 2 when BIN_DIR lacks kdserver or kd.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! bindir=$(cd "${1:-.build/debug}" 2>/dev/null && pwd); then
  echo "test-python.sh: no directory ${1:-.build/debug} (build first, or give BIN_DIR)" >&2
  exit 2
fi
for binary in kdserver kd; do
  if [ ! -x "$bindir/$binary" ]; then
    echo "test-python.sh: no executable $bindir/$binary (build first, or give BIN_DIR)" >&2
    exit 2
  fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swift-kd-python.XXXXXX")
trap 'rm -rf "$tmp" python/build python/swiftkd.egg-info' EXIT
echo "== python3 -m venv $tmp/venv; pip install ./python pytest jsonschema"
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check ./python pytest jsonschema
echo "== pytest python/tests (KDSERVER=$bindir/kdserver KD=$bindir/kd)"
status=0
KDSERVER="$bindir/kdserver" KD="$bindir/kd" "$tmp/venv/bin/python" -m pytest -p no:cacheprovider python/tests || status=$?
exit "$status"
