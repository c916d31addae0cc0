#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug lane's self-test: build valley.ko with a bug on purpose
# (VALLEY_FAULT=leak, VALLEY_FAULT=double-free), boot the debug kernel with
# it, and check that the runner fails the run and shows the report.  A lane
# that cannot fail would prove nothing.
#
# usage: canary.sh KVER KDIR KERNEL OUTDIR
# Prints a TAP line per fault; exits non-zero if any went unreported.
set -uo pipefail

kver=$1 kdir=$2 kernel=$3 out=$4
src=$(readlink -f "$(dirname "$0")/..")
n=0 failed=0

# canary FAULT PATTERN: the run must fail (status 2) saying PATTERN.
canary() {
	local fault=$1 pattern=$2 dir=$out/canary-$1 rc

	n=$((n + 1))
	rm -rf "$dir"
	if ! "$src/tests/build-module.sh" "$kdir" "$dir" VALLEY_FAULT="$fault" \
		2>/dev/null; then
		echo "not ok $n lane reports $fault # module build failed"
		failed=$((failed + 1))
		return
	fi
	"$src/tests/vm/run.sh" --kver "$kver" --kernel "$kernel" \
		--ko "$dir/src/kmod/valley.ko" --mode canary --mem 2048 \
		--out "$dir/vm" --timeout 300 2>"$dir/report.txt"
	rc=$?
	if [ "$rc" = 2 ] && grep -qE "$pattern" "$dir/report.txt"; then
		echo "ok $n lane reports $fault"
	else
		echo "not ok $n lane reports $fault # runner exit $rc, report:"
		sed 's/^/# /' "$dir/report.txt" | head -n 40
		failed=$((failed + 1))
	fi
}

canary leak 'kmemleak found leaks in valley'
canary double-free 'KASAN: double-free'
[ "$failed" = 0 ]
