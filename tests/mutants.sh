#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make mutants: break one thing on purpose, run the tests that claim it,
# and see that they fail.  Each mutation of tests/mutants.list (one line
# of the module or the tools replaced by another) is applied alone to a
# fresh copy of the tree, built, and run in a guest of one test kernel
# (6.12 unless VALLEY_MUTANT_KERNEL names another) with the test programs
# the entry names.  The unmutated tree runs the same programs first and
# must pass, or no verdict means anything.
#
# Prints one line per mutation, "caught" or "MISSED", and a score; exits
# non-zero if any was missed.  VALLEY_MUTANTS="NAME ..." runs only those.
# Not part of make check: about two minutes a mutation.
set -uo pipefail

src=$(readlink -f "$(dirname "$0")/..")
cd "$src" || exit 1
out=$src/build/mutants
list=$src/tests/mutants.list

die() { echo "mutants: $*" >&2; exit 1; }

bash tests/deps.sh || die "installing dependencies failed"
tests/ksft.sh || die "cannot extract the kselftest harness"
kver=${VALLEY_MUTANT_KERNEL:-$(tests/kernels.sh | grep '^6\.12' | tail -n 1)}
[ -n "$kver" ] || die "no 6.12 kernel (set VALLEY_MUTANT_KERNEL)"
kdir=/lib/modules/$kver/build

# The selftests, built once as make check builds them.
rm -rf "$out"
mkdir -p "$out/ksft-obj" "$out/ksft/kselftest"
make -s -C tests OUTPUT="$out/ksft-obj" install INSTALL_PATH="$out/ksft/valley" ||
	die "selftest build failed"
cp build/linux-src/tools/testing/selftests/run_kselftest.sh "$out/ksft/"
cp build/linux-src/tools/testing/selftests/kselftest/{runner.sh,ktap_helpers.sh,prefix.pl} \
	"$out/ksft/kselftest/"

# One line per mutation: NAME, TESTS, then FILE, FROM, TO for each line it
# changes, split by US (\x1f): the lines themselves hold tabs.
mapfile -t mutants < <(python3 - "$list" <<'PY'
import sys

entry, edits = {}, []
def emit():
    if entry or edits:
        name = entry.get("name", "?")
        if "name" not in entry or "tests" not in entry or not edits:
            sys.exit(f"mutants.list: {name}: needs name, tests, file, from, to")
        if any(len(e) != 3 for e in edits):
            sys.exit(f"mutants.list: {name}: each file: needs a from: and a to:")
        print("\x1f".join([entry["name"], entry["tests"]] +
                          [v for e in edits for v in (e["file"], e["from"], e["to"])]))
        entry.clear()
        edits.clear()

for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line.strip():
        emit()
    elif not line.startswith("#"):
        key, _, val = line.partition(": ")
        if key == "file":
            edits.append({"file": val})
        elif key in ("from", "to") and edits:
            edits[-1][key] = val.replace("\\t", "\t")
        else:
            entry[key] = val
emit()
PY
) || die "cannot read $list"
[ "${#mutants[@]}" -gt 0 ] || die "no mutations in $list"

# tree DIR: a copy of the working tree's sources in DIR.
tree() {
	mkdir -p "$1"
	git ls-files -z | xargs -0 cp --parents -t "$1"
}

# all_pass DIR TESTS...: whether each of TESTS ran and passed in DIR's
# guest (the runner's own status says nothing of the tests' results).
all_pass() {
	local dir=$1 t
	shift
	for t in "$@"; do
		grep -qE "^ok [0-9]+ selftests: valley: $t\$" "$dir/vm/results/tap.txt" 2>/dev/null ||
			return 1
	done
}

# run DIR TESTS...: build DIR's module and tools, run TESTS in a guest.
run() {
	local dir=$1 ksft=$1/ksft
	shift
	tests/build-module.sh "$kdir" "$dir/build/$kver" >/dev/null 2>"$dir/build.err" ||
		return 2
	make -s -C "$dir/userspace" O="$dir/build/san" SAN=1 >/dev/null 2>>"$dir/build.err" ||
		return 2
	cp -a "$out/ksft" "$ksft"
	printf 'valley:%s\n' "$@" >"$ksft/kselftest-list.txt"
	"$dir/tests/vm/run.sh" --kver "$kver" --ko "$dir/build/$kver/src/kmod/valley.ko" \
		--ksft "$ksft" --out "$dir/vm" --timeout 1200 >"$dir/run.log" 2>&1
}

# The programs any mutation names, on the tree as it is: all must pass.
mapfile -t all < <(printf '%s\n' "${mutants[@]}" | cut -d $'\x1f' -f2 | tr ' ' '\n' | sort -u)
make -s -C tests OUTPUT="$out/ksft-obj" emit_tests COLLECTION=valley >"$out/known.txt"
for t in "${all[@]}"; do
	grep -qxF "valley:$t" "$out/known.txt" || die "tests/mutants.list names '$t', which is no test program"
done
tree "$out/base"
(cd "$out/base" && run "$out/base" "${all[@]}")
rc=$?
# Every program must have run, and passed.
[ "$rc" = 0 ] && ! all_pass "$out/base" "${all[@]}" && rc=1
if [ "$rc" != 0 ]; then
	tail -n 40 "$out/base/run.log" "$out/base/build.err" 2>/dev/null >&2
	grep -h 'not ok' "$out/base/vm/results/tap.txt" >&2
	die "the unmutated tree fails ${all[*]} on $kver (status $rc): fix that first"
fi
echo "unmutated tree: ${all[*]} pass on $kver"

caught=0 missed=0 i=0
for m in "${mutants[@]}"; do
	IFS=$'\x1f' read -r -a f <<<"$m"
	name=${f[0]} tests=${f[1]}
	i=$((i + 1))
	if [ -n "${VALLEY_MUTANTS:-}" ] && ! printf '%s\n' $VALLEY_MUTANTS | grep -qxF "$name"; then
		continue
	fi
	dir=$out/$i
	tree "$dir"
	if ! python3 - "$dir" "${f[@]:2}" <<'PY'
import sys

root, edits = sys.argv[1], sys.argv[2:]
for i in range(0, len(edits), 3):
    path, old, new = root + "/" + edits[i], edits[i + 1], edits[i + 2]
    text = open(path).read().split("\n")
    hits = [n for n, l in enumerate(text) if l == old]
    if len(hits) != 1:
        sys.exit(f"{path}: the line to mutate is there {len(hits)} times, not once: {old!r}")
    text[hits[0]] = new
    open(path, "w").write("\n".join(text))
PY
	then
		die "mutation $name does not apply: edit tests/mutants.list"
	fi
	read -ra progs <<<"$tests"
	(cd "$dir" && run "$dir" "${progs[@]}")
	rc=$?
	[ "$rc" = 0 ] && ! all_pass "$dir" "${progs[@]}" && rc=1
	if [ "$rc" = 2 ] && [ -s "$dir/build.err" ] && [ ! -f "$dir/vm/seconds" ]; then
		echo "BUILD FAILED $name (see $dir/build.err)"
		missed=$((missed + 1))
	elif [ "$rc" != 0 ]; then
		echo "caught  $name ($tests)"
		caught=$((caught + 1))
	else
		echo "MISSED  $name ($tests)"
		missed=$((missed + 1))
	fi
	# Keep what a missed mutation left, drop the rest.
	[ "$rc" != 0 ] && rm -rf "$dir"
done
echo "mutants on $kver: $caught caught, $missed missed"
[ "$missed" = 0 ]
