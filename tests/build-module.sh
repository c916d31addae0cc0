#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build valley.ko against KDIR in OUT/src, a fresh copy of the sources, so
# that builds for several kernels never share objects.  Extra arguments go
# to make (W=1 C=2, VALLEY_FAULT=..., ...).  The log is OUT/build.log and
# is printed on failure; the module is OUT/src/kmod/valley.ko.  The
# family's generated C (kmod/genl-gen.sh) comes from the ynl-gen-c.py that
# tests/ksft.sh extracts into build/linux-src.
#
# usage: build-module.sh KDIR OUT [MAKE ARGS...]
set -euo pipefail

kdir=$1 out=$2
shift 2
src=$(readlink -f "$(dirname "$0")/..")

rm -rf "$out/src"
mkdir -p "$out/src"
out=$(readlink -f "$out")
"$src/tests/ksft.sh"
cp -a "$src/Kbuild" "$src/VERSION" "$src/kmod" "$out/src/"
rm -rf "$out/src/kmod/generated"
if ! make -C "$kdir" M="$out/src" VALLEY_LINUX_SRC="$src/build/linux-src" \
	"$@" modules >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	exit 1
fi
