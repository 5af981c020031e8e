#!/usr/bin/env bash
# Rebuilds sample.pdb (and sample.sys) from sample.c with the Swift toolchain's clang and lld-link.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
clang --target=i686-pc-windows-msvc -c -g -gcodeview -O1 -fno-stack-protector sample.c -o "$work/sample.obj"
lld-link /machine:x86 /driver /subsystem:native /debug /entry:DriverEntry /nodefaultlib /brepro \
  /out:"$work/sample.sys" /pdb:"$work/sample.pdb" /pdbaltpath:sample.pdb "$work/sample.obj"
cp "$work/sample.pdb" sample.pdb
rm -rf "$work"
