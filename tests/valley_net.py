# SPDX-License-Identifier: GPL-2.0
#
# What valley's Python selftests share, on the net selftests' own library
# (tools/testing/selftests/net/lib/py of linux-source-6.12, extracted by
# tests/ksft.sh): the sanitizer build of vstat, commands given as argument
# vectors, and hosts in namespaces joined by veth whose every packet is
# known: static neighbours, and IPv6 kept quiet.

import ctypes
import json as _json
import os
import random
import shlex
import string
import subprocess
import sys
import tempfile

SRC = os.environ.get("VALLEY_SRC", os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.append(os.path.join(SRC,
                             "build/linux-src/tools/testing/selftests/net"))

from lib.py import NetNS, bkg, cmd, ksft_busy_wait  # noqa: E402

VSTAT = os.environ.get("VSTAT", os.path.join(SRC, "build/san/vstat"))

# Every command the tests start inherits these: a leak or undefined
# behaviour in vstat fails it.  The runner's stdbuf (LD_PRELOAD) goes,
# as ASan must come first.
os.environ.pop("LD_PRELOAD", None)
os.environ["ASAN_OPTIONS"] = "detect_leaks=1:exitcode=99"
os.environ["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1:exitcode=98"


libc = ctypes.CDLL(None, use_errno=True)


class In:
    """with In(NS): this thread in namespace NS (a NetNS, or its name):
    the sockets it makes, the /proc/sys/net and /proc/thread-self/net it
    opens, and the processes it starts are NS's."""

    def __init__(self, ns):
        self.ns = ns

    def __enter__(self):
        fd = os.open(f"/run/netns/{self.ns}", os.O_RDONLY)
        try:
            self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
            if libc.setns(fd, 0):
                err = ctypes.get_errno()
                os.close(self.home)
                raise OSError(err, f"setns {self.ns}: {os.strerror(err)}")
        finally:
            os.close(fd)

    def __exit__(self, *exc):
        # back home, or nothing after this may run: it would run in NS
        err = ctypes.get_errno() if libc.setns(self.home, 0) else 0
        os.close(self.home)
        if err:
            raise SystemExit(f"setns back from {self.ns}: "
                             f"{os.strerror(err)}")


def run(*argv, ns=None, fail=True):
    """cmd() of an argument vector, executed without a shell, in NS by
    the thread's setns() rather than under `ip netns exec`: in a guest
    under TCG every exec counts (a shell, a timeout(1) or an ip before
    each command cost the debug kernel's run minutes).  The command sees
    the host's /sys (bpffs included).  Returns the cmd object, with
    stdout, stderr and ret.  No time limit: 6.12's cmd() hands its
    timeout to communicate() as the input, so it never applies; a command
    that hangs is ended with its test program by the runner's timeout
    (tests/settings), as before."""
    argv = [str(a) for a in argv]
    if ns is None:
        return cmd(argv, shell=False, fail=fail)
    with In(ns):
        return cmd(argv, shell=False, fail=fail)


def run_bkg(*argv, ns=None, exit_wait=True):
    """bkg() of an argument vector, in NS as run(): with run_bkg(...) as
    p, waited for at the end of the block, or terminated with
    exit_wait=False; stdin is /dev/null.  The shell execs the command:
    dash forks a lone command, and then .proc.pid would be the shell's
    and the termination would end only the shell."""
    line = "exec " + shlex.join(map(str, argv)) + " </dev/null"
    if ns is None:
        return bkg(line, exit_wait=exit_wait, fail=exit_wait)
    with In(ns):
        return bkg(line, exit_wait=exit_wait, fail=exit_wait)


def ip(args, json=False, ns=None, fail=True):
    """lib.py's ip(), one exec: `ip [-n NS] [-j] ARGS` without a shell
    (ip switches namespace itself); the parsed JSON with json=True, else
    the cmd object."""
    argv = ["ip"] + (["-n", str(ns)] if ns else []) + \
        (["-j"] if json else []) + shlex.split(args)
    c = cmd(argv, shell=False, fail=fail)
    return _json.loads(c.stdout) if json else c


def ip_batch(ns, lines):
    """LINES (ip commands without the "ip") run by one ip in NS."""
    subprocess.run(["ip", "-n", str(ns), "-batch", "-"], check=True,
                   input="\n".join(lines) + "\n", text=True)


def vstat(*args, ns=None, fail=True):
    return run(VSTAT, *args, ns=ns, fail=fail)


def nft(rules, ns=None, fail=True):
    """Load nftables RULES (the text of a file)."""
    with tempfile.NamedTemporaryFile("w", suffix=".nft") as f:
        f.write(rules)
        f.flush()
        return run("nft", "-f", f.name, ns=ns, fail=fail)


def py(ns, code, *args):
    """Python CODE with ARGS in namespace NS, to its end."""
    return run(sys.executable, "-c", code, *args, ns=ns)


def py_bkg(ns, code, *args, exit_wait=True):
    return run_bkg(sys.executable, "-c", code, *args, ns=ns,
                   exit_wait=exit_wait)


def snmp(ns):
    """The kernel's own counters of NS (/proc/net/snmp):
    {"Tcp": {"OutSegs": n, ...}, "Ip": {...}, ...}."""
    with In(ns), open("/proc/thread-self/net/snmp") as f:
        lines = f.read().splitlines()
    out = {}
    for head, vals in zip(lines[::2], lines[1::2]):
        proto, names = head.split(":")
        out[proto] = dict(zip(names.split(), map(int, vals.split(":")[1]
                                                 .split())))
    return out


def ifstats(ns, dev):
    """The interface's own counters: {"rx": {...}, "tx": {...}}."""
    return ip(f"-s link show {dev}", json=True, ns=ns)[0]["stats64"]


def mac(ns, dev):
    return ip(f"link show {dev}", json=True, ns=ns)[0]["address"]


def netns():
    """A new namespace (NetNS, deleted with the object), its loopback up;
    named valley-<8 random letters>, so that one left by a run killed
    midway says whose it is."""
    ns = NetNS("valley-" + "".join(random.choices(string.ascii_lowercase,
                                                  k=8)))
    ip("link set lo up", ns=ns)
    return ns


def sysctl(ns, key, value):
    """sysctl -w KEY=VALUE in NS (KEY's names hold no dot), written from
    here: /proc/sys/net is the namespace of the thread that opens it."""
    with In(ns), open("/proc/sys/" + key.replace(".", "/"), "w") as f:
        f.write(f"{value}\n")


def quiet_ipv6(ns, dev):
    """No link-local address, DAD, router solicitations; MLD at once."""
    for k, v in (("addr_gen_mode", 1), ("accept_dad", 0),
                 ("router_solicitations", 0),
                 ("mldv1_unsolicited_report_interval", 1),
                 ("mldv2_unsolicited_report_interval", 1)):
        sysctl(ns, f"net.ipv6.conf.{dev}.{k}", v)


def link(ns1, dev1, ns2, dev2):
    """A veth pair, DEV1 in NS1 and DEV2 in NS2, IPv6 quiet on both."""
    ip(f"link add {dev1} netns {ns1} type veth peer name {dev2} "
       f"netns {ns2}")
    quiet_ipv6(ns1, dev1)
    quiet_ipv6(ns2, dev2)


def addr_lines(dev, *addrs):
    """ip commands: addresses (with their prefix length) on DEV, DEV up."""
    return [f"addr add {a} dev {dev}{' nodad' if ':' in a else ''}"
            for a in addrs] + [f"link set {dev} up"]


def addr(ns, dev, *addrs):
    """Addresses (with their prefix length) on DEV, and DEV up."""
    ip_batch(ns, addr_lines(dev, *addrs))


def neigh_line(dev, addr, lladdr):
    return f"neigh replace {addr} lladdr {lladdr} dev {dev} nud permanent"


def neigh(ns, dev, addr, lladdr):
    ip(neigh_line(dev, addr, lladdr), ns=ns)


def up(ns, dev):
    """Whether DEV's operstate is UP: the link watch has seen its carrier
    (it may take a second).  IPv6's joins go after, on timers."""
    return ip(f"link show {dev}", json=True, ns=ns)[0]["operstate"] == "UP"


class Hosts:
    """Two hosts: namespaces a and b joined by veth (dev_a in a, dev_b in
    b), each with ADDRS_A or ADDRS_B on its end, and each the other's
    neighbour for every address; both ends up.  The namespaces go with the
    object."""

    def __init__(self, dev_a, dev_b, addrs_a, addrs_b):
        self.a, self.b = netns(), netns()
        self.dev_a, self.dev_b = dev_a, dev_b
        link(self.a, dev_a, self.b, dev_b)
        mac_a, mac_b = mac(self.a, dev_a), mac(self.b, dev_b)
        ip_batch(self.a, addr_lines(dev_a, *addrs_a) +
                 [neigh_line(dev_a, b.split("/")[0], mac_b)
                  for b in addrs_b])
        ip_batch(self.b, addr_lines(dev_b, *addrs_b) +
                 [neigh_line(dev_b, a.split("/")[0], mac_a)
                  for a in addrs_a])
        # The end that came up first drops what it sends until the link
        # watch has seen its carrier (and says so in operstate).
        ksft_busy_wait(lambda: up(self.a, dev_a) and up(self.b, dev_b),
                       sleep=0.05, deadline=30, comment="veth up")

    def close(self):
        for ns in (self.a, self.b):
            ns.__del__()


def links(ns):
    """NS's interfaces: {name: ifindex}."""
    return {i["ifname"]: i["ifindex"]
            for i in ip("link show", json=True, ns=ns)}
