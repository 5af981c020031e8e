#!/usr/bin/env bash
# The fleet's deployment files, checked offline (issue 13, part 3; docs/SCALE.md):
#  1. Deploy/install.sh into a temporary prefix; `systemd-analyze verify` on the installed kdserver.service and
#     kdserver@.service (as the instance kdserver@kd01): any line it prints about them fails; the template
#     keeps every setting of kdserver.service but the instance's own, and rates the same in
#     `systemd-analyze security --offline`.
#  2. Three instances started by hand as the template starts them: its installed ExecStart line, %i
#     replaced, with each instance's environment file (the example's, on loopback, a port and a token of its
#     own) and its own state directory; each must listen and serve `kd -c '!poolused 4'` with its token.
#  3. The StatefulSet pod's init container (its script, from statefulset.yaml) against kdserver's permission
#     check, as root only: files laid out as the kubelet leaves them for fsGroup 10001 (Secret 0440, volume
#     root 2775), everything run as uid 10001; the token straight from the Secret must be refused, the init
#     container's copy accepted, also after the kubelet's fsGroup pass adds group bits on a restart.
#  4. Deploy/kubernetes/*.yaml and the output of tokens.sh and per-pod-services.sh validated with PyPI's
#     kubernetes-validate (pinned below) in a temporary venv, with the network cut off (unshare -n) when
#     allowed: it needs no cluster and no network once installed.
# Usage: scripts/test-deploy.sh [BIN_DIR]   (default .build/debug). Exit status 0 when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
bindir=${1:-.build/debug}
case "$bindir" in /*) ;; *) bindir=$repo/$bindir ;; esac
kubernetes_validate=kubernetes-validate==1.37.0
kubernetes_version=${KUBERNETES_VERSION:-1.33.0}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/swift-kd-deploy.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
chmod 755 "$tmp" # the uid 10001 of check 3 runs the installed binaries from here
failures=0
ok() { echo "ok: $*"; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
skip() { echo "skipped: $*"; }
prefix=$tmp/prefix
units=$prefix/lib/systemd/system
kdserver=$prefix/bin/kdserver
kd=$prefix/bin/kd

echo "== Deploy/install.sh --bin-dir $bindir --prefix $prefix"
sh Deploy/install.sh --bin-dir "$bindir" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; exit 1; }
for f in "$units/kdserver.service" "$units/kdserver@.service" "$prefix/share/doc/swift-kd/kdserver-instance.conf.example"; do
  [ -s "$f" ] && ok "installed ${f#"$prefix"/}" || fail "install.sh did not install ${f#"$prefix"/}"
done

echo
echo "== 1. systemd-analyze verify"
if ! command -v systemd-analyze >/dev/null; then
  fail "no systemd-analyze (Debian package systemd)"
else
  (cd "$tmp" && systemd-analyze --version | head -n 1)
  for unit in kdserver.service "kdserver@.service:kdserver@kd01.service"; do
    status=0
    out=$(cd "$tmp" && systemd-analyze verify "$units/$unit" 2>&1) || status=$?
    about=$(grep -i 'kdserver' <<<"$out" || true)
    if [ "$status" = 0 ] && [ -z "$about" ]; then ok "systemd-analyze verify $unit: no warning"; else
      fail "systemd-analyze verify $unit (status $status)"
      printf '  %s\n' "$out"
    fi
  done
  # Every setting of kdserver.service is in the template, but those that make an instance.
  missing=$(grep -E '^[A-Za-z]+=' Deploy/kdserver.service |
    grep -vE '^(Description|EnvironmentFile|ExecStart|StateDirectory)=' | while IFS= read -r line; do
      grep -qxF -- "$line" Deploy/kdserver@.service || echo "$line"
    done)
  [ -z "$missing" ] && ok "kdserver@.service keeps every other setting of kdserver.service (hardening included)" ||
    fail "kdserver@.service lacks: $missing"
  rating() { (cd "$tmp" && systemd-analyze security --offline=yes "$1" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: //p'); }
  single=$(rating "$units/kdserver.service")
  template=$(rating "$units/kdserver@.service")
  [ -n "$single" ] && [ "$single" = "$template" ] &&
    ok "systemd-analyze security --offline: both rate $single" ||
    fail "systemd-analyze security --offline: kdserver.service '$single', kdserver@.service '$template'"
fi

# start ID ARGS...: a kdserver in the background; waits (30 s at most) for its start line, sets port, fp.
start() {
  local id=$1 line="" i
  shift
  "$@" 2>"$tmp/$id.err" &
  pids+=("$!")
  server=$!
  for i in $(seq 1 300); do
    line=$(grep -m1 'listening on ' "$tmp/$id.err" || true)
    [ -z "$line" ] && kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  port=$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' <<<"$line")
  fp=$(sed -n 's/.*fingerprint="\{0,1\}\(SHA256:[0-9A-F:]*\).*/\1/p' <<<"$line")
  [ -n "$port" ]
}
# answers TOKEN_FILE: kd with that token serves `!poolused 4` at 127.0.0.1:$port.
answers() {
  timeout 60 "$kd" --connect "127.0.0.1:$port" --fingerprint "$fp" --token-file "$1" --timeout 30 \
    -c '!poolused 4' 2>&1 | grep -q 'Sorting by Paged Pool Consumed'
}
# stops PID: SIGTERM, exit status 0.
stops() { kill -TERM "$1" && wait "$1"; }

echo
echo "== 2. three instances as kdserver@.service starts them"
# The installed ExecStart, continuation lines joined, %i as the instance, /var/lib under $tmp.
exec_start=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$units/kdserver@.service" | sed 's/^ExecStart=//; s/\\$//' | tr -s ' \n' ' ')
mkdir -p "$tmp/etc" "$tmp/var/lib/kdserver"
for instance in kd01 kd02 kd03; do
  (umask 077 && openssl rand -hex 16 >"$tmp/etc/$instance.token")
  sed -e "s|^KDSERVER_LISTEN=.*|KDSERVER_LISTEN=127.0.0.1:0|" \
    -e "s|^KDSERVER_TOKEN_FILE=.*|KDSERVER_TOKEN_FILE=$tmp/etc/$instance.token|" \
    "$prefix/share/doc/swift-kd/kdserver-instance.conf.example" >"$tmp/etc/$instance.conf"
  # systemd's StateDirectory=kdserver/%i, mode 0700.
  install -d -m 0700 "$tmp/var/lib/kdserver/$instance"
  command=$(sed -e "s|%i|$instance|g" -e "s|/var/lib/|$tmp/var/lib/|g" <<<"$exec_start")
  # The environment file's KEY=VALUE lines, then the command line with $VAR and ${VAR} expanded.
  if start "$instance" env -i bash -c "set -a; . '$tmp/etc/$instance.conf'; set +a; exec $command"; then
    eval "pid_$instance=$server port_$instance=$port"
    ok "kdserver@$instance listens on 127.0.0.1:$port (state $tmp/var/lib/kdserver/$instance)"
    answers "$tmp/etc/$instance.token" && ok "kdserver@$instance serves kd with its token" ||
      fail "kdserver@$instance did not serve kd with its token"
    [ -s "$tmp/var/lib/kdserver/$instance/server-selfsigned-key.pem" ] &&
      ok "kdserver@$instance keeps its identity in its own state directory" ||
      fail "no identity in $tmp/var/lib/kdserver/$instance"
  else
    fail "kdserver@$instance did not start: $(tail -n 3 "$tmp/$instance.err")"
  fi
done
if [ -n "${port_kd01:-}" ] && [ -n "${port_kd02:-}" ]; then
  port=$port_kd02
  fp=$(sed -n 's/.*fingerprint="\{0,1\}\(SHA256:[0-9A-F:]*\).*/\1/p' "$tmp/kd02.err" | head -n 1)
  answers "$tmp/etc/kd01.token" && fail "kdserver@kd02 accepted kdserver@kd01's token" ||
    ok "kdserver@kd02 refuses kdserver@kd01's token"
fi
for instance in kd01 kd02 kd03; do
  pid=$(eval "echo \${pid_$instance:-}")
  [ -z "$pid" ] || { stops "$pid" && ok "kdserver@$instance exits 0 on SIGTERM" || fail "kdserver@$instance: SIGTERM"; }
done

echo
echo "== 3. the StatefulSet's init container against kdserver's permission check"
venv=$tmp/venv
k8s=Deploy/kubernetes
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
  skip "not root or no setpriv: the kubelet's file owners cannot be laid out"
else
  # The init container's script (the literal block after '- -ec') and the server's arguments (the '- --NAME='
  # lines), read from the manifest as it is laid out.
  script=$(awk '/- -ec$/ { getline; if ($0 ~ /- \|$/) { on = 1; next } } on && /^ *[a-z]+:/ && !/^              / { exit }
    on { sub(/^              /, ""); print }' "$k8s/statefulset.yaml")
  args=$(sed -n 's/^            - \(--[a-z-]*=.*\)$/\1/p' "$k8s/statefulset.yaml")
  pod=$tmp/pod
  # As the kubelet leaves them with fsGroup 10001: the Secret's files root:10001 0440 (defaultMode 0400 plus
  # group read), the memory emptyDir 2777, the state volume's root root:10001 2775.
  install -d -m 0755 "$pod"
  install -d -m 2755 -g 10001 "$pod/tokens"
  (umask 077 && openssl rand -hex 16 >"$pod/tokens/kd-0" && openssl rand -hex 16 >"$pod/tokens/kd-1")
  chgrp 10001 "$pod/tokens/kd-0" "$pod/tokens/kd-1" && chmod 0440 "$pod/tokens/kd-0" "$pod/tokens/kd-1"
  install -d -m 2777 -g 10001 "$pod/run"
  install -d -m 2775 -g 10001 "$pod/state"
  paths() { sed -e "s|/etc/kdserver/tokens|$pod/tokens|g" -e "s|/run/kdserver|$pod/run|g" -e "s|/var/lib/kdserver|$pod/state|g"; }
  # A command prefix, not a function: run in the background it must exec, so that its pid is kdserver's.
  as_pod=(setpriv --reuid 10001 --regid 10001 --groups 10001 --inh-caps=-all --)
  # The container's arguments, on loopback; the scenario and pace its environment gives.
  server_args=$(paths <<<"$args" | sed -e 's|^--listen=.*|--listen=127.0.0.1:0|' \
    -e 's|\$(KDSERVER_SCENARIO)|default|' -e 's|\$(KDSERVER_PACE)|1|')
  mapfile -t server_args <<<"$server_args"
  if [ -z "$script" ] || ! grep -q -- '--token-file=' <<<"${server_args[*]}"; then
    fail "could not read the init script or the server's arguments from $k8s/statefulset.yaml"
  else
    secret_args=("${server_args[@]/#--token-file=*/--token-file=$pod/tokens/kd-0}")
    status=0
    "${as_pod[@]}" "$kdserver" "${secret_args[@]}" 2>"$tmp/pod-secret.err" || status=$?
    [ "$status" = 1 ] && grep -q 'refusing token file' "$tmp/pod-secret.err" &&
      ok "the token as the Secret volume gives it (0440 for fsGroup) is refused: $(grep -o 'mode 0440[^.]*' "$tmp/pod-secret.err")" ||
      fail "kdserver did not refuse the Secret's 0440 token (status $status): $(tail -n 2 "$tmp/pod-secret.err")"
    for round in first restart; do
      if [ "$round" = restart ]; then
        # The kubelet's fsGroupChangePolicy=Always pass on the next mount: group rw on files, rwx+setgid on dirs.
        find "$pod/state" -type f -exec chmod g+rw {} + && find "$pod/state" -type d -exec chmod g+rwxs {} +
      fi
      if "${as_pod[@]}" env POD_NAME=kd-0 sh -ec "$(paths <<<"$script")"; then
        ok "init container ($round start): token $(stat -c '%a %u' "$pod/run/token"), state $(stat -c '%a' "$pod/state/identity")"
      else
        fail "the init container's script failed ($round start)"
      fi
      if start "pod-$round" "${as_pod[@]}" "$kdserver" "${server_args[@]}"; then
        ok "kdserver as uid 10001 accepts the copied token and the state directory ($round start)"
        answers "$pod/run/token" && ok "it serves kd with pod kd-0's token" || fail "it did not serve kd with kd-0's token"
        if "$kdserver" --help | grep -q -- '--probe'; then
          probe_out=$("${as_pod[@]}" "$kdserver" --probe "127.0.0.1:$port" --state-dir "$pod/state/identity" \
            --token-file "$pod/run/token" --probe-timeout 4 2>&1) &&
            ok "kdserver --probe (the pod's probe command): $probe_out" || fail "kdserver --probe: $probe_out"
        elif [ "$round" = first ]; then
          skip "this kdserver has no --probe yet: the probes' command is not run"
        fi
        stops "$server" && ok "it exits 0 on SIGTERM" || fail "kdserver in the pod layout: SIGTERM"
      else
        fail "kdserver in the pod layout did not start ($round start): $(tail -n 3 "$tmp/pod-$round.err")"
      fi
    done
  fi
fi

echo
echo "== 4. Kubernetes manifests, kubernetes-validate against Kubernetes $kubernetes_version"
if ! python3 -m venv "$venv" >"$tmp/venv.log" 2>&1; then
  fail "python3 -m venv failed (Debian package python3-venv): $(tail -n 2 "$tmp/venv.log")"
elif ! "$venv/bin/pip" install -q --disable-pip-version-check "$kubernetes_validate" >"$tmp/pip.log" 2>&1; then
  fail "pip install $kubernetes_validate failed: $(tail -n 3 "$tmp/pip.log")"
else
  (umask 077 && sh "$k8s/tokens.sh" 3 >"$tmp/tokens.yaml")
  for type in NodePort LoadBalancer ClusterIP; do sh "$k8s/per-pod-services.sh" 30 "$type" >"$tmp/per-pod-$type.yaml"; done
  [ "$(grep -c '^kind: Service' "$tmp/per-pod-NodePort.yaml")" = 30 ] && ok "per-pod-services.sh 30: 30 Services" ||
    fail "per-pod-services.sh 30 did not print 30 Services"
  validate=("$venv/bin/kubernetes-validate" --strict -k "$kubernetes_version" "$k8s"/*.yaml "$tmp/tokens.yaml" "$tmp"/per-pod-*.yaml)
  offline=""
  if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
    offline="no network (unshare -n)"
    validate=(unshare -n "${validate[@]}")
  fi
  status=0
  out=$("${validate[@]}" 2>&1) || status=$?
  passed=$(grep -c ' passed for resource ' <<<"$out" || true)
  if [ "$status" = 0 ] && ! grep -qv ' passed for resource ' <<<"$out"; then
    ok "kubernetes-validate --strict: $passed resources pass${offline:+, $offline}"
  else
    fail "kubernetes-validate (status $status)"
    grep -v ' passed for resource ' <<<"$out" | sed 's/^/  /'
  fi
  grep -nE '(CPU|MEMORY)_(REQUEST|LIMIT)' "$k8s/statefulset.yaml" && fail "statefulset.yaml has a placeholder left" ||
    ok "statefulset.yaml's resources are filled in"
fi

echo
if [ "$failures" -ne 0 ]; then
  echo "$failures deploy check(s) failed"
  exit 1
fi
echo "all deploy checks passed"
