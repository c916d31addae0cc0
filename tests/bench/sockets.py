#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# vstat sockets beside ss on the host (it needs no module): a network
# namespace with about 50,000 TCP sockets on loopback (listeners,
# established pairs, TIME-WAIT), then each command run ROUNDS times, the
# commands rotating within a round, output to /dev/null.  Prints, per
# command, the median wall time and its spread (min..max), the median CPU
# time (user + system, all threads), and the peak RSS; then each ratio
# the issue names (vstat -tan, --json to ss -tan; vstat -tanp to vstat
# -tan; the filtered listing to ss's), as the median of the per-round
# ratios with their spread.  Needs root, ss, ip.
#
#   tests/bench/sockets.py [--sockets N] [--rounds R] [--vstat PATH]
#                          [--before PATH]
#
# --before adds another vstat's -tan and -tanp to the same rounds (an
# older build, say), and their ratio.

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time

NS = "vsk-bench"
SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def holder(n, index):
    """In the namespace: hold about N TCP sockets, then wait."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    keep = []
    ports = list(range(5000 + 10 * index, 5010 + 10 * index))
    for p in ports:
        lst = socket.socket()
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.bind(("127.0.0.1", p))
        lst.listen(4096)
        keep.append(lst)
    tw = n // 10
    est = (n - tw - len(ports)) // 2
    for i in range(est + tw):
        lst = keep[i % len(ports)]
        c = socket.create_connection(lst.getsockname())
        s, _ = lst.accept()
        if i < est:
            keep += [c, s]
        else:           # the server closes first: it goes to TIME-WAIT
            s.close()
            c.close()
    print("ready", flush=True)
    time.sleep(3600)


def run_once(cmd):
    """Wall time and CPU time (user + system) of CMD."""
    null = os.open(os.devnull, os.O_WRONLY)
    t = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
    _, status, ru = os.wait4(pid, 0)
    dt = time.perf_counter() - t
    os.close(null)
    if status:
        sys.exit(f"sockets.py: {' '.join(cmd)} failed ({status})")
    return dt, ru.ru_utime + ru.ru_stime


def peak_rss(cmd):
    """CMD's peak RSS in KiB, from GNU time (a spawn from Python would
    count Python's own)."""
    with tempfile.NamedTemporaryFile("r") as f:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name] + cmd,
                       stdout=subprocess.DEVNULL, check=True)
        return int(f.read().split()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockets", type=int, default=50000)
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--vstat", default=os.path.join(SRC, "userspace/vstat"))
    ap.add_argument("--before", help="another vstat to compare")
    ap.add_argument("--hold", type=int, default=-1, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.hold >= 0:
        holder(a.sockets, a.hold)
        return
    v = a.vstat
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "add", NS], check=True)
    subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "netns", "exec", NS, "sysctl", "-qw",
                    "net.ipv4.ip_local_port_range=10000 65000"], check=True)
    # A process may have too few descriptors for them all (RLIMIT_NOFILE):
    # several processes hold a share each.
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    procs = -(-a.sockets // max(1000, min(hard - 200, 1 << 20)))
    holds = [subprocess.Popen(["ip", "netns", "exec", NS, sys.executable,
                               os.path.abspath(__file__), "--hold", str(i),
                               "--sockets", str(a.sockets // procs)],
                              stdout=subprocess.PIPE, text=True)
             for i in range(procs)]
    try:
        for h in holds:
            if h.stdout.readline().strip() != "ready":
                sys.exit("sockets.py: a socket holder failed")
        n = subprocess.run(["ss", "-N", NS, "-tanH"], capture_output=True,
                           text=True).stdout.count("\n")
        f = "sport = :5003"
        cmds = [
            ("ss -tan", ["ss", "-N", NS, "-tan"]),
            ("vstat sockets -tan", [v, "sockets", "-N", NS, "-tan"]),
            ("vstat sockets -tan --json", [v, "sockets", "-N", NS, "-tan",
                                           "--json"]),
            ("ss -tanp", ["ss", "-N", NS, "-tanp"]),
            ("vstat sockets -tanp", [v, "sockets", "-N", NS, "-tanp"]),
            (f"ss -tan '{f}'", ["ss", "-N", NS, "-tan", f]),
            (f"vstat sockets -tan '{f}'", [v, "sockets", "-N", NS, "-tan",
                                           f]),
        ]
        if a.before:
            cmds += [("before: vstat sockets -tan",
                      [a.before, "sockets", "-N", NS, "-tan"]),
                     ("before: vstat sockets -tanp",
                      [a.before, "sockets", "-N", NS, "-tanp"])]
        times = {name: [] for name, _ in cmds}
        cpu = {name: [] for name, _ in cmds}
        rss = {name: peak_rss(cmd) for name, cmd in cmds}
        for rnd in range(a.rounds):
            k = rnd % len(cmds)
            for name, cmd in cmds[k:] + cmds[:k]:
                wall, used = run_once(cmd)
                times[name].append(wall)
                cpu[name].append(used)
        print(f"{n} TCP sockets in namespace {NS}, {a.rounds} rounds, "
              f"{os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.2f}")
        print(f"{'command':32} {'median ms':>9} {'min..max ms':>15} "
              f"{'CPU ms':>7} {'peak RSS':>9}")
        for name, _ in cmds:
            t = times[name]
            print(f"{name:32} {statistics.median(t) * 1e3:9.1f} "
                  f"{min(t) * 1e3:7.1f}..{max(t) * 1e3:<7.1f} "
                  f"{statistics.median(cpu[name]) * 1e3:7.1f} "
                  f"{rss[name] / 1024:6.1f} MB")
        print("ratios (median of the rounds' ratios, min..max; target):")
        ratios = [
            ("vstat sockets -tan", "ss -tan", "<= 1.0"),
            ("vstat sockets -tan --json", "ss -tan", "<= 1.1"),
            ("vstat sockets -tanp", "vstat sockets -tan", "<= 1.2"),
            ("ss -tanp", "ss -tan", "(ss's own)"),
            (f"vstat sockets -tan '{f}'", f"ss -tan '{f}'", "about 1")]
        if a.before:
            ratios.append(("before: vstat sockets -tanp",
                           "before: vstat sockets -tan", "before"))
        for a_, b_, target in ratios:
            r = [x / y for x, y in zip(times[a_], times[b_])]
            c = statistics.median(cpu[a_]) / max(statistics.median(cpu[b_]),
                                                 1e-9)
            print(f"  {a_} / {b_}: {statistics.median(r):.2f} "
                  f"({min(r):.2f}..{max(r):.2f}; {target}); CPU {c:.2f}")
    finally:
        for h in holds:
            h.kill()
            h.wait()
        subprocess.run(["ip", "netns", "del", NS])


if __name__ == "__main__":
    main()
