#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the release names of the test kernels, one a line: the newest
# installed Debian 6.1 and 6.12 kernels (generic amd64 flavour) that have
# their headers.  tests/deps.sh installs them.
set -euo pipefail

for series in 6.1 6.12; do
	kver=$(ls /boot 2>/dev/null | sed -n "s/^vmlinuz-\(${series//./\\.}[.-].*-amd64\)$/\1/p" |
		grep -v -e '-rt-' -e '-cloud-' | sort -V | tail -n 1)
	if [ -z "$kver" ] || [ ! -d "/lib/modules/$kver/build" ]; then
		echo "kernels.sh: no $series kernel with headers installed (run tests/deps.sh)" >&2
		exit 1
	fi
	echo "$kver"
done
