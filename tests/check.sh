#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: install what is missing, build the debug kernel if it is not
# cached yet, build the module for every test kernel with W=1 and sparse,
# run checkpatch, build the tools (also with ASan/UBSan) and the selftests,
# then run the selftests in a QEMU guest of each test kernel: Debian's 6.1
# and 6.12, and the debug kernel (KASAN, lockdep, kmemleak, UBSAN), where
# the lane's own self-test (tests/canary.sh) runs too.  Prints one line per
# kernel and a total:
#   6.12.95+deb12-amd64: 14 passed, 0 failed
#   30 passed, 0 failed
# and exits non-zero if anything failed.
#
# For quicker rounds while developing, VALLEY_KERNELS names the kernels to
# run on (release names, or "debug"), e.g. VALLEY_KERNELS=6.12.95+deb12-amd64,
# and VALLEY_TESTS the test programs, e.g. VALLEY_TESTS="valley_sock vcat.sh".
set -uo pipefail

src=$(readlink -f "$(dirname "$0")/..")
cd "$src" || exit 1
build=$src/build
ksft=$build/ksft
declare -a lines=()
total_pass=0
total_fail=0

step() { printf '\n== %s\n' "$*"; }
die() { echo "check: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# record NAME PASS FAIL: one closing line.
record() {
	lines+=("$1: $2 passed, $3 failed")
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
}

# build_module KVER KDIR: valley.ko for KVER in build/KVER, W=1 and sparse
# on every file; any warning fails.
build_module() {
	local kver=$1 kdir=$2 dir=$build/$1

	tests/build-module.sh "$kdir" "$dir" W=1 C=2 || return 1
	if grep -E 'warning:|error:' "$dir/build.log" >&2; then
		return 1
	fi
	echo "$kver: valley.ko built, W=1 and sparse clean"
}

# count_tap FILE: "PASS FAIL" over the test cases in a kselftest run.  A
# program that fails without a failing case of its own (a crash, a
# timeout) counts as one failure.
count_tap() {
	awk '
	/^# ok [0-9]+ /           { pass++; next }
	/^# not ok [0-9]+ /       { fail++; own++; next }
	/^ok [0-9]+ selftests: /  { own = 0; next }
	/^not ok [0-9]+ selftests: / { if (own == 0) fail++; own = 0; next }
	END { printf "%d %d\n", pass, fail }
	' "$1"
}

step "dependencies"
bash tests/deps.sh || die "installing dependencies failed"
tests/ksft.sh || die "cannot extract the kselftest harness"
mapfile -t kernels < <(tests/kernels.sh) || die "no test kernels"
want_debug=1
if [ -n "${VALLEY_KERNELS:-}" ]; then
	mapfile -t kernels < <(printf '%s\n' $VALLEY_KERNELS | grep -vx debug)
	printf '%s\n' $VALLEY_KERNELS | grep -qx debug || want_debug=0
fi
declare -A kdirs=() images=() mems=()
for kver in "${kernels[@]}"; do
	kdirs[$kver]=/lib/modules/$kver/build
	images[$kver]=/boot/vmlinuz-$kver
	mems[$kver]=1024
done

debug_kver=''
if [ "$want_debug" = 1 ]; then
	step "debug kernel (built once per machine, then cached)"
	dk_start=$(date +%s)
	dkdir=$(tests/debug-kernel.sh | tail -n 1) || die "building the debug kernel failed"
	# shellcheck source=/dev/null
	. "$dkdir/valley.env"
	debug_kver=$KVER
	kernels+=("$debug_kver")
	kdirs[$debug_kver]=$KDIR
	images[$debug_kver]=$KERNEL
	mems[$debug_kver]=2048
	echo "$debug_kver in $dkdir ($(($(date +%s) - dk_start))s)"
fi

step "userspace (plain, and ASan/UBSan for the tests)"
make -s -C userspace || die "userspace build failed"
make -s -C userspace O="$build/san" SAN=1 || die "sanitizer build failed"
make -s -C bpf || die "bpf build failed"

step "selftests"
rm -rf "$ksft"
mkdir -p "$build/ksft-obj" "$ksft/kselftest"
make -s -C tests OUTPUT="$build/ksft-obj" install INSTALL_PATH="$ksft/valley" ||
	die "selftest build failed"
cp build/linux-src/tools/testing/selftests/run_kselftest.sh "$ksft/"
cp build/linux-src/tools/testing/selftests/kselftest/{runner.sh,ktap_helpers.sh,prefix.pl} "$ksft/kselftest/"
make -s -C tests OUTPUT="$build/ksft-obj" emit_tests COLLECTION=valley >"$ksft/kselftest-list.txt"
if [ -n "${VALLEY_TESTS:-}" ]; then
	printf 'valley:%s\n' $VALLEY_TESTS | grep -Fxf - "$ksft/kselftest-list.txt" \
		>"$ksft/list.tmp" || die "VALLEY_TESTS names no test program"
	mv "$ksft/list.tmp" "$ksft/kselftest-list.txt"
fi

step "static checks"
static_pass=0 static_fail=0
for kver in "${kernels[@]}"; do
	if build_module "$kver" "${kdirs[$kver]}"; then
		static_pass=$((static_pass + 1))
	else
		echo "check: $kver: module build not clean" >&2
		static_fail=$((static_fail + 1))
	fi
done
if make -s checkpatch; then
	static_pass=$((static_pass + 1))
else
	static_fail=$((static_fail + 1))
fi
record "static checks" "$static_pass" "$static_fail"

for kver in "${kernels[@]}"; do
	step "selftests in a $kver guest"
	ko=$build/$kver/src/kmod/valley.ko
	if [ ! -f "$ko" ]; then
		record "$kver" 0 1
		continue
	fi
	tests/vm/run.sh --kver "$kver" --kernel "${images[$kver]}" --ko "$ko" \
		--ksft "$ksft" --mem "${mems[$kver]}" --out "$build/vm/$kver" \
		--timeout 2400
	rc=$?
	tap=$build/vm/$kver/results/tap.txt
	[ -f "$tap" ] && cat "$tap"
	pass=0 fail=0
	[ -f "$tap" ] && read -r pass fail < <(count_tap "$tap")
	# A crash, a hang or a splat fails the kernel's run on its own.
	[ "$rc" = 2 ] && fail=$((fail + 1))
	[ "$rc" = 1 ] && [ "$fail" = 0 ] && fail=1
	echo "guest time: $(cat "$build/vm/$kver/seconds" 2>/dev/null)s"
	# A partial round (VALLEY_TESTS) leaves the canaries out.
	if [ "$kver" = "$debug_kver" ] && [ -z "${VALLEY_TESTS:-}" ]; then
		step "the debug lane's self-test: bugs on purpose must be reported"
		tests/canary.sh "$kver" "${kdirs[$kver]}" "${images[$kver]}" \
			"$build/vm/$kver" | tee "$build/vm/$kver/canary.tap"
		pass=$((pass + $(grep -c '^ok ' "$build/vm/$kver/canary.tap")))
		fail=$((fail + $(grep -c '^not ok ' "$build/vm/$kver/canary.tap")))
	fi
	record "$kver" "$pass" "$fail"
done

step "summary"
printf '%s\n' "${lines[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
