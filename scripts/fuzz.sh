#!/usr/bin/env bash
# Runs each libFuzzer target for N seconds (default 60): KDProtocolFuzz (the frame decoder and every payload
# decoder), KDGDBRemoteFuzz (the GDB remote packet decoder and request parser), KDKernelFuzz (random bytes over
# a driver function of a real kernel: every outcome must be a halt), KDSessionFuzz (operation sequences from
# in-memory clients against a real server session and kernel: one reply per request, or a goodbye) and
# KDGDBSessionFuzz (GDB packet sequences against a real GDB session and kernel: one reply per packet) and
# KDImageFormatFuzz (the PE and PDB readers, seeded with Tests/ImageFormatTests/Fixtures) and KDCOMFuzz (the KD serial
# protocol's decoder and the target's side of its exchange). CI gives each 40 s (seven targets plus their
# builds take about 8 minutes; the build and tests take about 16 of CI's 25). Crashes
# are written to fuzz-artifacts/; replay one with: swift run KDProtocolFuzz fuzz-artifacts/crash-... (or
# KDGDBRemoteFuzz, KDKernelFuzz, KDSessionFuzz, KDGDBSessionFuzz, KDImageFormatFuzz, KDCOMFuzz). docs/PROTOCOL.md, docs/KERNEL.md and
# docs/GDB.md, "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
# libFuzzer reports crashes itself; a swift-backtrace left behind by one once held the pipe below for 15 minutes.
export SWIFT_BACKTRACE=enable=no
mkdir -p fuzz-artifacts
for target in KDProtocolFuzz KDGDBRemoteFuzz KDKernelFuzz KDSessionFuzz KDGDBSessionFuzz KDImageFormatFuzz KDCOMFuzz; do
  # One product per swift build: with several --product flags SwiftPM builds only the last.
  swift build --product "$target" --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | grep -v 'ld.gold: warning' | tail -3
  mkdir -p ".build-fuzz/corpus-$target"
  echo "== $target for ${seconds}s"
  # KDSessionFuzz: no leak check. Its links and sessions are released on their own queues just after an input
  # ends, and LSan cannot follow Swift's weak-reference side tables (the object holds the pointer shifted), so
  # a link still alive at the check reports its side table as a 32-byte leak (MemoryFrameLink.pair's `other`).
  leaks=1
  # KDGDBSessionFuzz likewise (MemoryByteLink.pair's `other`), and it boots a kernel per input: Unicorn 2.0.1
  # leaks a 512-byte code bitmap (tb_invalidate_phys_page_fast) in each engine it closes after code was written,
  # which LSan reports at exit unless ASAN_OPTIONS turns the exit-time check off too.
  if [ "$target" = KDSessionFuzz ] || [ "$target" = KDGDBSessionFuzz ]; then leaks=0; fi
  ASAN_OPTIONS="detect_leaks=$leaks" ".build-fuzz/debug/$target" -detect_leaks="$leaks" -max_total_time="$seconds" -timeout=120 -print_final_stats=1 \
    -artifact_prefix=fuzz-artifacts/ ".build-fuzz/corpus-$target" 2>&1 | tail -12
done
