#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot a 6.12 guest with valley.ko loaded and vstat on PATH.
# On a terminal, the guest's shell is yours (exit or Ctrl-D powers it off;
# Ctrl-A X leaves QEMU at once).  Without one, a short scripted tour runs
# and the guest powers off.
set -euo pipefail

src=$(readlink -f "$(dirname "$0")/..")
cd "$src"

bash tests/deps.sh
kver=$(tests/kernels.sh | grep '^6\.12' | tail -n 1)
dir=build/$kver

echo "demo: building valley.ko for $kver and the tools"
tests/build-module.sh "/lib/modules/$kver/build" "$dir"
make -s -C userspace

mode=demo
[ -t 0 ] && [ -t 1 ] && mode=shell
echo "demo: booting a $kver guest under QEMU (TCG); this takes a few seconds"
status=0
tests/vm/run.sh --kver "$kver" --ko "$dir/src/kmod/valley.ko" \
	--out "build/vm/demo" --mode "$mode" --timeout 300 || status=$?
if [ "$mode" = demo ]; then
	# The guest's part of the console, from the tour's first line,
	# without the terminal escapes of the firmware.
	sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/\r$//' \
		-e 's/^.*== valley is loaded/== valley is loaded/' build/vm/demo/console.log |
		sed -n -e '/reboot: /d' -e '/^== valley is loaded/,$p'
fi
exit "$status"
