#!/usr/bin/env bash
# Builds and runs Examples/LeakHunt, a package that depends on swift-kd by path and uses its Swift API (the SwiftKD
# product) against the embedded target, then checks what it printed (docs/COMMANDS.md, "Swift API").
# Its dependencies resolve as the main package's do (the same git URLs). The example has its own build directory
# (Examples/LeakHunt/.build): SwiftPM cannot share the main build's products with another root package, so this
# compiles swift-kd's library targets once more (about 65 s on two cores, measured).
#
# Usage: scripts/test-example.sh
# Exit status: 0 when the example built, ran and printed the leak's tag, break and stack; 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== swift build --package-path Examples/LeakHunt"
swift build --package-path Examples/LeakHunt
echo "== Examples/LeakHunt/.build/debug/LeakHunt"
out=$(Examples/LeakHunt/.build/debug/LeakHunt)
echo "$out"
for expected in "^top tag '.{4}': [0-9]+ paged blocks, [0-9]+ bytes$" "^break: exception at 0x[0-9a-f]+$" \
  "^  nt!Ex(Allocate|Free)PoolWithTag\+0x16  returns to 0x[0-9a-f]+$" "^ TOTAL "; do
  if ! grep -Eq "$expected" <<<"$out"; then
    echo "test-example.sh: the example's output has no line matching: $expected" >&2
    exit 1
  fi
done
echo "test-example.sh: ok"
