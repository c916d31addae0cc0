#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, in one 6.12 guest run: AF_VALLEY beside AF_UNIX and TCP/UDP
# (tests/bench/vbench.c), then the per-layer counters beside no module and
# nftables (tests/bench/layers.sh), then the per-port eBPF programs beside
# nothing and nftables (tests/bench/ports.sh), then vstat sockets beside
# ss (tests/bench/sockets.sh).  Not a test: it prints figures and ratios.
#
# The guest's clock counts instructions (QEMU -icount, 8 ns each; its two
# vCPUs take turns on one host thread): a figure is then a count of the
# instructions the work took, which the host's load cannot disturb (with
# the real clock, rounds of the same work differed by up to 2x on a shared
# 2-core host).  What it leaves out are cache and memory effects, which
# TCG does not model anyway.  vbench runs on CPU 0 only; layers.sh puts
# receivers on CPU 1.  Last, vstat sockets beside ss on 10,000 sockets
# (tests/bench/sockets.sh).  VALLEY_BENCHES="layers ports" runs some of
# vbench, layers, ports and sockets only; VALLEY_BENCHES=ports-cost (not
# run by default) prints each per-port program's own run time per packet.
set -euo pipefail

src=$(readlink -f "$(dirname "$0")/..")
cd "$src"

bash tests/deps.sh
kver=$(tests/kernels.sh | grep '^6\.12' | tail -n 1)
dir=build/bench/$kver	# apart from make check's build/$kver

tests/build-module.sh "/lib/modules/$kver/build" "$dir"
# The same module with hooks that count nothing (tests/bench/layers.sh).
tests/build-module.sh "/lib/modules/$kver/build" build/bench/hooks-only \
	VALLEY_BENCH=hooks-only
mkdir -p build/bench
# vstat and its per-port programs (tests/bench/ports.sh); the uapi header
# it generates (build/uapi) is vbench's too.
make -C userspace >/dev/null
${CC:-cc} -O2 -Wall -Wextra -Werror -I kmod/uapi -I build/uapi \
	-o build/bench/vbench tests/bench/vbench.c
${CC:-cc} -O2 -Wall -Wextra -Werror -o build/bench/lbench tests/bench/lbench.c

echo "bench: one $kver guest under QEMU (TCG, 2 vCPUs, instruction-counted clock); about 14 minutes"
tests/vm/run.sh --kver "$kver" --ko "$dir/src/kmod/valley.ko" \
	--out build/vm/bench --mode bench --mem 2048 --smp 2 --icount 3 --timeout 1800 \
	${VALLEY_BENCHES:+--append "VALLEY_BENCHES=$(echo $VALLEY_BENCHES | tr ' ' ,)"}
cat build/vm/bench/results/bench.txt
