#!/usr/bin/env bash
# The install test (issue 10, item 7): Deploy/install.sh into a temporary prefix, then the installed kd and
# kdserver run with the build directory made unreachable: in a private mount namespace (unshare -m, as root)
# an empty tmpfs is mounted over this clone's .build. Where that cannot be done, it says why and runs the
# installed binaries with the build directory left in place.
#
# Usage: scripts/test-install.sh [BIN_DIR]   (default .build/debug, which `swift build` makes)
# Exit status: 0 when every check passed, 1 otherwise (each check prints ok/FAIL and its evidence).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

# Inside the namespace: hide the build directory, then run the checks (below).
if [ "${1:-}" = "--inside" ]; then
  tmp=$2
  mount -t tmpfs -o size=1m,mode=0755 swift-kd-hidden-build "$repo/.build"
  if [ -e "$repo/.build/debug" ] || [ -e "$repo/.build/release" ]; then
    echo "FAIL: $repo/.build is still visible after the tmpfs mount" >&2
    exit 1
  fi
  echo "build directory hidden: $repo/.build is an empty tmpfs in this mount namespace"
  exec bash "$repo/scripts/test-install.sh" --checks "$tmp"
fi

if [ "${1:-}" != "--checks" ]; then
  bindir=${1:-.build/debug}
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/swift-kd-install.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "== Deploy/install.sh --bin-dir $bindir --prefix $tmp/prefix"
  sh Deploy/install.sh --bin-dir "$bindir" --prefix "$tmp/prefix"
  echo
  echo "== the installed binaries, build directory unreachable"
  why=""
  if [ ! -d "$repo/.build" ]; then
    why="no $repo/.build directory to hide"
  elif [ "$(id -u)" != 0 ]; then
    why="not root (unshare -m and mount need it)"
  elif ! command -v unshare >/dev/null; then
    why="no unshare command"
  elif ! probe=$(unshare -m --propagation private sh -c "mount -t tmpfs probe '$tmp' && umount '$tmp'" 2>&1); then
    why="unshare -m / mount refused here: $probe"
  fi
  if [ -z "$why" ]; then
    unshare -m --propagation private bash "$repo/scripts/test-install.sh" --inside "$tmp"
  else
    echo "skipped hiding the build directory: $why; running the installed binaries with it in place"
    bash "$repo/scripts/test-install.sh" --checks "$tmp"
  fi
  exit $?
fi

# --checks TMP: run the installed kd and kdserver from TMP/prefix.
tmp=$2
prefix=$tmp/prefix
failures=0
ok() { echo "ok: $*"; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
# Runs a command with a time limit; leaves stdout, stderr and status in $out, $err, $status.
capture() {
  status=0
  timeout 120 "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
# check WHAT CONDITION...: CONDITION is a command; on failure the last capture's output is shown.
check() {
  what=$1
  shift
  if "$@"; then ok "$what"; else
    fail "$what (status $status)"
    printf '  stdout: %s\n  stderr: %s\n' "$(tail -n 15 "$tmp/out")" "$(tail -n 15 "$tmp/err")"
  fi
}
has() { grep -qF -- "$2" <<<"$1"; }

capture "$prefix/bin/kd" --timeout 60 -c 'lm; !poolused 4'
check "kd -c 'lm; !poolused 4' on the embedded target exits 0" test "$status" = 0
check "kd lists the scenario's modules" has "$out" "f7a00000 f7a05000   Abc"
check "kd ranks the pool tags" has "$out" "Sorting by Paged Pool Consumed"

mkdir -p "$tmp/elsewhere"
ln -sf "$prefix/bin/kd" "$tmp/elsewhere/kd"
capture "$tmp/elsewhere/kd" --timeout 60 -c 'lm'
check "kd through a symbolic link in another directory finds the scenarios (its resolved path)" \
  test "$status" = 0 -a -n "$(grep -F 'Abc' "$tmp/out")"

capture "$prefix/bin/kd" --scenarios /nonexistent -c 'q'
check "kd --scenarios /nonexistent exits 78 (EX_CONFIG, docs/COMMANDS.md)" test "$status" = 78
check "kd says where it looked" has "$err" "no scenarios directory: tried /nonexistent"

capture "$prefix/bin/kdserver" --listen 127.0.0.1:0 --state-dir "$tmp/state" --scenarios /nonexistent
check "kdserver --scenarios /nonexistent exits 1 (non-zero, below 128)" test "$status" = 1
check "kdserver says where it looked" has "$err" "no scenarios directory: tried /nonexistent"

"$prefix/bin/kdserver" --listen 127.0.0.1:0 --state-dir "$tmp/state" --pace 0 2>"$tmp/kdserver.err" &
server=$!
line=""
for _ in $(seq 1 300); do
  line=$(grep -m1 "listening on 127.0.0.1:" "$tmp/kdserver.err" || true)
  [ -n "$line" ] || ! kill -0 "$server" 2>/dev/null || { sleep 0.1; continue; }
  break
done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' <<<"$line")
fingerprint=$(sed -n 's/.*fingerprint="\{0,1\}\(SHA256:[0-9A-F:]*\).*/\1/p' <<<"$line")
status=0
check "kdserver --listen 127.0.0.1:0 prints its start line" test -n "$port" -a -n "$fingerprint"
if [ -n "$port" ]; then
  echo "  $line"
  capture "$prefix/bin/kd" --connect "127.0.0.1:$port" --fingerprint "$fingerprint" -b --timeout 60 -c 'lm'
  check "the installed kd attaches to the installed kdserver and breaks in" test "$status" = 0
  check "kd sees the target's modules over TLS" has "$out" "f7a00000 f7a05000   Abc"
fi
kill -TERM "$server" 2>/dev/null || true
status=0
wait "$server" || status=$?
check "kdserver exits 0 on SIGTERM" test "$status" = 0
check "kdserver logged the SIGTERM" grep -q "signal SIGTERM: stopping" "$tmp/kdserver.err"

status=0
for f in share/bash-completion/completions/kd share/zsh/site-functions/_kdserver share/fish/vendor_completions.d/kd.fish \
  share/man/man1/kdserver.1 share/man/man1/kd.1 lib/systemd/system/kdserver.service; do
  [ -s "$prefix/$f" ] || fail "installed $f is missing or empty"
done
check "bash accepts the installed completion" bash -n "$prefix/share/bash-completion/completions/kdserver"
check "the unit's ExecStart is the installed kdserver" grep -q "^ExecStart=$prefix/bin/kdserver " \
  "$prefix/lib/systemd/system/kdserver.service"
if command -v man >/dev/null; then
  capture man -l "$prefix/share/man/man1/kdserver.1"
  check "man renders kdserver.1 with its options" has "$out" "--allow-insecure-permissions"
fi

# The unit's install header and docs/DEPLOY.md ("systemd") give the same commands, and the paths they name
# under /usr/local are what install.sh installed (here under the temporary prefix).
status=0
header=$(sed -n '/^\[Unit\]/q; s/^#   //p' "$repo/Deploy/kdserver.service")
documented=$(awk '/^## systemd/ { s = 1 } s && /^```sh/ { b = 1; next } b && /^```/ { exit } b' "$repo/docs/DEPLOY.md")
check "docs/DEPLOY.md's systemd block is the unit's install header, verbatim" test "$header" = "$documented"
for path in $(grep -o '/usr/local/[^ ]*' <<<"$header"); do
  check "the header's $path is installed" test -e "$prefix/${path#/usr/local/}"
done

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all install checks passed"
