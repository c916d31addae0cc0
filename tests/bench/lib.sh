#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the guest-side benchmarks share (sourced by layers.sh and
# ports.sh): two namespaces lba and lbb joined by veth (10.0.9.1 and
# 10.0.9.2, static neighbours), tests/bench/lbench's senders and
# receivers on chosen CPUs, a UDP socket on port 9002 that never reads,
# and the verdict line of a target.

LB=$VALLEY_SRC/build/bench/lbench
SECS=1
ROUNDS=9

# on CPU N, when there are two
on() {
	if [ "$(nproc)" -ge 2 ]; then taskset -c "$@"; else shift; "$@"; fi
}

setup() {
	ip netns add lba
	ip netns add lbb
	ip link add a0 netns lba type veth peer name b0 netns lbb
	ip -n lba addr add 10.0.9.1/24 dev a0
	ip -n lbb addr add 10.0.9.2/24 dev b0
	ip -n lba link set a0 up
	ip -n lbb link set b0 up
	ip -n lba link set lo up
	ip -n lbb link set lo up
	ip -n lba neigh replace 10.0.9.2 dev a0 nud permanent \
		lladdr "$(ip -n lbb -br link show b0 | awk '{print $3}')"
	ip -n lbb neigh replace 10.0.9.1 dev b0 nud permanent \
		lladdr "$(ip -n lba -br link show a0 | awk '{print $3}')"
}

teardown() {
	sink_stop
	ip netns del lba
	ip netns del lbb
}

# without_module: for the eBPF benches, which need no valley.ko: unload
# it (restore_module loads it again), set up the namespaces and the sink.
without_module() {
	had_module=0
	if [ -d /sys/module/valley ]; then
		had_module=1
		rmmod valley
	fi
	setup
	sink_start
}

restore_module() {
	if [ "$had_module" = 1 ]; then
		insmod "$VALLEY_KO"
	fi
}

# sink_start: lbb's UDP socket on port 9002 that never reads.
sink_start() {
	sinkout=$(mktemp)
	ip netns exec lbb "$LB" udp-sink 9002 >"$sinkout" &
	sink_pid=$!
	until [ -s "$sinkout" ]; do
		kill -0 "$sink_pid" 2>/dev/null || { echo "bench: udp-sink failed" >&2; return 1; }
		sleep 0.05
	done
}

sink_stop() {
	kill "$sink_pid"
	wait "$sink_pid" 2>/dev/null
	rm -f "$sinkout"
}

# sink_send: the sender's figure into the socket that never reads.
sink_send() {
	on 0 ip netns exec lba "$LB" udp-send 10.0.9.2 9002 "$SECS"
}

# run_pair KIND [CPU]: the sender's figure (UDP) or the receiver's (TCP)
# for one run, the receiver on CPU (default 1).
run_pair() {
	local out rx

	out=$(mktemp)
	if [ "$1" = udp ]; then
		on "${2:-1}" ip netns exec lbb "$LB" udp-recv 9000 "$(awk "BEGIN { print $SECS + 0.5 }")" >"$out" &
	else
		on 1 ip netns exec lbb "$LB" tcp-recv 9001 >"$out" &
	fi
	rx=$!
	until [ -s "$out" ]; do sleep 0.05; done
	if [ "$1" = udp ]; then
		on 0 ip netns exec lba "$LB" udp-send 10.0.9.2 9000 "$SECS"
	else
		on 0 ip netns exec lba "$LB" tcp-send 10.0.9.2 9001 "$SECS"
	fi
	wait "$rx"
	[ "$1" = tcp ] && tail -n 1 "$out"
	rm -f "$out"
}

# each_round CONFIG...: ROUNDS rounds, in each every configuration in
# turn, the order rotating from round to round: the caller's "config C"
# sets one up, its "measure C" takes the figures.
each_round() {
	local -a cs=("$@")
	local n=$# round i c

	for ((round = 0; round < ROUNDS; round++)); do
		for ((i = 0; i < n; i++)); do
			c=${cs[$(((round + i) % n))]}
			config "$c"
			measure "$c"
		done
	done
}

# The awk function med(A, K): sorts A[1..K] and returns its median,
# leaving in lo and hi the ranks 2 and K - 1 (for 9 rounds, the median's
# 96% confidence interval).
MEDIAN_AWK='
	function med(a, k,   i, j, t) {
		for (i = 1; i <= k; i++)
			for (j = i + 1; j <= k; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		lo = a[2]; hi = a[k - 1]
		return a[(k + 1) / 2]
	}'

# verdict WHAT VALUE LO HI: met when the whole interval is at least VALUE.
verdict() {
	awk -v w="$1" -v t="$2" -v lo="$3" -v hi="$4" 'BEGIN {
		v = lo >= t ? "met" : hi < t ? "missed" : \
			"undecided (the interval straddles it)"
		printf "  %-58s %.2fx [%.2f-%.2f]: %s\n", w, t, lo, hi, v }'
}

