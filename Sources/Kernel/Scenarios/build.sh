#!/bin/sh
# Rebuilds every scenario driver object from its C source with the toolchain's clang.
# The objects are checked in; KDKernelTests checks they match these sources when clang is present.
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-clang}
for src in */*.c; do
  dir=$(dirname "$src"); name=$(basename "$src" .c)
  (cd "$dir" && "$CLANG" $(cat ../clang-flags.txt) -c "$name.c" -o "$name.obj")
  echo "built $dir/$name.obj"
done
