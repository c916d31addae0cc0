#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Generate C from the family's YNL spec with the kernel's own ynl-gen-c.py
# (tools/net/ynl of linux-source-6.12, which tests/ksft.sh extracts):
#
#   genl-gen.sh LINUX_SRC SPEC uapi OUT.h     the family's uapi header
#   genl-gen.sh LINUX_SRC SPEC kernel OUT.h   the module's declarations
#   genl-gen.sh LINUX_SRC SPEC source OUT.c   policies and split ops
#
# ynl-gen-c.py finds the spec schema two directories above the spec and
# names the output after the spec's path below a kernel tree (the first
# directory up with a MAINTAINERS file), so the spec is copied into a
# small tree of that shape first.  OUT is left untouched when it would
# not change.
set -eu

if [ $# -ne 4 ]; then
	echo "usage: genl-gen.sh LINUX_SRC SPEC uapi|kernel|source OUT" >&2
	exit 2
fi
linux=$1 spec=$2 mode=$3 out=$4
gen=$linux/tools/net/ynl/ynl-gen-c.py
schema=$linux/Documentation/netlink/genetlink-legacy.yaml

case $mode in
uapi)	args="--mode uapi --header" ;;
kernel)	args="--mode kernel --header" ;;
source)	args="--mode kernel --source" ;;
*)	echo "genl-gen.sh: unknown mode $mode" >&2; exit 2 ;;
esac
if [ ! -r "$gen" ] || [ ! -r "$schema" ]; then
	echo "genl-gen.sh: no ynl-gen-c.py in $linux: run tests/ksft.sh first" >&2
	exit 1
fi

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/Documentation/netlink/specs" "$(dirname "$out")"
: >"$tree/MAINTAINERS"
cp "$schema" "$tree/Documentation/netlink/"
cp "$spec" "$tree/Documentation/netlink/specs/"
# shellcheck disable=SC2086
python3 "$gen" $args --cmp-out \
	--spec "$tree/Documentation/netlink/specs/$(basename "$spec")" -o "$out"
