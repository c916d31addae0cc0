#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vstat against the running module: the info view in text and JSON, reset
# and its refusal for an unprivileged user, usage errors, and the message
# when the module is not loaded.  Runs the ASan/UBSan build of vstat.
# Needs VALLEY_SRC (the source tree) and VALLEY_KO (the module).

here=$(dirname "$(readlink -f "$0")")
. "$here/../kselftest/ktap_helpers.sh"

VSTAT=${VSTAT:-$VALLEY_SRC/build/san/vstat}
VERSION=$(cat "$VALLEY_SRC/VERSION")
# The runner's stdbuf preloads a library; ASan must come first.
unset LD_PRELOAD
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=98
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# run CMD...: run it with stdout in $out, stderr in $err; sets $rc.
run() {
	"$@" >"$out" 2>"$err"
	rc=$?
}

# expect WHAT GOT WANT: compare, and say what differs.
expect() {
	if [ "$2" != "$3" ]; then
		ktap_print_msg "$1: got '$2', want '$3'"
		return 1
	fi
}

json_field() {
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(",".join(v) if isinstance(v, list) else v)' "$out" "$1"
}

test_info_text() {
	run "$VSTAT" info
	expect "exit status" "$rc" 0 &&
	expect "first line" "$(head -n 1 "$out")" "valley $VERSION (netlink version 1)" &&
	expect "family line" "$(grep '^address family' "$out")" "address family:  18 (AF_VALLEY)" &&
	expect "parts line" "$(grep '^parts running' "$out")" "parts running:   genl, sockets, layers" &&
	expect "stderr" "$(cat "$err")" ""
}

test_info_json() {
	"$VSTAT" reset || return 1
	run "$VSTAT" --json info
	expect "exit status" "$rc" 0 &&
	expect "version" "$(json_field version)" "$VERSION" &&
	expect "genl_version" "$(json_field genl_version)" 1 &&
	expect "family" "$(json_field family)" 18 &&
	expect "parts" "$(json_field parts)" genl,sockets,layers &&
	expect "requests" "$(json_field requests)" 1 &&
	run "$VSTAT" info --json &&
	expect "requests" "$(json_field requests)" 2
}

# Without a terminal, the live view prints COUNT plain snapshots.
test_no_command_is_live() {
	run "$VSTAT" -c 2 -i 0.1
	expect "exit status" "$rc" 0 &&
	expect "snapshots" "$(grep -c '^APPLICATION' "$out")" 2 &&
	expect "link title" "$(grep -c '^LINK' "$out")" 2 &&
	run "$VSTAT" --json -c 3 -i 0.1 &&
	expect "json documents" "$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if isinstance(json.loads(l), list)))' "$out")" 3 &&
	run "$VSTAT" -c 0 &&
	expect "bad count status" "$rc" 2 &&
	expect "bad count" "$(cat "$err")" "vstat: the count is a number from 1, not '0'" &&
	run "$VSTAT" -i 0.01 &&
	expect "bad interval status" "$rc" 2
}

test_service_usage() {
	run "$VSTAT" service add 0 web
	expect "port 0 status" "$rc" 2 &&
	expect "port 0" "$(cat "$err")" "vstat: '0' is not a port (1-65535)" &&
	run "$VSTAT" service add 80 web &&
	expect "taken port status" "$rc" 1 &&
	expect "taken port" "$(cat "$err")" "vstat: cannot add the service: the port is a service's already (delete it first)" &&
	run "$VSTAT" service add 3000 Web &&
	expect "bad name status" "$rc" 1 &&
	expect "bad name" "$(cat "$err")" "vstat: cannot add the service: a service name is a-z, 0-9 and '-', and not \"other\"" &&
	run "$VSTAT" service add 3000 a-name-far-too-long &&
	expect "long name status" "$rc" 1 &&
	run "$VSTAT" service del 3999 &&
	expect "unknown port status" "$rc" 1 &&
	expect "unknown port" "$(cat "$err")" "vstat: cannot delete the service: the port is no service's" &&
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$VSTAT" service add 3000 api &&
	expect "unprivileged status" "$rc" 1 &&
	expect "unprivileged" "$(cat "$err")" "vstat: cannot add the service: changing the service table needs CAP_NET_ADMIN" &&
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$VSTAT" --json layers internet &&
	expect "unprivileged read status" "$rc" 0 &&
	run "$VSTAT" layers bogus &&
	expect "bad layer status" "$rc" 2 &&
	run "$VSTAT" layers dev nosuchdev &&
	expect "bad dev status" "$rc" 2 &&
	expect "bad dev" "$(cat "$err")" "vstat: no interface 'nosuchdev' here"
}

test_reset_unprivileged() {
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$VSTAT" reset
	expect "exit status" "$rc" 1 &&
	expect "message" "$(cat "$err")" "vstat: reset refused: resetting counters needs CAP_NET_ADMIN"
}

test_usage_errors() {
	run "$VSTAT" bogus
	expect "unknown command status" "$rc" 2 &&
	expect "unknown command" "$(cat "$err")" "vstat: unknown command 'bogus' (try 'vstat --help')" &&
	run "$VSTAT" info extra &&
	expect "extra argument status" "$rc" 2 &&
	run "$VSTAT" --frobnicate &&
	expect "unknown option status" "$rc" 2
}

test_help_version() {
	run "$VSTAT" --help
	expect "help status" "$rc" 0 &&
	grep -q '^usage: vstat' "$out" &&
	run "$VSTAT" --version &&
	expect "version" "$(cat "$out")" "vstat $VERSION"
}

test_module_absent() {
	local ok=0

	rmmod valley || return 1
	run "$VSTAT" info
	expect "exit status" "$rc" 3 &&
	expect "message" "$(cat "$err")" "vstat: valley module not loaded (try: insmod kmod/valley.ko)" &&
	expect "stdout" "$(cat "$out")" "" &&
	run "$VSTAT" --json &&
	expect "json exit status" "$rc" 3 || ok=1
	run "$VSTAT" reset
	expect "reset exit status" "$rc" 3 || ok=1
	insmod "$VALLEY_KO" || return 1
	return $ok
}

ktap_print_header
ktap_set_plan 8
ktap_test_result "info_text" test_info_text
ktap_test_result "info_json" test_info_json
ktap_test_result "no_command_is_live" test_no_command_is_live
ktap_test_result "service_usage_errors" test_service_usage
ktap_test_result "reset_unprivileged_refused" test_reset_unprivileged
ktap_test_result "usage_errors" test_usage_errors
ktap_test_result "help_and_version" test_help_version
ktap_test_result "module_absent_message" test_module_absent
ktap_finished
