#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The per-port eBPF programs' cost, in a guest (run by make bench after
# layers.sh, on the same veth pair and lbench): 64-byte UDP datagrams to
# a reader on CPU 1 and to a socket that never reads, and a TCP stream,
# with nothing attached, with valley's per-port programs (vstat ports
# attach), with programs that return at once in their place ("hooks
# only", VALLEY_BENCH=hooks-only: what the kernel's cgroup_skb and
# tracepoint hooks cost by themselves, a floor under the programs' cost),
# and with nftables counting the same per-port packets and bytes (a
# dynamic set with counters keyed by protocol and port, both ways).
# valley.ko is unloaded throughout: the programs need no module.
# Nine rounds, the configurations rotating; each round gives ratios to
# "nothing", and the cost ratio: what each packet (TCP: each MB) takes
# beyond nothing's time, valley's over nftables', (1/ports - 1/none) /
# (1/nft - 1/none).  The table shows medians with 96% intervals.
# Needs VALLEY_SRC; leaves valley.ko loaded if it was.
set -u

. "$(dirname "$0")/lib.sh"
VSTAT=$VALLEY_SRC/userspace/vstat

nft_ruleset() {
	cat <<NFT
table inet vports {
	set in_ports {
		type inet_proto . inet_service
		size 65536
		flags dynamic
		counter
	}
	set out_ports {
		type inet_proto . inet_service
		size 65536
		flags dynamic
		counter
	}
	chain in {
		type filter hook input priority 0;
		meta l4proto { tcp, udp } update @in_ports { meta l4proto . th dport }
	}
	chain out {
		type filter hook output priority 0;
		meta l4proto { tcp, udp } update @out_ports { meta l4proto . th sport }
	}
}
NFT
}

# config NAME: nothing, the per-port programs, their hooks only, or
# nftables' sets.
config() {
	ip netns exec lba nft flush ruleset
	ip netns exec lbb nft flush ruleset
	[ -d /sys/fs/bpf/valley ] && "$VSTAT" ports detach
	case "$1" in
	ports) "$VSTAT" ports attach || exit 1 ;;
	hooks) VALLEY_BENCH=hooks-only "$VSTAT" ports attach || exit 1 ;;
	nft)
		nft_ruleset | ip netns exec lba nft -f -
		nft_ruleset | ip netns exec lbb nft -f -
		;;
	esac
}

without_module || exit 1
declare -A udp sink tcp
measure() {
	SECS=0.5 run_pair udp >/dev/null	# warm-up, as layers.sh
	udp[$1]+="$(run_pair udp) "
	sink[$1]+="$(sink_send) "
	tcp[$1]+="$(run_pair tcp) "
}
each_round none ports hooks nft
config none
teardown
restore_module

# stats NONE PORTS HOOKS NFT: per-round lists in, one line out: the
# medians of each; ports/none with its 96% interval (ranks 2 and 8 of 9);
# hooks/none; nft/none; the cost ratio ports/nft with its interval; the
# cost ratio hooks/nft; nft/none's interval: 15 fields.
stats() {
	awk -v n="$1" -v p="$2" -v h="$3" -v f="$4" '
	'"$MEDIAN_AWK"'
	# (1/X - 1) / (1/F - 1): the time X adds to nothing'"'"'s, in units
	# of the time nftables adds (a round where nftables added less than
	# 1% says nothing: 99)
	function cost(x, f,   c) {
		c = f < 0.99 ? (1 / x - 1) / (1 / f - 1) : 99
		return c > 99 ? 99 : c
	}
	BEGIN {
		k = split(n, N, " "); split(p, P, " "); split(h, H, " ")
		split(f, F, " ")
		for (i = 1; i <= k; i++) {
			rp[i] = P[i] / N[i]; rh[i] = H[i] / N[i]; rf[i] = F[i] / N[i]
			cp[i] = cost(rp[i], rf[i]); ch[i] = cost(rh[i], rf[i])
		}
		printf "%s %s %s %s", med(N, k), med(P, k), med(H, k), med(F, k)
		a = med(rp, k); printf " %s %s %s", a, lo, hi
		printf " %s %s", med(rh, k), med(rf, k)
		a = med(cp, k); printf " %s %s %s", a, lo, hi
		printf " %s", med(ch, k)
		a = med(rf, k); printf " %s %s\n", lo, hi
	}'
}

echo
printf '%-24s %-6s %9s %9s %9s %9s   %-20s %-7s %-7s %-19s %s\n' \
	"per-port statistics" unit nothing ports "hooks" nftables \
	"ports/none [96%]" hooks/- nft/- "cost/nft's [96%]" "hooks' cost/nft's"
declare -A res
for what in udp sink tcp; do
	declare -n list=$what
	res[$what]=$(stats "${list[none]}" "${list[ports]}" "${list[hooks]}" \
		"${list[nft]}")
	unset -n list
done
row() {
	set -- "$1" "$2" $3
	printf '%-24s %-6s %9.1f %9.1f %9.1f %9.1f   %5.3fx [%5.3f-%5.3f] %5.3fx  %5.3fx  %4.2f [%4.2f-%4.2f]    %4.2f\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "${11}" \
		"${12}" "${13}" "${14}" "${15}"
}
row "UDP, reader on CPU 1" pkt/s "${res[udp]}"
row "UDP, to a full socket" pkt/s "${res[sink]}"
row "TCP stream" MB/s "${res[tcp]}"
echo "(medians of $ROUNDS rounds of $SECS s, valley.ko not loaded; cost: the time a packet (TCP: a MB)"
echo " takes beyond nothing's, cost/nft's its ratio to nftables': 0.5 means half; hooks: the programs return at once)"
echo "targets:"
set -- ${res[udp]}
awk -v w="UDP pkt/s, reader CPU 1, cost ports/nft <=" -v lo="${11}" -v hi="${12}" 'BEGIN {
	v = hi <= 0.5 ? "met" : lo > 0.5 ? "missed" : \
		"undecided (the interval straddles it)"
	printf "  %-58s %.2f  [%.2f-%.2f]: %s\n", w, 0.5, lo, hi, v }'
set -- ${res[tcp]}
verdict "TCP MB/s, ports/none >=" 0.97 "$6" "$7"
echo "no target:"
set -- ${res[sink]}
printf '  %-58s %.2f  [%.2f-%.2f]\n' "UDP full socket, cost ports/nft (valley counts drops too)" \
	"${10}" "${11}" "${12}"
set -- ${res[tcp]}
# (cost() gives a round where nftables cost under 1% no ratio: 99)
awk -v c="${10}" -v lo="${11}" -v hi="${12}" -v fhi="${15}" 'BEGIN {
	w = "TCP MB/s, cost ports/nft"
	if (fhi >= 0.99)
		printf "  %-58s nftables'"'"' cost is within the rounds'"'"' spread\n", w
	else
		printf "  %-58s %.2f  [%.2f-%.2f]\n", w, c, lo, hi }'
