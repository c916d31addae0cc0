#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The per-layer counters' cost, in a guest (run by make bench): 64-byte
# UDP datagrams per second and TCP throughput from one namespace to
# another over veth, with no module, with valley.ko, and with an
# nftables ruleset that counts what nftables can of the same things.
# A fourth figure, "hooks only", loads a build of valley.ko whose hooks
# return at once (VALLEY_BENCH=hooks-only): what netfilter's calls of
# the hooks cost by themselves, a floor under valley's cost.
# The guest has two vCPUs; the sender runs on CPU 0, where veth also
# delivers, so all of the hooks' work is done there.  The 64-byte UDP
# datagrams go three ways: to a reader on CPU 1, to a reader that shares
# CPU 0 with the sender, and to a socket that never reads, where each
# takes the whole path into the full queue and is dropped there.  With
# an instruction-counted clock, the first and the last are steady measures
# of the instructions per datagram (with a reader: both CPUs' work for
# it, wake-ups included); with a shared CPU, the rate also depends on how
# the scheduler switches between sender and reader.  The UDP figure is
# what the sender got through.  TCP: sender on CPU 0, reader on CPU 1.
# Nine rounds of one second per figure, the configurations rotating
# within a round; each round gives a ratio to "no module", and the table
# shows the median ratio with a 96% confidence interval.
# Needs VALLEY_SRC, VALLEY_KO and the hooks-only module that bench.sh
# builds; starts and ends with valley.ko loaded.
set -u

. "$(dirname "$0")/lib.sh"
HOOKS_KO=$VALLEY_SRC/build/bench/hooks-only/src/kmod/valley.ko
[ -f "$HOOKS_KO" ] || { echo "layers.sh: no $HOOKS_KO (bench.sh builds it)" >&2; exit 1; }

# link_chain NAME HOOK DEV: a netdev chain counting what valley's link
# layer counts.
link_chain() {
	cat <<NFT
	chain $1 {
		type filter hook $2 device "$3" priority 0;
		counter
		meta protocol ip counter
		meta protocol ip6 counter
		meta protocol arp counter
		meta pkttype unicast counter
		meta pkttype broadcast counter
		meta pkttype multicast counter
	}
NFT
}

nft_ruleset() {
	echo "table netdev vlink {"
	link_chain ing ingress "$1"
	link_chain egr egress "$1"
	echo "}"
	cat <<NFT
table inet vlayers {
	chain count {
		meta nfproto ipv4 counter
		meta nfproto ipv6 counter
		icmp type echo-request counter
		icmp type echo-reply counter
		icmpv6 type echo-request counter
		ip saddr 10.0.0.0/8 counter
		ip daddr 10.0.0.0/8 counter
		tcp flags syn counter
		tcp flags fin counter
		tcp flags rst counter
		meta l4proto tcp counter
		meta l4proto udp counter
		th dport 0-1023 counter
		th dport 1024-49151 counter
		th dport 49152-65535 counter
		th dport { 80, 8080 } counter
		th dport 443 counter
		th dport 22 counter
		th dport 53 counter
	}
	chain c_input { type filter hook input priority 0; jump count; }
	chain c_output { type filter hook output priority 0; jump count; }
	chain c_forward { type filter hook forward priority 0; jump count; }
}
NFT
}

# config NAME: no module, valley.ko, its hooks only, or nftables' counters.
config() {
	ip netns exec lba nft flush ruleset
	ip netns exec lbb nft flush ruleset
	[ -d /sys/module/valley ] && rmmod valley
	case "$1" in
	valley) insmod "$VALLEY_KO" ;;
	hooks) insmod "$HOOKS_KO" ;;
	nft)
		nft_ruleset a0 | ip netns exec lba nft -f -
		nft_ruleset b0 | ip netns exec lbb nft -f -
		;;
	esac
}

setup
sink_start || exit 1
declare -A udp udp0 sink tcp
measure() {
	# Loading and unloading rewrite kernel text (static keys), and TCG
	# translates the code that runs anew: warm it up.
	SECS=0.5 run_pair udp >/dev/null
	udp[$1]+="$(run_pair udp) "
	udp0[$1]+="$(run_pair udp 0) "
	sink[$1]+="$(sink_send) "
	tcp[$1]+="$(run_pair tcp) "
}
each_round none valley hooks nft
config valley
teardown

# stats NONE VALLEY HOOKS NFT: per-round lists in, one line out: the
# medians of each; of valley/none with its 96% interval (ranks 2 and 8 of
# 9); of hooks/none and nft/none; of valley/nft with its interval: 12
# fields.
stats() {
	awk -v n="$1" -v m="$2" -v h="$3" -v f="$4" '
	'"$MEDIAN_AWK"'
	BEGIN {
		k = split(n, N, " "); split(m, M, " "); split(h, H, " ")
		split(f, F, " ")
		for (i = 1; i <= k; i++) {
			rv[i] = M[i] / N[i]; rh[i] = H[i] / N[i]
			rf[i] = F[i] / N[i]; vf[i] = M[i] / F[i]
		}
		printf "%s %s %s %s", med(N, k), med(M, k), med(H, k), med(F, k)
		a = med(rv, k); printf " %s %s %s", a, lo, hi
		printf " %s %s", med(rh, k), med(rf, k)
		a = med(vf, k); printf " %s %s %s\n", a, lo, hi
	}'
}

echo
printf '%-24s %-6s %10s %10s %10s %10s   %-20s %-10s %s\n' \
	"per-layer counters, veth" unit "no module" valley.ko "hooks only" \
	nftables "valley/none [96%]" hooks/none nft/none
declare -A res
for what in udp udp0 sink tcp; do
	declare -n list=$what
	res[$what]=$(stats "${list[none]}" "${list[valley]}" "${list[hooks]}" \
		"${list[nft]}")
	unset -n list
done
# row NAME UNIT STATS
row() {
	set -- "$1" "$2" $3
	printf '%-24s %-6s %10.1f %10.1f %10.1f %10.1f   %5.3fx [%5.3f-%5.3f] %5.3fx     %5.3fx\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "${11}"
}
row "UDP, reader on CPU 1" pkt/s "${res[udp]}"
row "UDP, reader on CPU 0" pkt/s "${res[udp0]}"
row "UDP, to a full socket" pkt/s "${res[sink]}"
row "TCP stream" MB/s "${res[tcp]}"
echo "(medians of $ROUNDS rounds of $SECS s; UDP: 64-byte datagrams the sender (CPU 0)"
echo " got through, to a reader on the other CPU, to one sharing the sender's CPU,"
echo " or to a socket that never reads; hooks only: valley's hooks called on every"
echo " packet, counting nothing)"
echo "targets:"
for what in udp udp0 sink tcp; do
	set -- ${res[$what]}
	case $what in
	udp) name="UDP pkt/s, reader CPU 1" ;;
	udp0) name="UDP pkt/s, reader CPU 0" ;;
	sink) name="UDP full socket" ;;
	tcp) name="TCP MB/s" ;;
	esac
	verdict "$name, valley/none (overhead <= 5%) >=" 0.95 "$6" "$7"
	verdict "$name, valley/nftables (less than nft) >=" 1.00 "${11}" "${12}"
done
