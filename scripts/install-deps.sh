#!/usr/bin/env bash
# Installs the Debian packages swift-kd builds and tests with, only those missing. python3-venv: the venvs of
# scripts/test-python.sh and of kubernetes-validate (scripts/test-deploy.sh); systemd: systemd-analyze
# (scripts/test-deploy.sh); gdb and lldb-14: the GDB endpoint's tests; llvm: llvm-pdbutil, which the PDB reader's
# tests compare with; chromium: headless, it renders `kd report`'s page in its tests (ReportTests). Needs root (or sudo).
set -euo pipefail
packages=(pkg-config libssl-dev libunicorn-dev libcapstone-dev libedit-dev openssl iproute2 strace python3 python3-venv
  systemd gdb lldb-14 python3-lldb-14 llvm chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: ${packages[*]}"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
