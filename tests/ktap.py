# SPDX-License-Identifier: GPL-2.0
#
# How many results a Python selftest prints, read from its source: the
# tests run on net/lib/py's ksft_run (linux-source-6.12), which prints
# KTAP; check.sh counts on the host what each should print.
# "ktap.py --count FILE" says how many, without running them.

import ast
import sys


def planned(path):
    """The number of tests PATH's main() hands ksft_run().

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
                    and node.func.id == "ksft_run"
                    and node.args
                    and isinstance(node.args[0], ast.Name)):
                names.append(node.args[0].id)
        if len(names) == 1 and names[0] in lists:
            return lists[names[0]]
    raise ValueError(f"{path}: no main() with tests = [...] for ksft_run()")


if __name__ == "__main__":
    # ktap.py --count FILE: how many tests FILE runs (see planned()).
    if len(sys.argv) != 3 or sys.argv[1] != "--count":
        sys.exit("usage: ktap.py --count FILE")
    try:
        print(planned(sys.argv[2]))
    except (OSError, SyntaxError, ValueError) as e:
        sys.exit(f"ktap.py: {e}")
