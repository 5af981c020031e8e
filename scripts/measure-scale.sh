#!/usr/bin/env bash
# What one target costs, and how many fit (docs/SCALE.md): starts kdservers on loopback and reads their
# CPU (utime+stime from /proc/PID/stat over a measured wall interval) and memory (VmRSS, VmHWM from
# /proc/PID/status).
#
# Usage: scripts/measure-scale.sh [--bin-dir DIR] [--seconds S] [--paces "0.1 1 10 0"] [--fleet "1 4 16 32"]
#                                 [--scenario NAME]
#   --bin-dir DIR   where kdserver and kd are (default .build/release; the figures in docs/SCALE.md are release)
#   --seconds S     length of each measured window (default 30)
#   --paces LIST    part 1: one kdserver per pace, one idle kd attached as controller (target running)
#   --fleet LIST    part 2: N kdservers at once at pace 1, none attached during the window
#   --plateau S     part 3: one kdserver at pace 0, nothing attached, VmRSS/VmHWM/CPU every 10 s for S seconds
#                   (default 0: skipped): where the scenario's memory stops growing
#   --scenario NAME the scenario every kdserver runs (default: default)
#   --copy-as NAME  run a byte-for-byte copy of kdserver named NAME (with --scenarios pointing at the
#                   bundle): on a shared machine where something stops processes by the name kdserver
#
# Each window starts 5 s after the server(s) printed 'listening' (boot done). Around each window every target
# is asked `kd --observe -c '!poolused 4'`: the second answer proves it still serves, its latency is shown,
# and the growth of tag Abc's allocation count between the two answers (allocations per wall second) shows
# whether the target keeps its pace (the default scenario's Abc.sys allocates at a rate fixed in virtual time).
# RSS growth is VmRSS at the window's end minus its start, per target, scaled to an hour. host busy % is the
# whole machine's busy share over the window (/proc/stat), other work included.
# Everything is bounded: each start waits at most 60 s, each kd at most 30 s; every process it starts is
# stopped (SIGTERM, by pid) on exit. Loopback only. Exit status 1 if a target did not start or answer.
set -euo pipefail
cd "$(dirname "$0")/.."

bindir=.build/release
seconds=30
paces="0.1 1 10 0"
fleet="1 4 16 32"
scenario=default
copy_as=
plateau=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bindir=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --paces) paces=$2; shift 2 ;;
    --fleet) fleet=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --copy-as) copy_as=$2; shift 2 ;;
    --plateau) plateau=$2; shift 2 ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "measure-scale.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
kdserver=$bindir/kdserver
kd=$bindir/kd
[ -x "$kdserver" ] && [ -x "$kd" ] || { echo "measure-scale.sh: no kdserver and kd in $bindir" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/swift-kd-scale.XXXXXX")
chmod 700 "$tmp"
pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$tmp"' EXIT
scenarios=()
if [ -n "$copy_as" ]; then
  bundle=$bindir/swift-kd_KDKernel.resources/Scenarios
  [ -d "$bundle" ] || bundle=$bindir/../share/swift-kd/Scenarios
  mkdir -p "$tmp/bin"
  cp "$kdserver" "$tmp/bin/$copy_as"
  cmp -s "$kdserver" "$tmp/bin/$copy_as" || { echo "measure-scale.sh: the copy differs" >&2; exit 1; }
  kdserver=$tmp/bin/$copy_as
  scenarios=(--scenarios "$bundle")
fi
tick=$(getconf CLK_TCK)
failures=0

# start ID PACE: a kdserver on 127.0.0.1:0 with its own state directory; its pid in server_pid[ID].
declare -A server_pid port fingerprint
start() {
  mkdir -m 700 -p "$tmp/$1"
  "$kdserver" --listen 127.0.0.1:0 --state-dir "$tmp/$1/state" --scenario "$scenario" --pace "$2" \
    --log-level notice "${scenarios[@]}" 2>"$tmp/$1/err" &
  server_pid[$1]=$!
  pids+=("$!")
}
# listening ID: waits (60 s at most) for the start line; sets port[ID] and fingerprint[ID].
listening() {
  local line="" i
  for i in $(seq 1 600); do
    line=$(grep -m1 'listening on 127.0.0.1:' "$tmp/$1/err" || true)
    [ -z "$line" ] || break
    kill -0 "${server_pid[$1]}" 2>/dev/null || break
    sleep 0.1
  done
  port[$1]=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' <<<"$line")
  fingerprint[$1]=$(sed -n 's/.*fingerprint="\{0,1\}\(SHA256:[0-9A-F:]*\).*/\1/p' <<<"$line")
  [ -n "${port[$1]}" ] || { echo "FAIL: target $1 did not start: $(tail -n 3 "$tmp/$1/err")" >&2; return 1; }
}
# ticks PID: utime+stime in clock ticks (fields 14 and 15; the name in field 2 holds no space here).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# kb FIELD PID: VmRSS or VmHWM in KiB.
kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status" 2>/dev/null || echo 0; }
# host_busy: "busy total" jiffies of the whole machine (/proc/stat, first line).
host_busy() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat; }
now() { date +%s.%N; }
# ask ID: `!poolused 4` as an observer; sets abc (Abc's paged allocations), asked (when it answered) and
# latency (s); abc=- on failure.
ask() {
  local t0 t1 out
  t0=$(now)
  out=$(timeout 30 "$kd" --connect "127.0.0.1:${port[$1]}" --fingerprint "${fingerprint[$1]}" --observe --timeout 20 \
    -c '!poolused 4' 2>&1) || true
  t1=$(now)
  abc=$(awk '$1 == "Abc" { print $4; exit }' <<<"$out")
  [ -n "$abc" ] || { abc=-; echo "FAIL: target $1 did not answer: $(tail -n 2 <<<"$out")" >&2; }
  asked=$t1
  latency=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
  "kdserver $kdserver${copy_as:+ (a copy of $bindir/kdserver)}, scenario $scenario, windows of $seconds s"

# measure IDS...: the window over the running targets; prints one row.
measure() {
  local label=$1
  shift
  local ids=("$@") id t0 t1 h0 h1 c0=0 c1=0 latmax=0 answered=0 rss0=0 rss=0 hwm=0 hwmmax=0 rate=0
  declare -A abc0 when0
  for id in "${ids[@]}"; do ask "$id"; abc0[$id]=$abc; when0[$id]=$asked; done
  h0=$(host_busy)
  t0=$(now)
  for id in "${ids[@]}"; do
    c0=$((c0 + $(ticks "${server_pid[$id]}")))
    rss0=$((rss0 + $(kb VmRSS "${server_pid[$id]}")))
  done
  sleep "$seconds"
  for id in "${ids[@]}"; do c1=$((c1 + $(ticks "${server_pid[$id]}"))); done
  t1=$(now)
  h1=$(host_busy)
  for id in "${ids[@]}"; do
    if ! kill -0 "${server_pid[$id]}" 2>/dev/null; then
      echo "target $id stopped during the window: $(tail -n 1 "$tmp/$id/err")" >&2
      return 1
    fi
  done
  for id in "${ids[@]}"; do
    rss=$((rss + $(kb VmRSS "${server_pid[$id]}")))
    hwm=$(kb VmHWM "${server_pid[$id]}")
    [ "$hwm" -le "$hwmmax" ] || hwmmax=$hwm
  done
  for id in "${ids[@]}"; do
    ask "$id"
    if [ "$abc" != - ]; then
      answered=$((answered + 1))
      [ "${abc0[$id]}" = - ] || rate=$(awk -v r="$rate" -v a="${abc0[$id]}" -v b="$abc" -v s="${when0[$id]}" -v e="$asked" \
        'BEGIN { print r + (b - a) / (e - s) }')
    else
      failures=$((failures + 1))
    fi
    latmax=$(awk -v a="$latmax" -v b="$latency" 'BEGIN { print (b > a) ? b : a }')
  done
  awk -v l="$label" -v n="${#ids[@]}" -v c="$((c1 - c0))" -v hz="$tick" -v t0="$t0" -v t1="$t1" \
    -v rss0="$rss0" -v rss="$rss" -v hwm="$hwmmax" -v ok="$answered" -v lat="$latmax" -v rate="$rate" \
    -v hb="${h1% *}" -v hb0="${h0% *}" -v ht="${h1#* }" -v ht0="${h0#* }" 'BEGIN {
      wall = t1 - t0; cpu = c / hz / wall * 100
      printf "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f | %d/%d | %.2f | %.1f | %.0f |\n", l, n, wall,
        cpu, cpu / n, rss / 1024, rss / 1024 / n, hwm / 1024, (rss - rss0) / 1024 / n / wall * 3600, ok, n, lat,
        rate / n, (hb - hb0) / (ht - ht0) * 100
    }'
}
header() {
  echo "| $1 | targets | wall s | CPU % (sum) | CPU % per target | RSS MiB (sum) | RSS MiB per target | VmHWM MiB (max) | RSS growth MiB/h per target | answered | kd latency max s | Abc allocs/s per target | host busy % |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
}

# Part 1: one target per pace, one idle controller attached (a student's kd, the target running).
[ -z "$paces" ] || header pace
for attempt_pace in $(for p in $paces; do echo "$p"; done); do
 for attempt in 1 2 3; do
  pace=$attempt_pace
  id=p$pace-$attempt
  start "$id" "$pace"
  listening "$id" || { failures=$((failures + 1)); stop_all; continue; }
  mkfifo "$tmp/$id/stdin"
  sleep 3600 >"$tmp/$id/stdin" &
  holder=$!
  pids+=("$holder")
  "$kd" --connect "127.0.0.1:${port[$id]}" --fingerprint "${fingerprint[$id]}" <"$tmp/$id/stdin" >"$tmp/$id/kd.out" 2>&1 &
  pids+=("$!")
  sleep 5
  grep -q 'Kernel Debugger connection established' "$tmp/$id/kd.out" || echo "FAIL: the idle kd did not attach to $id" >&2
  if measure "$pace" "$id"; then stop_all; break; fi
  stop_all
  echo "pace $pace, attempt $attempt: measured again (a target stopped: another process signalled it?)" >&2
 done
done

# Part 2: N targets at once at pace 1, distinct ports and state directories (as kdserver@.service instances).
[ -z "$fleet" ] || { echo; header fleet; }
for n in $fleet; do
 for attempt in 1 2 3; do
  ids=()
  for i in $(seq 1 "$n"); do start "n$n-$i-$attempt" 1; ids+=("n$n-$i-$attempt"); done
  ok=1
  for id in "${ids[@]}"; do listening "$id" || { ok=0; failures=$((failures + 1)); }; done
  if [ "$ok" = 1 ]; then
    sleep 5
    if measure "pace 1" "${ids[@]}"; then stop_all; break; fi
  fi
  stop_all
  echo "$n targets, attempt $attempt: measured again (a target stopped: another process signalled it?)" >&2
 done
done

# Part 3: memory over time at pace 0.
if [ "$plateau" -gt 0 ]; then
  echo
  echo "| pace 0, s after listening | VmRSS MiB | VmHWM MiB | CPU % over the last 10 s |"
  echo "| --- | --- | --- | --- |"
  start plateau 0
  if listening plateau; then
    pid=${server_pid[plateau]}
    last=$(ticks "$pid")
    for s in $(seq 10 10 "$plateau"); do
      sleep 10
      kill -0 "$pid" 2>/dev/null || { echo "FAIL: the target stopped: $(tail -n 1 "$tmp/plateau/err")" >&2; failures=$((failures + 1)); break; }
      now_ticks=$(ticks "$pid")
      awk -v s="$s" -v r="$(kb VmRSS "$pid")" -v h="$(kb VmHWM "$pid")" -v c="$((now_ticks - last))" -v hz="$tick" \
        'BEGIN { printf "| %d | %.1f | %.1f | %.0f |\n", s, r / 1024, h / 1024, c / hz / 10 * 100 }'
      last=$now_ticks
    done
  else
    failures=$((failures + 1))
  fi
  stop_all
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
