#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What each per-port program costs per run, in a guest (make bench with
# VALLEY_BENCHES=ports-cost): the kernel's own run statistics
# (kernel.bpf_stats_enabled) over one run of each load of ports.sh, for
# the programs and for programs that return at once in their place.
# Under the bench guest's instruction-counted clock a nanosecond is an
# eighth of an instruction, so the figures are instruction counts times 8
# (the statistics' own clock reads included).
set -u

. "$(dirname "$0")/lib.sh"
VSTAT=$VALLEY_SRC/userspace/vstat

# progstats: "name runs ns/run" for each attached program of ours.
progstats() {
	bpftool prog show 2>/dev/null | awk '
		/ name vp_/ { for (i = 1; i <= NF; i++) if ($i == "name") n = $(i + 1) }
		/run_time_ns/ && n != "" {
			for (i = 1; i <= NF; i++) {
				if ($i == "run_time_ns") t = $(i + 1)
				if ($i == "run_cnt") c = $(i + 1)
			}
			if (c > 0) printf "  %-20s %9d runs %9.0f ns/run\n", n, c, t / c
			n = ""
		}'
}

without_module || exit 1
sysctl -qw kernel.bpf_stats_enabled=1
for mode in full hooks-only; do
	for load in udp sink tcp; do
		[ -d /sys/fs/bpf/valley ] && "$VSTAT" ports detach
		if [ $mode = full ]; then
			"$VSTAT" ports attach >/dev/null || exit 1
		else
			VALLEY_BENCH=hooks-only "$VSTAT" ports attach >/dev/null || exit 1
		fi
		case $load in
		udp) echo "$mode, UDP to a reader on CPU 1: $(run_pair udp) pkt/s" ;;
		sink) echo "$mode, UDP to a full socket: $(sink_send) pkt/s" ;;
		tcp) echo "$mode, TCP stream: $(run_pair tcp) MB/s" ;;
		esac
		progstats
	done
done
"$VSTAT" ports detach
sysctl -qw kernel.bpf_stats_enabled=0
teardown
restore_module
exit 0
