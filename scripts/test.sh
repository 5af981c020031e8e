#!/usr/bin/env bash
# The README's test command: installs missing system packages, builds, runs every test, then installs the
# debug build into a temporary prefix and runs the installed kd and kdserver without the build directory
# (scripts/test-install.sh), checks the deployment files: systemd units, instances, Kubernetes manifests
# (scripts/test-deploy.sh), and last runs the Python client's tests in a fresh virtual environment
# (scripts/test-python.sh), then builds and runs the Swift API example package Examples/LeakHunt
# (scripts/test-example.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
swift test --skip-build --parallel --num-workers 2
bash scripts/test-install.sh .build/debug
bash scripts/test-deploy.sh .build/debug
bash scripts/test-python.sh .build/debug
bash scripts/test-example.sh
