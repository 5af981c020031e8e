#!/usr/bin/env bash
# Fuzzes the frame decoder and every payload decoder with libFuzzer for N seconds (default 60).
# Crashes are written to fuzz-artifacts/; replay one with: swift run KDProtocolFuzz fuzz-artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
swift build --product KDProtocolFuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | grep -v 'ld.gold: warning' | tail -3
mkdir -p fuzz-artifacts .build-fuzz/corpus
.build-fuzz/debug/KDProtocolFuzz -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix=fuzz-artifacts/ .build-fuzz/corpus 2>&1 | tail -12
