#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build valley's debug test kernel (KASAN, lockdep, kmemleak, UBSAN, ...)
# from Debian's linux-source-6.1, once per machine.  The tree is cached
# outside the repository in $VALLEY_CACHE (default ~/.cache/valley), keyed
# by tests/debug-kernel.config and the source package's version: a change
# to either builds a new one, nothing else does.
#
# Prints, as its last line, the cache directory; it holds valley.env with
# KVER (the kernel release), KDIR (the build tree for modules) and KERNEL
# (the bzImage).
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
frag=$here/debug-kernel.config
tarball=/usr/src/linux-source-6.1.tar.xz
cache=${VALLEY_CACHE:-$HOME/.cache/valley}

say() { echo "debug-kernel: $*" >&2; }

[ -r "$tarball" ] || { say "$tarball missing (run tests/deps.sh)"; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { echo "$srcver"; cat "$frag"; } | sha256sum | cut -c1-16)
dir=$cache/debug-6.1-$key

mkdir -p "$cache"
# One build at a time: a second caller waits for the first.
exec 9>"$cache/.lock"
flock 9

if [ -f "$dir/valley.env" ]; then
	echo "$dir"
	exit 0
fi

start=$(date +%s)
say "building the debug kernel (linux-source-6.1 $srcver, config $key) in $dir"
rm -rf "$dir"
mkdir -p "$dir"
tar -xJf "$tarball" -C "$dir"
tree=$dir/linux-source-6.1

make -s -C "$tree" allnoconfig >/dev/null
(cd "$tree" && ./scripts/kconfig/merge_config.sh -m .config \
	kernel/configs/kvm_guest.config "$frag" >/dev/null)
make -s -C "$tree" olddefconfig >/dev/null

# Every option the fragment asks for must have survived the dependencies.
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while read -r want; do
	grep -qxF "$want" "$tree/.config" || echo "$want"
done)
if [ -n "$missing" ]; then
	say "options that did not take (missing dependencies?):"
	echo "$missing" >&2
	exit 1
fi

if ! make -C "$tree" -j"$(nproc)" all >"$dir/build.log" 2>&1; then
	tail -n 40 "$dir/build.log" >&2
	say "build failed; full log in $dir/build.log"
	exit 1
fi
# Module builds need only the configured tree, not the object files of
# vmlinux itself: drop them to keep the cache small.
find "$tree" -name '*.o' ! -path '*/scripts/*' ! -path '*/tools/*' -delete

kver=$(make -s -C "$tree" kernelrelease)
cat >"$dir/valley.env" <<ENV
KVER=$kver
KDIR=$tree
KERNEL=$tree/arch/x86/boot/bzImage
ENV
# Older keys are of no further use.
find "$cache" -maxdepth 1 -name 'debug-6.1-*' ! -path "$dir" -exec rm -rf {} +
say "built $kver in $(($(date +%s) - start))s"
echo "$dir"
