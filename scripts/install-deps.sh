#!/usr/bin/env bash
# Installs the Debian packages swift-kd builds and tests with, only those missing. Needs root (or sudo).
set -euo pipefail
# systemd: systemd-analyze; python3-venv: kubernetes-validate's venv (both for scripts/test-deploy.sh).
packages=(pkg-config libssl-dev libunicorn-dev libcapstone-dev libedit-dev openssl iproute2 strace systemd python3-venv)
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
