#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the small initramfs that valley's guests boot: static busybox, the
# modules that mount the host's root file system over virtio-9p, and an init
# that switch_roots into it.
#
# usage: mkinitramfs.sh OUTPUT [KVER]
#   KVER names a kernel in /lib/modules whose 9p modules are packed; without
#   it (a kernel with 9p built in) no module is packed.
set -euo pipefail

out=$1
kver=${2:-}
here=$(dirname "$(readlink -f "$0")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work"/{bin,dev,proc,sys,newroot,modules}
cp /bin/busybox "$work/bin/busybox"
cp "$here/initramfs-init" "$work/init"
chmod 755 "$work/init"

: >"$work/modules/order"
if [ -n "$kver" ]; then
	declare -A seen=()
	for mod in virtio_pci 9pnet_virtio 9p; do
		while read -r verb path _; do
			[ "$verb" = insmod ] || continue
			[ -z "${seen[$path]:-}" ] || continue
			seen[$path]=1
			name=$(basename "$path")
			name=${name%.xz}
			name=${name%.zst}
			case "$path" in
			*.xz) xz -dc "$path" >"$work/modules/$name" ;;
			*.zst) zstd -qdc "$path" >"$work/modules/$name" ;;
			*) cp "$path" "$work/modules/$name" ;;
			esac
			echo "$name" >>"$work/modules/order"
		done < <(modprobe -S "$kver" --show-depends "$mod")
	done
fi

(cd "$work" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
