#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Take the kselftest harness, checkpatch, the net selftests' Python library
# and the YNL tools (with the spec schema) from Debian's linux-source-6.12
# into build/linux-src/ (never into the repository).  Extracts again only
# when the package's version, or this list, changes.
set -euo pipefail

src=$(readlink -f "$(dirname "$0")/..")
dest=$src/build/linux-src
tarball=/usr/src/linux-source-6.12.tar.xz
files=(
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	scripts/subarch.include
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/lib.mk
	tools/testing/selftests/run_kselftest.sh
	tools/testing/selftests/kselftest/runner.sh
	tools/testing/selftests/kselftest/ktap_helpers.sh
	tools/testing/selftests/kselftest/prefix.pl
	tools/testing/selftests/net/lib.sh
	tools/testing/selftests/net/lib/py/__init__.py
	tools/testing/selftests/net/lib/py/consts.py
	tools/testing/selftests/net/lib/py/ksft.py
	tools/testing/selftests/net/lib/py/netns.py
	tools/testing/selftests/net/lib/py/nsim.py
	tools/testing/selftests/net/lib/py/utils.py
	tools/testing/selftests/net/lib/py/ynl.py
	tools/net/ynl/cli.py
	tools/net/ynl/ynl-gen-c.py
	tools/net/ynl/lib/__init__.py
	tools/net/ynl/lib/nlspec.py
	tools/net/ynl/lib/ynl.py
	Documentation/netlink/genetlink-legacy.yaml
)

if [ ! -r "$tarball" ]; then
	echo "ksft.sh: $tarball missing (install linux-source-6.12)" >&2
	exit 1
fi
version="$(dpkg-query -W -f='${Version}' linux-source-6.12) $(sha1sum "$0" | cut -c1-12)"
if [ "$(cat "$dest/.version" 2>/dev/null)" = "$version" ]; then
	exit 0
fi

echo "ksft.sh: extracting the kselftest harness and checkpatch from linux-source-6.12 $version"
rm -rf "$dest"
mkdir -p "$dest"
tar -xJf "$tarball" -C "$dest" --strip-components=1 \
	"${files[@]/#/linux-source-6.12/}"
echo "$version" >"$dest/.version"
