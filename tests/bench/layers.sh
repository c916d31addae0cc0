#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The per-layer counters' cost, in a guest (run by make bench): 64-byte
# UDP datagrams per second and TCP throughput from one namespace to
# another over veth, with no module, with valley.ko, and with an
# nftables ruleset that counts what nftables can of the same things.
# Each figure is the median of three rounds, the configurations rotating
# within a round, printed as a ratio to "no module".
# Needs VALLEY_SRC and VALLEY_KO; starts and ends with valley.ko loaded.
set -u

LB=$VALLEY_SRC/build/bench/lbench
SECS=2

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

# config NAME: no module, valley.ko, or nftables' counters.
config() {
	ip netns exec lba nft flush ruleset
	ip netns exec lbb nft flush ruleset
	[ -d /sys/module/valley ] && rmmod valley
	case "$1" in
	valley) insmod "$VALLEY_KO" ;;
	nft)
		nft_ruleset a0 | ip netns exec lba nft -f -
		nft_ruleset b0 | ip netns exec lbb nft -f -
		;;
	esac
}

# run_pair KIND: the receiver's figure for one run.
run_pair() {
	local out rx

	out=$(mktemp)
	if [ "$1" = udp ]; then
		ip netns exec lbb "$LB" udp-recv 9000 "$SECS" >"$out" &
	else
		ip netns exec lbb "$LB" tcp-recv 9001 >"$out" &
	fi
	rx=$!
	until [ -s "$out" ]; do sleep 0.05; done
	if [ "$1" = udp ]; then
		ip netns exec lba "$LB" udp-send 10.0.9.2 9000 $((SECS + 1))
	else
		ip netns exec lba "$LB" tcp-send 10.0.9.2 9001 "$SECS"
	fi
	wait "$rx"
	tail -n 1 "$out"
	rm -f "$out"
}

median() {
	sort -g | sed -n 2p
}

setup
configs=(none valley nft)
declare -A udp tcp
for round in 0 1 2; do
	for i in 0 1 2; do
		c=${configs[$(((round + i) % 3))]}
		config "$c"
		udp[$c]+="$(run_pair udp) "
		tcp[$c]+="$(run_pair tcp) "
	done
done
config valley
ip netns del lba
ip netns del lbb

echo
printf '%-30s %-6s %12s %12s %12s   %8s %8s\n' "per-layer counters, veth" unit \
	"no module" valley.ko nftables valley nftables
printf '%-30s %-6s %12s %12s %12s   %8s %8s\n' "" "" "" "" "" /none /none
# row NAME UNIT NONE VALLEY NFT: the medians and their ratios.
row() {
	local n m f

	n=$(echo $3 | tr ' ' '\n' | median)
	m=$(echo $4 | tr ' ' '\n' | median)
	f=$(echo $5 | tr ' ' '\n' | median)
	awk -v name="$1" -v unit="$2" -v n="$n" -v m="$m" -v f="$f" 'BEGIN {
		printf "%-30s %-6s %12.1f %12.1f %12.1f   %7.3fx %7.3fx\n",
		       name, unit, n, m, f, m / n, f / n }'
}
row "UDP, 64-byte datagrams" pkt/s "${udp[none]}" "${udp[valley]}" "${udp[nft]}"
row "TCP stream" MB/s "${tcp[none]}" "${tcp[valley]}" "${tcp[nft]}"
echo "(medians of 3 rounds of ${SECS} s; rounds: none ${udp[none]}/ valley ${udp[valley]}/ nft ${udp[nft]}pkt/s)"
