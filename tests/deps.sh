#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package that valley's build, tests and demo need,
# including the test kernels: 6.1 from bookworm and 6.12 from
# bookworm-backports.  Idempotent: prints what it installs, and does
# nothing when everything is already there.
set -euo pipefail

BPO_LIST=/etc/apt/sources.list.d/valley-bookworm-backports.sources

# Packages for the build, the static checks, the guests and the demo.
PKGS=(
	build-essential make gcc bc flex bison kmod cpio xz-utils zstd rsync
	pkg-config libmnl-dev liburing-dev libbpf-dev libelf-dev libssl-dev dwarves
	sparse clang llvm bpftool busybox-static qemu-system-x86
	iproute2 nftables iputils-ping python3 python3-yaml python3-jsonschema perl time
	linux-image-amd64 linux-headers-amd64
	linux-source-6.12 linux-source-6.1
)

say() { printf 'deps: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	say "must run as root to install packages (try: sudo $0)" >&2
	exit 1
fi

updated=0
apt_update() {
	[ "$updated" = 1 ] && return 0
	say "apt-get update"
	apt-get update -qq
	updated=1
}

if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	say "adding bookworm-backports to apt sources ($BPO_LIST)"
	cat >"$BPO_LIST" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	updated=0
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done

# vmlinux.h for the eBPF programs: 6.12's, from bookworm-backports.
BPO_PKGS=(linux-bpf-dev)
bpo_missing=()
for p in "${BPO_PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		bpo_missing+=("$p")
done

# Is some 6.12 image and its headers installed already?
have612=1
ls /boot/vmlinuz-6.12* 2>/dev/null | grep -qv -e -rt- -e -cloud- || have612=0
ls -d /usr/src/linux-headers-6.12*-amd64 2>/dev/null | grep -qv -e -rt- -e -cloud- || have612=0

if [ "${#missing[@]}" -eq 0 ] && [ "${#bpo_missing[@]}" -eq 0 ] && [ "$have612" = 1 ]; then
	exit 0
fi

apt_update
export DEBIAN_FRONTEND=noninteractive
if [ "${#missing[@]}" -gt 0 ]; then
	say "installing: ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${#bpo_missing[@]}" -gt 0 ]; then
	say "installing from bookworm-backports: ${bpo_missing[*]}"
	apt-get install -y -qq --no-install-recommends -t bookworm-backports \
		"${bpo_missing[@]}" >/dev/null
fi
if [ "$have612" = 0 ]; then
	# The 6.12 ABI is the one bookworm-backports' linux-image-amd64 names.
	ver=$(apt-cache madison linux-image-amd64 | awk -F'|' '/bookworm-backports/ { gsub(/ /, "", $2); print $2; exit }')
	abi=$(apt-cache show "linux-image-amd64=$ver" 2>/dev/null |
		sed -n 's/^Depends:.*linux-image-\(6\.12[^ ]*-amd64\) .*/\1/p' | head -n 1)
	if [ -z "$abi" ]; then
		say "no 6.12 kernel found in bookworm-backports" >&2
		exit 1
	fi
	say "installing from bookworm-backports: linux-image-$abi linux-headers-$abi"
	apt-get install -y -qq --no-install-recommends -t bookworm-backports \
		"linux-image-$abi" "linux-headers-$abi" >/dev/null
fi
say "all dependencies installed"
