#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: install what is missing, build the debug kernel if it is not
# cached yet, build the module for every test kernel with W=1 and sparse,
# run checkpatch, build the tools (also with ASan/UBSan) and the selftests,
# then run the selftests in a QEMU guest of each test kernel: Debian's 6.1
# and 6.12, and the debug kernel (KASAN, lockdep, kmemleak, UBSAN), where
# the lane's own self-test (tests/canary.sh) runs too.  Prints one line per
# kernel and a total, the last line of all:
#   6.12.95+deb12-amd64: 14 passed, 0 failed, 1 skipped
#   30 passed, 0 failed, 2 skipped
# and exits non-zero if anything failed.  A skipped test (SKIP, XFAIL) is no
# pass; a program whose KTAP plan is missing or differs from the results it
# printed fails, and so does a kernel's run that reported fewer results
# than the build has test cases (counted on the host, see count_planned).
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
total_skip=0

step() { printf '\n== %s\n' "$*"; }

# program_times FILE: how long each test program took in the guest, from
# the uptimes guest-init.sh wrote at its start and end.
program_times() {
	[ -r "$1" ] || return 0
	awk '/# selftests: valley: / { start = $1; next }
	     match($0, /selftests: valley: [^ ]+/) {
		     name = substr($0, RSTART + 19, RLENGTH - 19)
		     printf "%s%s %ds", sep, name, $1 - start; sep = ", "
	     }
	     END { if (sep) print "" }' "$1" | sed 's/^/program time: /'
}
die() { echo "check: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# record NAME PASS FAIL SKIP: one closing line.
record() {
	lines+=("$1: $2 passed, $3 failed, $4 skipped")
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	total_skip=$((total_skip + $4))
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

# harness_cases PROGRAM: the test cases of a kselftest harness program,
# from its -l: one table per fixture, its variants and its tests in two
# columns side by side (20 and 25 wide, wider for a longer name); each test
# runs once per variant, or once if there is none.
harness_cases() {
	"$1" -l 2>&1 | awk '
	function flush() { total += (nv ? nv : 1) * nt; nv = nt = 0 }
	# cell WIDTH: the next column of the line, which it consumes.
	function cell(width,   name) {
		name = ""
		if (rest ~ /^[^ ]/) {
			name = rest
			sub(/ .*/, "", name)
			if (length(name) > width)
				width = length(name)
		}
		rest = substr(rest, width + 2)
		return name
	}
	NR == 1 && !/^# FIXTURE/ { unknown = 1; exit }
	NR == 1 { next }
	/^-+$/ { flush(); next }
	{
		rest = $0
		cell(20)
		if (cell(25) != "")
			nv++
		if (rest ~ /[^ ]/)
			nt++
	}
	END { if (!unknown) { flush(); print total } }
	'
}

# count_planned PROGRAM: how many results PROGRAM prints when it runs whole,
# read on the host without running it: a kselftest harness program's -l, a
# Python test's list of tests (tests/ktap.py --count), a shell test's plan.
count_planned() {
	local prog=$1

	case "$prog" in
	*.py) python3 "$src/tests/ktap.py" --count "$prog" ;;
	*.sh) sed -n 's/^ktap_set_plan \([0-9][0-9]*\)$/\1/p' "$prog" | grep . ;;
	*)
		# -l of anything else would run its tests here.
		grep -qa '# FIXTURE' "$prog" || return 1
		harness_cases "$prog"
		;;
	esac
}

# planned_list: "NAME COUNT" for each program of the round, in
# $ksft/planned.txt.
planned_list() {
	local name n

	: >"$ksft/planned.txt"
	while IFS=: read -r _ name; do
		n=$(count_planned "$ksft/valley/$name")
		if [ -z "$n" ]; then
			echo "check: cannot tell how many tests $name has" >&2
			return 1
		fi
		echo "$name $n" >>"$ksft/planned.txt"
	done <"$ksft/kselftest-list.txt"
	# An empty list would pass on every kernel, having run nothing.
	if [ "$(awk '{ n += $2 } END { print n + 0 }' "$ksft/planned.txt")" = 0 ]; then
		echo "check: the build has no test cases" >&2
		return 1
	fi
}

# count_tap PLANNED TAP: "PASS FAIL SKIP" over the test cases in a
# kselftest run (SKIP and XFAIL are skips; XPASS fails as kselftest says).
# Each program fails once more, with the reason on stderr, if it failed
# without a failing case of its own (a crash, a timeout), printed no plan
# or a plan other than its number of results, printed fewer results than
# PLANNED (from planned_list) gives it, or never ran.  A program that
# skipped as a whole without results counts one skip.
count_tap() {
	awk -v planned="$1" '
	function problem(why) { bad = bad (bad == "" ? "" : "; ") why }
	# result LINE: the kind of one result line, "pass", "fail", "skip".
	function result(line,   dir) {
		if (line ~ /^not ok/)
			return "fail"
		dir = ""
		if (index(line, "#"))
			dir = toupper(substr(line, index(line, "#") + 1))
		if (dir ~ /^ *XPASS/)
			return "fail"
		if (dir ~ /^ *(SKIP|XFAIL|TODO)([^A-Z]|$)/)
			return "skip"
		return "pass"
	}
	function finish(verdict,   n) {
		n = np + nf + ns
		if (verdict == "fail" && nf == 0)
			problem("failed without a failing test case")
		if (plan < 0)
			problem("printed no plan")
		else if (plan != n)
			problem("planned " plan " results, printed " n)
		if (!(cur in want))
			problem("is not in the list of programs to run")
		else if (n < want[cur])
			problem("printed " n " results of the " want[cur] " the build has")
		if (verdict == "skip" && n == 0)
			ns++
		if (bad != "") {
			print "check: " cur ": " bad > "/dev/stderr"
			nf++
		}
		pass += np; fail += nf; skip += ns
		ran[cur] = 1
		cur = ""
	}
	BEGIN {
		while ((getline line < planned) > 0) {
			split(line, f, " ")
			want[f[1]] = f[2]
			order[++nwant] = f[1]
		}
	}
	/^# selftests: [^:]+: / {
		if (cur != "")
			finish("fail")
		cur = $0
		sub(/^# selftests: [^:]+: /, "", cur)
		plan = -1; np = nf = ns = 0; bad = ""
		next
	}
	cur == "" { next }
	/^# 1\.\.[0-9]+/ {
		if (plan >= 0)
			problem("printed two plans")
		plan = $2
		sub(/^1\.\./, "", plan)
		plan += 0
		next
	}
	/^# (not )?ok [0-9]+/ {
		k = result(substr($0, 3))
		if (k == "pass") np++; else if (k == "fail") nf++; else ns++
		next
	}
	/^(not )?ok [0-9]+ selftests: / { finish(result($0)); next }
	END {
		if (cur != "")
			finish("fail")
		for (i = 1; i <= nwant; i++) {
			if (!(order[i] in ran)) {
				print "check: " order[i] ": never ran" > "/dev/stderr"
				fail++
			}
		}
		printf "%d %d %d\n", pass, fail, skip
	}
	' "$2"
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
planned_list || die "cannot count the test cases of the build"

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
record "static checks" "$static_pass" "$static_fail" 0

for kver in "${kernels[@]}"; do
	step "selftests in a $kver guest"
	ko=$build/$kver/src/kmod/valley.ko
	if [ ! -f "$ko" ]; then
		record "$kver" 0 1 0
		continue
	fi
	tests/vm/run.sh --kver "$kver" --kernel "${images[$kver]}" --ko "$ko" \
		--ksft "$ksft" --mem "${mems[$kver]}" --out "$build/vm/$kver" \
		--timeout 2400
	rc=$?
	tap=$build/vm/$kver/results/tap.txt
	[ -f "$tap" ] && cat "$tap"
	pass=0 fail=0 skip=0
	# No TAP at all: every program counts as never run.
	[ -f "$tap" ] || tap=/dev/null
	read -r pass fail skip < <(count_tap "$ksft/planned.txt" "$tap")
	# A crash, a hang or a splat fails the kernel's run on its own.
	[ "$rc" = 2 ] && fail=$((fail + 1))
	[ "$rc" = 1 ] && [ "$fail" = 0 ] && fail=1
	echo "guest time: $(cat "$build/vm/$kver/seconds" 2>/dev/null)s"
	program_times "$build/vm/$kver/results/times.txt"
	# A partial round (VALLEY_TESTS) leaves the canaries out.
	if [ "$kver" = "$debug_kver" ] && [ -z "${VALLEY_TESTS:-}" ]; then
		step "the debug lane's self-test: bugs on purpose must be reported"
		tests/canary.sh "$kver" "${kdirs[$kver]}" "${images[$kver]}" \
			"$build/vm/$kver" | tee "$build/vm/$kver/canary.tap"
		pass=$((pass + $(grep -c '^ok ' "$build/vm/$kver/canary.tap")))
		fail=$((fail + $(grep -c '^not ok ' "$build/vm/$kver/canary.tap")))
	fi
	record "$kver" "$pass" "$fail" "$skip"
done

step "summary"
printf '%s\n' "${lines[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]
