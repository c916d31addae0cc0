#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vcat, the netcat for valley sockets (its ASan/UBSan build): a stream, a
# seqpacket and a datagram exchange through real sockets, and a one-line
# message with the documented exit status for every error.
# Needs VALLEY_SRC and VALLEY_KO.

here=$(dirname "$(readlink -f "$0")")
. "$here/../kselftest/ktap_helpers.sh"
# The net selftests' waits (slowwait), from linux-source-6.12 (tests/ksft.sh).
. "$VALLEY_SRC/build/linux-src/tools/testing/selftests/net/lib.sh"

VCAT=${VCAT:-$VALLEY_SRC/build/san/vcat}
unset LD_PRELOAD	# the runner's stdbuf; ASan must come first
export ASAN_OPTIONS=detect_leaks=1:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=98
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() {
	if [ "$2" != "$3" ]; then
		ktap_print_msg "$1: got '$2', want '$3'"
		return 1
	fi
}

# sock_is KEY=VALUE|KEY!=VALUE...: whether a valley socket has them all
# (port=N, peer=N, state=LISTEN, recv_q!=0...), as vstat shows it.
sock_is() {
	"$VALLEY_SRC/build/san/vstat" --json sockets --valley -a 2>/dev/null |
		python3 -c 'import json, sys
def ok(s, a):
	s = dict(s, port=s.get("local_port"), peer=s.get("peer_port"),
		 type={"v_str": "stream", "v_dgr": "dgram",
		       "v_seq": "seqpacket"}[s["netid"]])
	k, v = a.split("=", 1)
	return (str(s.get(k.rstrip("!"))) == v) != k.endswith("!")
sys.exit(not any(all(ok(s, a) for a in sys.argv[1:])
		 for s in json.load(sys.stdin)))' "$@"
}

# wait_sock KEY=VALUE|KEY!=VALUE...: until sock_is, for up to 10 s.
wait_sock() {
	slowwait 10 sock_is "$@"
}

# stopped PID: whether process PID is stopped.
stopped() {
	[ "$(cut -d' ' -f3 "/proc/$1/stat")" = T ]
}

# exchange FLAGS PORT TYPE: a listener and a client, both ways; the
# listener is a socket of TYPE (the client finds it only if it is too).
exchange() {
	local flags=$1 port=$2 type=$3 rc srv

	printf 'from server\n' | "$VCAT" $flags -l "$port" >"$tmp/server.out" 2>"$tmp/server.err" &
	local server=$!
	# A listener binds, then listens.
	wait_sock port="$port" type="$type" state=LISTEN ||
		{ ktap_print_msg "no $type listener on $port"; kill "$server"; return 1; }
	printf 'from client\n' | "$VCAT" $flags "$port" >"$tmp/client.out" 2>"$tmp/client.err"
	rc=$?
	wait "$server"
	srv=$?
	expect "client status" "$rc" 0 &&
	expect "server status" "$srv" 0 &&
	expect "server got" "$(cat "$tmp/server.out")" "from client" &&
	expect "client got" "$(cat "$tmp/client.out")" "from server" &&
	expect "stderr" "$(cat "$tmp/server.err" "$tmp/client.err")" ""
}

test_stream() { exchange "" 6000 stream; }
test_seqpacket() { exchange -s 6001 seqpacket; }

test_dgram() {
	"$VCAT" -u -l 6002 >"$tmp/dgram.out" 2>&1 &
	local server=$!

	wait_sock port=6002 type=dgram || { kill "$server"; return 1; }
	printf 'ping' | "$VCAT" -u 6002
	expect "client status" "$?" 0 || return 1
	# The listener goes on receiving: wait for its output, then stop it.
	slowwait 5 test -s "$tmp/dgram.out"
	kill "$server"
	wait "$server" 2>/dev/null
	expect "server got" "$(cat "$tmp/dgram.out")" "ping"
}

test_refused() {
	local msg

	msg=$("$VCAT" 6999 </dev/null 2>&1)
	expect "status" "$?" 1 &&
	expect "message" "$msg" "vcat: connect to port 6999: connection refused (nobody listens there)"
}

test_privileged_port() {
	local msg

	msg=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$VCAT" -l 80 </dev/null 2>&1)
	expect "status" "$?" 1 &&
	expect "message" "$msg" "vcat: listen on port 80: ports below 1024 need CAP_NET_BIND_SERVICE"
}

test_usage() {
	local msg

	msg=$("$VCAT" 70000 2>&1)
	expect "bad port status" "$?" 2 &&
	expect "bad port" "$msg" "vcat: '70000' is not a port (0-65535)" &&
	msg=$("$VCAT" 2>&1)
	expect "no port status" "$?" 2 &&
	msg=$("$VCAT" --help) &&
	expect "usage line" "$(head -n 1 <<<"$msg" | cut -c1-11)" "usage: vcat"
}

# The listener dies with nothing unread, and then the client has data to
# send: it says why in one line and exits with 1 (before, SIGPIPE killed
# it: status 141).  The client is stopped meanwhile, so that it finds its
# input and the end of the connection together, and reads its input
# first.  Both stdins are FIFOs this shell holds open (fds 7 and 9): no
# side ends its input by itself.
test_peer_gone() {
	local server client rc i

	mkfifo "$tmp/in" "$tmp/cin" || return 1
	exec 7<>"$tmp/in" 9<>"$tmp/cin"
	"$VCAT" -l 6003 <&7 >"$tmp/gone.out" 2>/dev/null &
	server=$!
	exec 7>&-
	wait_sock port=6003 state=LISTEN || { kill "$server"; exec 9>&-; return 1; }
	"$VCAT" 6003 <&9 >/dev/null 2>"$tmp/gone.err" &
	client=$!
	echo first >&9
	slowwait 10 test -s "$tmp/gone.out"
	kill -STOP "$client"
	# kill returns before the client stops: were the listener gone
	# first, the client would read its end (EOF) and exit 0 before it
	# saw "second".
	slowwait 10 stopped "$client"
	kill -9 "$server"
	wait "$server" 2>/dev/null
	echo second >&9
	kill -CONT "$client"
	wait "$client"
	rc=$?
	exec 9>&-
	expect "listener got" "$(cat "$tmp/gone.out")" "first" &&
	expect "status" "$rc" 1 &&
	expect "message" "$(cat "$tmp/gone.err")" "vcat: send: Broken pipe"
}

test_module_absent() {
	local msg rc

	rmmod valley || return 1
	msg=$("$VCAT" 6000 </dev/null 2>&1)
	rc=$?
	insmod "$VALLEY_KO" || return 1
	expect "status" "$rc" 3 &&
	expect "message" "$msg" "vcat: valley module not loaded (try: insmod kmod/valley.ko)"
}

ktap_print_header
ktap_set_plan 8
ktap_test_result "stream_exchange" test_stream
ktap_test_result "seqpacket_exchange" test_seqpacket
ktap_test_result "dgram_exchange" test_dgram
ktap_test_result "connection_refused_message" test_refused
ktap_test_result "privileged_port_message" test_privileged_port
ktap_test_result "usage_errors" test_usage
ktap_test_result "peer_gone_message" test_peer_gone
ktap_test_result "module_absent_message" test_module_absent
ktap_finished
