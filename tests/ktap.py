# SPDX-License-Identifier: GPL-2.0
#
# KTAP output for valley's older Python selftests (vstat_ports.py,
# vstat_sockets.py): each runs its test functions through run_tests();
# the others run on net/lib/py's ksft_run().
# "ktap.py --count FILE" says how many, without running them.

import ast
import sys


class Failed(Exception):
    """A check that did not hold; the message says which ("; " per line)."""


def run_tests(tests, errors=()):
    """Run each test_NAME function, print KTAP; return the exit status.

    A test fails when it raises Failed or one of ERRORS; other exceptions
    are bugs of the test and end the run.
    """
    print("TAP version 13")
    print(f"1..{len(tests)}")
    failed = 0
    for i, test in enumerate(tests, 1):
        name = test.__name__[len("test_"):]
        try:
            test()
            print(f"ok {i} {name}")
        except (Failed, *errors) as e:
            failed += 1
            for line in str(e).split("; "):
                print(f"# {line}")
            print(f"not ok {i} {name}")
        sys.stdout.flush()
    print(f"# Totals: pass:{len(tests) - failed} fail:{failed}")
    return 1 if failed else 0


def planned(path):
    """The number of tests PATH's main() hands run_tests().

    Read from the source, not by running it: the host that counts the
    tests a build has (tests/check.sh) cannot run them.  main() must name
    them in a list literal, tests = [test_a, ...]; else ValueError.
    """
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for fn in tree.body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name == "main"):
            continue
        lists = {}
        names = []
        for node in ast.walk(fn):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.List)):
                lists[node.targets[0].id] = len(node.value.elts)
            if (isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("run_tests", "ksft_run")
                    and node.args
                    and isinstance(node.args[0], ast.Name)):
                names.append(node.args[0].id)
        if len(names) == 1 and names[0] in lists:
            return lists[names[0]]
    raise ValueError(f"{path}: no main() with tests = [...] for run_tests()")


if __name__ == "__main__":
    # ktap.py --count FILE: how many tests FILE runs (see planned()).
    if len(sys.argv) != 3 or sys.argv[1] != "--count":
        sys.exit("usage: ktap.py --count FILE")
    try:
        print(planned(sys.argv[2]))
    except (OSError, SyntaxError, ValueError) as e:
        sys.exit(f"ktap.py: {e}")
