# SPDX-License-Identifier: GPL-2.0
#
# KTAP output for valley's Python selftests (valley_layers.py,
# vstat_live.py): each runs its test functions through run_tests().

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
