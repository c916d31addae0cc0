#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, in one 6.12 guest run: AF_VALLEY beside AF_UNIX and TCP/UDP
# (tests/bench/vbench.c), then the per-layer counters beside no module and
# nftables (tests/bench/layers.sh).  Not a test: it prints figures and
# ratios.
set -euo pipefail

src=$(readlink -f "$(dirname "$0")/..")
cd "$src"

bash tests/deps.sh
kver=$(tests/kernels.sh | grep '^6\.12' | tail -n 1)
dir=build/$kver

tests/build-module.sh "/lib/modules/$kver/build" "$dir"
mkdir -p build/bench
${CC:-cc} -O2 -Wall -Wextra -Werror -I kmod/uapi -o build/bench/vbench tests/bench/vbench.c
${CC:-cc} -O2 -Wall -Wextra -Werror -o build/bench/lbench tests/bench/lbench.c

echo "bench: one $kver guest under QEMU (TCG), 2 vCPUs; a few minutes"
tests/vm/run.sh --kver "$kver" --ko "$dir/src/kmod/valley.ko" \
	--out build/vm/bench --mode bench --mem 2048 --timeout 1800
cat build/vm/bench/results/bench.txt
