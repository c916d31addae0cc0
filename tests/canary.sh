#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug lane's self-test: build valley.ko with a bug on purpose
# (VALLEY_FAULT=leak, double-free, warn, lockdep), boot the debug kernel
# with it, and check that the runner fails the run and shows the report.  A
# lane that cannot fail would prove nothing.
#
# usage: canary.sh KVER KDIR KERNEL OUTDIR
# Prints a TAP line per fault; exits non-zero if any went unreported.
set -uo pipefail

kver=$1 kdir=$2 kernel=$3 out=$4
src=$(readlink -f "$(dirname "$0")/..")
n=0 failed=0

# reported REPORT HEADING PATTERN: PATTERN is in the part of run.sh's
# REPORT that begins with HEADING ("run.sh: KVER: HEADING"): the runner
# saw the bug and failed the run for it, not merely showed a console.
reported() {
	awk -v heading="$2" -v pat="$3" '
	/^run\.sh: / { in_part = index($0, heading) > 0; next }
	in_part && $0 ~ pat { found = 1 }
	END { exit !found }
	' "$1"
}

# canary FAULT HEADING PATTERN [ARGS]: the run must fail (status 2), with
# PATTERN under HEADING in the report.  ARGS go to the guest's kernel
# command line.
canary() {
	local fault=$1 heading=$2 pattern=$3 append=${4:-} dir=$out/canary-$1 rc

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
		--out "$dir/vm" --timeout 300 ${append:+--append "$append"} \
		2>"$dir/report.txt"
	rc=$?
	if [ "$rc" = 2 ] && reported "$dir/report.txt" "$heading" "$pattern"; then
		echo "ok $n lane reports $fault"
	else
		echo "not ok $n lane reports $fault # runner exit $rc, report:"
		sed 's/^/# /' "$dir/report.txt" | head -n 40
		failed=$((failed + 1))
	fi
}

splat='the kernel log holds a splat'
canary leak 'kmemleak found leaks in valley' 'unreferenced object'
canary double-free "$splat" 'KASAN: double-free'
# A WARN is printed at warning level, below the console's loglevel=4, and
# the guest's copy of its log is written last: with that copy left out, as
# a guest that hangs at the end would, the WARN must come by the console.
canary warn "$splat" 'WARNING: CPU: [0-9]+ PID: [0-9]+ at .*valley_fault_inject' \
	VALLEY_DMESG=0
canary lockdep "$splat" 'possible circular locking dependency detected'
[ "$failed" = 0 ]
