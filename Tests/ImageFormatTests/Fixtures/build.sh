#!/usr/bin/env bash
# Rebuilds the fixtures with the Swift toolchain's clang and lld-link: ntoskrnl.exe (nt.c, linked as a DLL for its
# import library) and sample.sys with sample.pdb (sample.c, importing from ntoskrnl.exe, exporting SampleAllocate),
# into this directory or the one given (the tests build them afresh there and read them too).
set -euo pipefail
out=$(realpath "${1:-$(dirname "$0")}")
cd "$(dirname "$0")"
work=$(mktemp -d)
cflags=(--target=i686-pc-windows-msvc -c -g -gcodeview -O1 -fno-stack-protector -fno-omit-frame-pointer)
clang "${cflags[@]}" nt.c -o "$work/nt.obj"
lld-link /machine:x86 /dll /noentry /nodefaultlib /brepro /out:"$work/ntoskrnl.exe" /implib:"$work/ntoskrnl.lib" \
  "$work/nt.obj"
clang "${cflags[@]}" sample.c -o "$work/sample.obj"
lld-link /machine:x86 /driver /subsystem:native /debug /entry:DriverEntry /nodefaultlib /brepro \
  /out:"$work/sample.sys" /pdb:"$work/sample.pdb" /pdbaltpath:sample.pdb "$work/sample.obj" "$work/ntoskrnl.lib"
cp "$work/ntoskrnl.exe" "$work/sample.sys" "$work/sample.pdb" "$out"
rm -rf "$work"
