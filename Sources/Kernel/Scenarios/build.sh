#!/usr/bin/env bash
# Rebuilds every scenario driver as Windows builds one: each <dir>/<Name>.c compiled by clang for
# i686-pc-windows-msvc with CodeView, linked by lld-link into <dir>/<Name>.sys (a native PE32 driver) and
# <dir>/<Name>.pdb, its imports resolved through ntoskrnl.lib, the import library of nt's exports
# (include/ntoskrnl.exports). Into this directory, or the one given (the same tree; KDKernelTests builds
# afresh there and compares with the checked-in images and PDBs when the toolchain is present).
# Deterministic: /timestamp stamps a fixed time (2007-02-17), and every path in the PDB is relative or under C:\kd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:-$here}" && cd "${1:-$here}" && pwd)
CLANG=${CLANG:-clang}
LLD_LINK=${LLD_LINK:-lld-link}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here"
read -r -a cflags <clang-flags.txt || true  # one line, no newline
cflags+=(-g -gcodeview -fdebug-compilation-dir=. -fcoverage-compilation-dir=. -c)

# Where each driver asks to be loaded (/base): its place in its scenario's load order. A driver whose
# preferred base is taken is relocated by the loader.
preferred_base() {
  case $1 in
    Tron | Burst | Noise) echo 0xf7a10000 ;;
    IoN7) echo 0xf7a20000 ;;
    Gla5) echo 0xf7a30000 ;;
    Ggb) echo 0xf7a40000 ;;
    *) echo 0xf7a00000 ;;
  esac
}

# ntoskrnl.lib: a stub DLL with one empty routine per export (stdcall ones take ArgumentBytes/4 ints, so the
# decoration matches), exported undecorated by a .def as Windows' ntoskrnl.exe exports them.
mkdir -p "$work/nt"
{
  echo "LIBRARY ntoskrnl.exe"
  echo "EXPORTS"
} >"$work/nt/ntoskrnl.def"
: >"$work/nt/ntoskrnl.c"
grep -v '^#' include/ntoskrnl.exports | while read -r export; do
  [ -n "$export" ] || continue
  name=${export%@*}
  echo "  $name" >>"$work/nt/ntoskrnl.def"
  if [ "$name" = "$export" ]; then
    echo "void __cdecl $name(void) {}" >>"$work/nt/ntoskrnl.c"
  else
    args=""
    for ((i = 0; i < ${export#*@} / 4; i++)); do args="$args${args:+, }int a$i"; done
    echo "void __stdcall $name(${args:-void}) {}" >>"$work/nt/ntoskrnl.c"
  fi
done
(cd "$work/nt" && "$CLANG" --target=i686-pc-windows-msvc -ffreestanding -fno-builtin -c ntoskrnl.c -o ntoskrnl.obj &&
  "$LLD_LINK" /machine:x86 /dll /noentry /nodefaultlib /brepro /def:ntoskrnl.def /out:ntoskrnl.exe \
    /implib:ntoskrnl.lib ntoskrnl.obj >/dev/null)

cp -R include "$work/include"
for src in */*.c; do
  dir=$(dirname "$src")
  name=$(basename "$src" .c)
  mkdir -p "$work/$dir" "$out/$dir"
  cp "$src" "$work/$dir/"
  (cd "$work/$dir" && "$CLANG" "${cflags[@]}" "$name.c" -o "$name.obj" &&
    "$LLD_LINK" /machine:x86 /driver /subsystem:native /debug /opt:ref /entry:DriverEntry /nodefaultlib /timestamp:0x45d6a0f0 \
      /base:"$(preferred_base "$name")" /pdbsourcepath:'C:\kd\'"$dir" /pdbaltpath:"$name.pdb" \
      /out:"$name.sys" /pdb:"$name.pdb" "$name.obj" ../nt/ntoskrnl.lib)
  cp "$work/$dir/$name.sys" "$work/$dir/$name.pdb" "$out/$dir/"
  echo "built $dir/$name.sys $dir/$name.pdb"
done
