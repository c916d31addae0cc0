#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one valley guest under QEMU (TCG) and collect what it leaves in the
# results directory.  The guest sees the host's root file system read-only
# over virtio-9p, so the build tree, the tools and the selftests are where
# they are on the host.
#
# usage: run.sh --kver KVER --ko MODULE --out DIR [--mode tests|demo|shell]
#               [--kernel BZIMAGE] [--ksft DIR] [--timeout SECONDS]
#               [--mem MIB] [--smp CPUS] [--icount SHIFT] [--append ARGS]
#
# --icount SHIFT makes the guest's clock count instructions, 2^SHIFT ns
# each (QEMU -icount; one host thread runs the vCPUs): timings then do not
# depend on the host's load.
#
# Exit status: 0 when the guest finished and reported success with a clean
# kernel log; 1 when the guest reported failure; 2 when it crashed, hung
# (a timeout is a failure even when the guest wrote its status first), left
# no kernel log, its kernel log (the console's or the guest's copy) holds an
# oops, BUG, WARN, KASAN, lockdep, RCU or UBSAN report, or kmemleak found a
# leak that points into valley (the report is printed).
set -uo pipefail

here=$(dirname "$(readlink -f "$0")")
src=$(readlink -f "$here/../..")
kver='' ko='' out='' mode=tests kernel='' ksft='' timeout=600 mem=1024 smp=2 icount='' append=''

usage() {
	sed -n 's/^# \{0,1\}//; 7,12p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--kver) kver=$2; shift 2 ;;
	--ko) ko=$(readlink -f "$2"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--ksft) ksft=$(readlink -f "$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--icount) icount=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ -n "$kver" ] && [ -n "$ko" ] && [ -n "$out" ] || usage
[ -n "$kernel" ] || kernel=/boot/vmlinuz-$kver
for f in "$kernel" "$ko"; do
	[ -r "$f" ] || { echo "run.sh: cannot read $f" >&2; exit 2; }
done

mkdir -p "$out"
out=$(readlink -f "$out")
results=$out/results
rm -rf "$results"
mkdir -p "$results"

# Modules for 9p come from /lib/modules/KVER when the kernel has them.
modkver=''
[ -d "/lib/modules/$kver/kernel" ] && modkver=$kver
"$here/mkinitramfs.sh" "$out/initramfs.gz" $modkver || exit 2

cmdline="console=ttyS0 panic=-1 oops=panic loglevel=4 nokaslr"
# The test guests put the whole kernel log on the console: WARN and lockdep
# reports are printed at warning level, which loglevel=4 keeps off it, and
# the guest's own copy (dmesg.txt) is written last, so a guest that hangs
# or dies after the tests would hide them.  Not for the demo, whose
# console is the user's, nor for the bench, whose figures the serial
# console's writes would disturb.
case "$mode" in tests | canary) cmdline+=" ignore_loglevel" ;; esac
cmdline+=" VALLEY_INIT=$here/guest-init.sh VALLEY_MODE=$mode"
cmdline+=" VALLEY_SRC=$src VALLEY_KO=$ko VALLEY_KSFT=$ksft"
if [ "$mode" = shell ]; then
	cmdline+=" VALLEY_ROWS=$(tput lines 2>/dev/null || echo 24)"
	cmdline+=" VALLEY_COLS=$(tput cols 2>/dev/null || echo 80)"
	cmdline+=" VALLEY_TERM=${TERM:-linux}"
fi
[ -n "$append" ] && cmdline+=" $append"

# One host thread runs the vCPUs in turn (thread=single): with a thread
# each (MTTCG), a vCPU could run stale code holding the int3 of a static
# key's patch after the patch was done, and 6.12 guests oopsed in
# mem_cgroup_sk_alloc and inet6_ehashfn ("Oops: int3").
qemu=(qemu-system-x86_64 -accel tcg,thread=single -cpu max -smp "$smp" -m "$mem"
	${icount:+-icount "shift=$icount"}
	-nographic -no-reboot -nodefaults -serial mon:stdio
	-kernel "$kernel" -initrd "$out/initramfs.gz" -append "$cmdline"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap")

console=$out/console.log
start=$(date +%s)
timed_out=0
if [ "$mode" = shell ]; then
	"${qemu[@]}"
else
	# A kernel that dies while booting, before the guest init and so
	# before valley.ko, is QEMU's or the kernel's trouble (TCG's
	# cross-CPU code patching is known to trip now and then): boot once
	# more, and say so.  Anything after that counts.
	for try in 1 2; do
		timeout -k 10 "$timeout" "${qemu[@]}" </dev/null >"$console" 2>&1
		rc=$?
		# 124: timeout stopped QEMU; 137: it had to kill it.
		timed_out=0
		case "$rc" in 124 | 137) timed_out=1 ;; esac
		[ -f "$results/started" ] || [ "$try" = 2 ] && break
		echo "run.sh: $kver: the kernel died while booting, before valley was loaded; booting again. Its console:" >&2
		tail -n 40 "$console" >&2
		rm -rf "${results:?}"/*
	done
fi
echo "$(($(date +%s) - start))" >"$out/seconds"

verdict=0

# fail MESSAGE: the guest's run failed (exit 2) for this reason; the
# checks go on, so that every reason is printed.
fail() {
	echo "run.sh: $kver: $*" >&2
	verdict=2
}

# Anything the kernel must never say.  The console has the whole kernel
# log (ignore_loglevel) and is there whatever the guest did; dmesg.txt is
# the guest's own copy, written last, so a guest that hangs or dies after
# the tests leaves none.
splat='Oops|BUG:|WARNING:|UBSAN:|Kernel panic|general protection fault|'
splat+='possible circular locking|possible recursive locking|inconsistent lock state|'
splat+='suspicious RCU usage|INFO: task .* blocked|rcu: INFO:|stack-protector|'
splat+='Call Trace:'
# The report comes from the guest's copy when it has it (no console
# output is interleaved there).
klog=$console
grep -qsE "$splat" "$results/dmesg.txt" && klog=$results/dmesg.txt
if grep -qsE "$splat" "$results/dmesg.txt" "$console"; then
	fail "the kernel log holds a splat:"
	grep -E -A 40 "$splat" "$klog" | head -n 200 >&2
fi
# A timeout is a failure whatever the guest wrote before it: the hang may
# be in the kmemleak scan or at unload, after the status.
if [ "$timed_out" = 1 ]; then
	fail "the guest timed out after ${timeout}s; console:"
	tail -n 80 "$console" >&2
elif [ ! -f "$results/status" ]; then
	fail "the guest left no result (crash or hang); console:"
	tail -n 80 "$console" >&2
elif [ ! -f "$results/dmesg.txt" ]; then
	# The guest says it finished, yet never got to copying its log.
	fail "the guest wrote its status but no kernel log (dmesg.txt); console:"
	tail -n 80 "$console" >&2
fi
# kmemleak's report, one record per object: those whose allocation trace
# passes through valley, by name or by an address in the module area that
# no symbol covers (valley is the only module of the debug kernel, and its
# symbols are gone once it is unloaded).
if [ -s "$results/kmemleak.txt" ]; then
	leaks=$(awk '
		/^unreferenced object/ { if (rec != "" && hit) print rec; rec = ""; hit = 0 }
		{ rec = rec $0 "\n" }
		/valley|\[<[0-9a-f]+>\] 0xffffffff[a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]$/ { hit = 1 }
		END { if (rec != "" && hit) print rec }
	' "$results/kmemleak.txt")
	if [ -n "$leaks" ]; then
		fail "kmemleak found leaks in valley:"
		printf '%b' "$leaks" | head -n 200 >&2
	fi
fi
[ "$verdict" = 0 ] || exit "$verdict"
[ "$(cat "$results/status")" = 0 ] || exit 1
exit 0
