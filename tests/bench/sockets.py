#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# vstat sockets beside ss on the host (it needs no module): a network
# namespace with about 50,000 TCP sockets on loopback (listeners,
# established pairs, TIME-WAIT), then each command run ROUNDS times, the
# commands rotating within a round, output to /dev/null.  Prints, per
# command, the median wall time, the spread (min..max), the median ratio
# to `ss -tan` over the rounds, and the peak RSS.  Needs root, ss, ip.
#
#   tests/bench/sockets.py [--sockets N] [--rounds R] [--vstat PATH]

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
    """Wall time of CMD."""
    null = os.open(os.devnull, os.O_WRONLY)
    t = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
    _, status = os.waitpid(pid, 0)
    dt = time.perf_counter() - t
    os.close(null)
    if status:
        sys.exit(f"sockets.py: {' '.join(cmd)} failed ({status})")
    return dt


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
        times = {name: [] for name, _ in cmds}
        rss = {name: peak_rss(cmd) for name, cmd in cmds}
        for rnd in range(a.rounds):
            k = rnd % len(cmds)
            for name, cmd in cmds[k:] + cmds[:k]:
                times[name].append(run_once(cmd))
        base = times["ss -tan"]
        print(f"{n} TCP sockets in namespace {NS}, {a.rounds} rounds; "
              f"ratio: median over rounds of the time / ss -tan's")
        print(f"{'command':32} {'median ms':>9} {'min..max ms':>15} "
              f"{'ratio':>6} {'peak RSS':>9}")
        for name, _ in cmds:
            t = times[name]
            ratio = statistics.median(x / b for x, b in zip(t, base))
            print(f"{name:32} {statistics.median(t) * 1e3:9.1f} "
                  f"{min(t) * 1e3:7.1f}..{max(t) * 1e3:<7.1f} {ratio:6.2f} "
                  f"{rss[name] / 1024:6.1f} MB")
        vp = statistics.median(x / y for x, y in zip(
            times["vstat sockets -tanp"], times["vstat sockets -tan"]))
        print(f"vstat -tanp / vstat -tan: {vp:.2f}")
    finally:
        for h in holds:
            h.kill()
            h.wait()
        subprocess.run(["ip", "netns", "del", NS])


if __name__ == "__main__":
    main()
