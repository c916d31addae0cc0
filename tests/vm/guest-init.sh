#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of a valley guest, after switch_root into the host's root file
# system (read-only over 9p).  Sets up a writable world, loads valley.ko
# and runs what VALLEY_MODE asks for:
#   tests  the kselftest suite; TAP, exit status and dmesg go to the
#          results share
#   demo   a short scripted tour of vstat
#   shell  an interactive shell on the console (the demo with a terminal)
#   canary load the module and nothing else (the debug lane's self-test)
#   bench  run the benchmarks (build/bench/vbench, tests/bench/layers.sh
#          and ports.sh),
#          output in bench.txt
# On a kernel with kmemleak, a scan after the run leaves its report in the
# results share as kmemleak.txt.  The kernel log is copied last, as
# dmesg.txt (not with VALLEY_DMESG=0).
# The kernel command line passes VALLEY_* to this script as environment.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${VALLEY_TERM:-linux}
# Python's lines as they come: on the console, and stamped in times.txt
export PYTHONUNBUFFERED=1
results=/run/valley/results

poweroff_now() {
	sync
	# A reboot ends QEMU (-no-reboot), with or without ACPI in the kernel.
	/bin/busybox reboot -f
}

setup() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mkdir -p /dev/pts /dev/shm
	# What udev would make: the runner writes to /dev/stdout.
	ln -sf /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t tmpfs -o mode=755 tmpfs /run
	case "$VALLEY_SRC/" in
	/tmp/*) ;;	# the tree is under /tmp: leave it visible
	*) mount -t tmpfs -o mode=1777 tmpfs /tmp ;;
	esac
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
	# One memory cgroup for the whole run, so that the kernel's "memcg
	# sockets" static key is on from boot: the memcg tests' cgroups then
	# never switch it, and no CPU patches the code every socket's birth
	# runs (mem_cgroup_sk_alloc) while another runs it; under TCG a vCPU
	# can run stale code with the patch's int3 in it (an oops seen once).
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null &&
		mkdir -p /sys/fs/cgroup/valley-run
	mkdir -p "$results" /run/netns /run/tmp
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results "$results"
	# The kernel booted: from here on, a crash is the run's own.
	: >"$results/started"
	export TMPDIR=/run/tmp
	hostname valley-guest
	ip link set lo up
	echo 1 >/proc/sys/kernel/panic_on_oops
}

load_module() {
	if ! insmod "$VALLEY_KO"; then
		echo "guest: insmod $VALLEY_KO failed" >&2
		return 1
	fi
}

# The suite's output, passed on; the guest's uptime at each test
# program's start and end goes to times.txt (make check says how long
# each took), and at the end of each of a program's cases (to read).
stamp() {
	local line up _

	while IFS= read -r line; do
		case $line in
		"# selftests: valley: "* | *"ok "*" selftests: valley: "* | \
		"# ok "* | "# not ok "*)
			read -r up _ </proc/uptime
			echo "$up $line" >>"$results/times.txt"
			;;
		esac
		printf '%s\n' "$line"
	done
}

run_tests() {
	local status=0

	load_module || status=1
	if [ "$status" = 0 ]; then
		cd "$VALLEY_KSFT" || exit 1
		VALLEY_SRC=$VALLEY_SRC VALLEY_KO=$VALLEY_KO \
			./run_kselftest.sh 2>&1 | stamp |
			tee "$results/tap.txt" >/dev/console
		status=${PIPESTATUS[0]}
	fi
	echo "$status" >"$results/status"
}

# Objects younger than 5 s are never reported: wait, then scan twice so
# that what is reported is stable.
kmemleak_scan() {
	local f=/sys/kernel/debug/kmemleak

	[ -w "$f" ] || return 0
	sleep 6
	echo scan >"$f"
	echo scan >"$f"
	cat "$f" >"$results/kmemleak.txt"
}

# Traffic for the demo to watch: a namespace "demo" behind a veth pair,
# pinged twice a second and serving this tree over HTTP, fetched every
# second.
start_traffic() {
	ip netns add demo
	ip link add demo0 type veth peer name demo1 netns demo
	ip addr add 10.0.0.1/24 dev demo0
	ip link set demo0 up
	ip -n demo addr add 10.0.0.2/24 dev demo1
	ip -n demo link set demo1 up
	ip -n demo link set lo up
	ip netns exec demo python3 -m http.server 80 --bind 10.0.0.2 \
		--directory "$VALLEY_SRC" >/dev/null 2>&1 &
	ping -q -i 0.5 10.0.0.2 >/dev/null 2>&1 &
	(while sleep 1; do
		python3 -c 'import urllib.request as u
u.urlopen("http://10.0.0.2/README.md", timeout=5).read()'
	done) >/dev/null 2>&1 &
}

run_demo() {
	export PATH="$VALLEY_SRC/userspace:$PATH"
	load_module || return 1
	echo "== valley is loaded in a $(uname -r) guest"
	echo "\$ vstat info"
	vstat info
	echo "\$ sleep 2 | vcat -l 5000 &    # a listener on AF_VALLEY port 5000"
	sleep 2 | vcat -l 5000 >/run/valley/demo.out &
	sleep 0.5
	echo "\$ (echo hello, valley; sleep 1) | vcat 5000 &"
	(echo "hello, valley"; sleep 1) | vcat 5000 &
	sleep 0.5
	echo "\$ vstat sockets --valley -a"
	vstat sockets --valley -a
	wait
	echo "\$ vstat stats --json"
	vstat stats --json
	echo "the listener received: $(cat /run/valley/demo.out)"
	echo "== traffic: ping and HTTP to a namespace behind veth demo0"
	start_traffic
	sleep 8
	echo "\$ vstat layers application"
	vstat layers application | grep -v ' 0  *0  *0$'
	echo "\$ vstat layers dev demo0"
	vstat layers dev demo0
	echo "\$ vstat ports attach      # per-port statistics (eBPF), then 3 s of traffic"
	vstat ports attach && sleep 3 && {
		echo "\$ vstat ports -n 5"
		vstat ports -n 5
	}
}

run_shell() {
	run_demo
	stty rows "${VALLEY_ROWS:-24}" cols "${VALLEY_COLS:-80}" 2>/dev/null
	# The live view first; q leaves it for a shell.
	setsid -c -w vstat
	echo "== a shell in the guest: vstat is on PATH (vstat: the live view);"
	echo "== exit (or Ctrl-D) powers off"
	cd "$VALLEY_SRC" || true
	# The host's rc files are not the guest's: a plain shell.
	PS1='valley-guest:\w# ' setsid -c /bin/bash --norc -i
}

setup
case "$VALLEY_MODE" in
tests) run_tests; kmemleak_scan ;;
canary) load_module; echo "$?" >"$results/status"; kmemleak_scan ;;
bench)
	# AF_VALLEY's figures on one CPU, as before the guest had two.
	# VALLEY_BENCHES=a,b (from the kernel's command line) picks some.
	benches=${VALLEY_BENCHES:-vbench,layers,ports,sockets}
	status=1
	load_module && for b in ${benches//,/ }; do
		status=1
		case $b in
		vbench) taskset -c 0 "$VALLEY_SRC/build/bench/vbench" ;;
		*) "$VALLEY_SRC/tests/bench/$b.sh" ;;
		esac || break
		status=0
	done >"$results/bench.txt" 2>&1
	echo "$status" >"$results/status"
	;;
demo) run_demo; echo "$?" >"$results/status" ;;
shell) run_shell </dev/console >/dev/console 2>&1; echo 0 >"$results/status" ;;
*) echo "guest: unknown VALLEY_MODE '$VALLEY_MODE'" >&2 ;;
esac
# VALLEY_DMESG=0 (tests/canary.sh) leaves the copy out, as a guest that
# hangs here would: the runner must then find the splats on the console.
[ "${VALLEY_DMESG:-1}" = 0 ] || dmesg >"$results/dmesg.txt"
poweroff_now
