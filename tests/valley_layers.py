#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The per-layer counters against real traffic in namespaces joined by
# veth: two hosts, and a router between two hosts.  Neighbours are static
# and IPv6 is kept quiet (no link-local address, no DAD, no router
# solicitations, MLD done before the counters are reset), so every count
# is known: what one side sends, the other receives, exactly.
#
# Needs VALLEY_SRC; runs the ASan/UBSan build of vstat in each namespace.
# Runs on the net selftests' library of linux-source-6.12 (tests/ksft.sh);
# output is KTAP.  The tests share namespaces (vla and vlb of
# test_two_hosts serve the later ones), so the namespaces have fixed names
# and go at the end.

import json
import os
import socket
import subprocess
import sys
import threading
import time

SRC = os.environ.get("VALLEY_SRC", os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.append(os.path.join(SRC,
                             "build/linux-src/tools/testing/selftests/net"))

from lib.py import (KsftFailEx, KsftSkipEx, ksft_exit,  # noqa: E402
                    ksft_pr, ksft_run)

VSTAT = os.environ.get("VSTAT", os.path.join(SRC, "build/san/vstat"))
ENV = dict(os.environ)
ENV.pop("LD_PRELOAD", None)    # the runner's stdbuf; ASan must come first
ENV["ASAN_OPTIONS"] = "detect_leaks=1:exitcode=99"
ENV["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1:exitcode=98"

ETH = 14                        # Ethernet header
ICMP4_ECHO = 20 + 8 + 56        # ping's default packet
ICMP6_ECHO = 40 + 8 + 56


def run(*cmd, ns=None, check=True, stdin=None):
    if ns:
        cmd = ("ip", "netns", "exec", ns) + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV,
                       input=stdin, errors="backslashreplace")
    if check and p.returncode:
        raise KsftFailEx(f"{' '.join(cmd)}: exit {p.returncode}: "
                         f"{p.stderr.strip()}")
    return p


def vstat(*args, ns=None):
    return run(VSTAT, *args, ns=ns)


class Rows:
    """One `vstat --json layers` snapshot of a namespace."""

    def __init__(self, ns):
        self.ns = ns
        self.rows = {}
        for r in json.loads(vstat("--json", "layers", ns=ns).stdout):
            self.rows[(r["layer"], r.get("ifname"), r["key"])] = r

    def get(self, layer, key, col, dev=None):
        r = self.rows.get((layer, dev, key))
        if r is None:
            raise KsftFailEx(f"{self.ns}: no row {layer} {dev or ''} "
                             f"{key}")
        return r[col]


class Check:
    def __init__(self):
        self.bad = []

    def eq(self, what, got, want):
        if got != want:
            self.bad.append(f"{what}: got {got}, want {want}")

    def done(self):
        if self.bad:
            for line in self.bad:
                ksft_pr(line)
            raise KsftFailEx(f"{len(self.bad)} of the checks failed")


def netns(*names):
    for n in names:
        run("ip", "netns", "del", n, check=False)
        run("ip", "netns", "add", n)
        run("ip", "-n", n, "link", "set", "lo", "up")


def quiet_ipv6(ns, dev):
    """No link-local address, DAD, router solicitations; MLD at once."""
    for k, v in (("addr_gen_mode", 1), ("accept_dad", 0),
                 ("router_solicitations", 0),
                 ("mldv1_unsolicited_report_interval", 1),
                 ("mldv2_unsolicited_report_interval", 1)):
        run("sysctl", "-qw", f"net.ipv6.conf.{dev}.{k}={v}", ns=ns)


def mac(ns, dev):
    out = run("ip", "-n", ns, "-j", "link", "show", dev).stdout
    return json.loads(out)[0]["address"]


def link(ns1, dev1, ns2, dev2):
    run("ip", "link", "add", dev1, "netns", ns1, "type", "veth", "peer",
        "name", dev2, "netns", ns2)
    quiet_ipv6(ns1, dev1)
    quiet_ipv6(ns2, dev2)


def addr(ns, dev, a4, a6):
    run("ip", "-n", ns, "addr", "add", a4, "dev", dev)
    run("ip", "-n", ns, "addr", "add", a6, "dev", dev, "nodad")
    run("ip", "-n", ns, "link", "set", dev, "up")


def neigh(ns, dev, ip, lladdr):
    run("ip", "-n", ns, "neigh", "replace", ip, "lladdr", lladdr, "dev", dev,
        "nud", "permanent")


def snmp(ns):
    """The kernel's own counters of NS (/proc/net/snmp):
    {"Tcp": {"OutSegs": n, ...}, "Ip": {...}, ...}."""
    lines = run("cat", "/proc/net/snmp", ns=ns).stdout.splitlines()
    out = {}
    for head, vals in zip(lines[::2], lines[1::2]):
        proto, names = head.split(":")
        out[proto] = dict(zip(names.split(), map(int, vals.split(":")[1]
                                                 .split())))
    return out


def ifstats(ns, dev):
    """The interface's own counters: {"rx": {...}, "tx": {...}}."""
    out = run("ip", "-n", ns, "-s", "-j", "link", "show", dev).stdout
    return json.loads(out)[0]["stats64"]


def settle(*names):
    """Let IPv6's joins go out, then count from zero: nothing may move."""
    time.sleep(0.5)
    for n in names:
        vstat("reset", ns=n)
    time.sleep(0.3)
    c = Check()
    for n in names:
        rows = Rows(n)
        for (layer, dev, key), r in rows.rows.items():
            for col in ("in", "out", "forwarded"):
                c.eq(f"{n} {layer} {dev or ''} {key} {col} at rest",
                     r.get(col, 0), 0)
    c.done()


def two_hosts():
    netns("vla", "vlb")
    link("vla", "a0", "vlb", "b0")
    addr("vla", "a0", "10.0.1.1/24", "fd01::1/64")
    addr("vlb", "b0", "10.0.1.2/24", "fd01::2/64")
    for ns, dev, peer_ns, peer_dev, ip4, ip6 in (
            ("vla", "a0", "vlb", "b0", "10.0.1.2", "fd01::2"),
            ("vlb", "b0", "vla", "a0", "10.0.1.1", "fd01::1")):
        neigh(ns, dev, ip4, mac(peer_ns, peer_dev))
        neigh(ns, dev, ip6, mac(peer_ns, peer_dev))
    settle("vla", "vlb")


UDP_RECEIVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
for _ in range(int(sys.argv[2])):
    s.recv(65536)
"""

UDP_SENDER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[3])):
    s.sendto(b"x" * int(sys.argv[4]), (sys.argv[1], int(sys.argv[2])))
"""

TCP_SERVER = r"""
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(1)
print("ready", flush=True)
c, _ = l.accept()
n = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    n += len(b)
c.close()
print(n, flush=True)
"""

TCP_CLIENT = r"""
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG), flush=True)
c.sendall(b"y" * int(sys.argv[3]))
c.shutdown(socket.SHUT_WR)
while c.recv(65536):
    pass
c.close()
"""


def server(ns, code, *args):
    p = subprocess.Popen(("ip", "netns", "exec", ns, sys.executable, "-c",
                          code) + args, stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "ready":
        raise KsftFailEx(f"{ns}: the server did not start")
    return p


def py(ns, code, *args):
    run(sys.executable, "-c", code, *args, ns=ns)


TCP_BYTES = 100000


def two_hosts_traffic():
    run("ping", "-q", "-c", "3", "-i", "0.2", "-W", "2", "10.0.1.2",
        ns="vla")
    run("ping", "-q", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fd01::2",
        ns="vla")
    rx = server("vlb", UDP_RECEIVER, "7777", "5")
    py("vla", UDP_SENDER, "10.0.1.2", "7777", "5", "100")
    rx.wait(timeout=30)
    # Nobody on 7778: one datagram, one port unreachable back.
    py("vla", UDP_SENDER, "10.0.1.2", "7778", "1", "10")
    srv = server("vlb", TCP_SERVER, "8888")
    mss = int(run(sys.executable, "-c", TCP_CLIENT, "10.0.1.2", "8888",
                  str(TCP_BYTES), ns="vla").stdout)
    got = int(srv.stdout.readline())
    srv.wait(timeout=30)
    if got != TCP_BYTES:
        raise KsftFailEx(f"the TCP server got {got} bytes")
    time.sleep(0.3)
    return mss


def kernel_counters():
    """What the kernel itself counted in vla and vlb: TCP and a0/b0."""
    return {"vla": snmp("vla")["Tcp"], "vlb": snmp("vlb")["Tcp"],
            "a0": ifstats("vla", "a0"), "b0": ifstats("vlb", "b0")}


def test_two_hosts():
    two_hosts()
    k0 = kernel_counters()
    mss = two_hosts_traffic()
    k1 = kernel_counters()
    a, b = Rows("vla"), Rows("vlb")
    c = Check()
    I, T, A = "internet", "transport", "application"

    # What one side sent, the other received: every row, both ways.
    for (layer, dev, key), r in a.rows.items():
        if layer == "link":
            continue
        c.eq(f"{key} a.out == b.in", r["out"], b.get(layer, key, "in"))
        c.eq(f"{key} a.in == b.out", r["in"], b.get(layer, key, "out"))
        c.eq(f"{key} a.forwarded", r["forwarded"], 0)
    for key in ("frames", "bytes", "ipv4.frames", "ipv6.frames",
                "unicast.frames", "multicast.frames", "arp.frames"):
        c.eq(f"a0 {key} egress == b0 ingress",
             a.get("link", key, "out", "a0"), b.get("link", key, "in", "b0"))
        c.eq(f"a0 {key} ingress == b0 egress",
             a.get("link", key, "in", "a0"), b.get("link", key, "out", "b0"))

    # Exact counts of what the test sent.
    c.eq("icmp.echo_request out", a.get(I, "icmp.echo_request", "out"), 3)
    c.eq("icmp.echo_reply in", a.get(I, "icmp.echo_reply", "in"), 3)
    c.eq("icmp.unreachable in", a.get(I, "icmp.unreachable", "in"), 1)
    c.eq("icmp.echo_request in", a.get(I, "icmp.echo_request", "in"), 0)
    c.eq("icmpv6.echo_request out", a.get(I, "icmpv6.echo_request", "out"), 2)
    c.eq("icmpv6.echo_reply in", a.get(I, "icmpv6.echo_reply", "in"), 2)
    c.eq("icmpv6.neighbour", a.get(I, "icmpv6.neighbour", "out") +
         a.get(I, "icmpv6.neighbour", "in"), 0)
    c.eq("ipv6.packets out", a.get(I, "ipv6.packets", "out"), 2)
    c.eq("ipv6.bytes out", a.get(I, "ipv6.bytes", "out"), 2 * ICMP6_ECHO)
    c.eq("ipv6.bytes in", a.get(I, "ipv6.bytes", "in"), 2 * ICMP6_ECHO)
    c.eq("udp.datagrams out", a.get(T, "udp.datagrams", "out"), 6)
    c.eq("udp.payload_bytes out", a.get(T, "udp.payload_bytes", "out"),
         5 * 100 + 10)
    c.eq("udp.datagrams in", a.get(T, "udp.datagrams", "in"), 0)
    c.eq("tcp.payload_bytes out", a.get(T, "tcp.payload_bytes", "out"),
         TCP_BYTES)
    c.eq("tcp.payload_bytes in", a.get(T, "tcp.payload_bytes", "in"), 0)
    c.eq("tcp.syn out", a.get(T, "tcp.syn", "out"), 1)
    c.eq("tcp.syn_ack in", a.get(T, "tcp.syn_ack", "in"), 1)
    c.eq("tcp.fin out", a.get(T, "tcp.fin", "out"), 1)
    c.eq("tcp.fin in", a.get(T, "tcp.fin", "in"), 1)
    c.eq("tcp.rst", a.get(T, "tcp.rst", "out") + a.get(T, "tcp.rst", "in"), 0)
    tcp_out = a.get(T, "tcp.segments", "out")
    tcp_in = a.get(T, "tcp.segments", "in")
    data_out = a.get(T, "tcp.data", "out")

    # The witness: the kernel's own TCP counters, read right before and
    # after the traffic.  OutSegs counts every segment a GSO packet
    # stands for (tcp_skb_pcount()), RetransSegs the segments sent again;
    # InSegs counts packets as they reach TCP: in vla only acks, SYN-ACK
    # and FIN, never merged, so segments; in vlb the packets of data as
    # veth passed them, GSO and all.  The link layer has the same witness:
    # a0's own tx_packets counts packets, GSO or not, and tx_bytes their
    # bytes without the headers of the segments that GSO leaves out.
    def delta(what, key, d=None):
        if d:
            return k1[what][d][key] - k0[what][d][key]
        return k1[what][key] - k0[what][key]
    sent = delta("vla", "OutSegs") + delta("vla", "RetransSegs")
    sent_b = delta("vlb", "OutSegs") + delta("vlb", "RetransSegs")
    packets_b = delta("vlb", "InSegs")
    tx_packets = delta("a0", "packets", "tx")
    tx_bytes = delta("a0", "bytes", "tx")
    print(f"# two hosts: TCP {tcp_out} segments out ({data_out} with data), "
          f"{tcp_in} in; the kernel: OutSegs+RetransSegs {sent} in vla, "
          f"InSegs {packets_b} in vlb, MSS {mss}; a0 "
          f"{a.get('link', 'frames', 'out', 'a0')} frames out "
          f"({tx_packets} packets), {a.get('link', 'bytes', 'out', 'a0')} "
          f"bytes ({tx_bytes})")
    c.eq("tcp.segments out == vla's Tcp OutSegs + RetransSegs", tcp_out, sent)
    c.eq("tcp.segments in == vla's Tcp InSegs", tcp_in,
         delta("vla", "InSegs"))
    c.eq("b tcp.segments out == vlb's Tcp OutSegs + RetransSegs",
         b.get(T, "tcp.segments", "out"), sent_b)
    # Payload and MSS: no segment carries more than an MSS.
    if not -(-TCP_BYTES // mss) <= data_out <= sent - 1:
        c.bad.append(f"tcp.data out {data_out}: not between "
                     f"{TCP_BYTES} / MSS {mss} and {sent} segments - SYN")
    # A segment carries data, or is a SYN, SYN-ACK, FIN or pure ACK.
    c.eq("tcp.segments in = pure acks + syn-ack + fin",
         tcp_in, a.get(T, "tcp.pure_ack", "in") + 1 + 1)

    # The internet layer holds exactly those.
    c.eq("ipv4.packets out", a.get(I, "ipv4.packets", "out"),
         3 + 6 + sent)
    c.eq("ipv4.packets in", a.get(I, "ipv4.packets", "in"),
         3 + 1 + delta("vla", "InSegs"))
    c.eq("remote.private out", a.get(I, "remote.private", "out"),
         3 + 6 + sent + 2)
    c.eq("remote.public", a.get(I, "remote.public", "out") +
         a.get(I, "remote.public", "in"), 0)
    c.eq("port.registered out", a.get(T, "port.registered", "out"),
         6 + sent)
    c.eq("other.packets out", a.get(A, "other.packets", "out"), 6 + data_out)
    c.eq("other.bytes out", a.get(A, "other.bytes", "out"),
         510 + TCP_BYTES)

    # The link layer: the same frames with their Ethernet headers.  a0
    # sent the pings and datagrams, and the TCP packets that reached vlb.
    frames = a.get("link", "frames", "out", "a0")
    c.eq("a0 frames out == the witness's segments + 11", frames,
         3 + 6 + sent + 2)
    c.eq("a0 tx_packets (the kernel's) == 11 + vlb's InSegs", tx_packets,
         3 + 6 + 2 + packets_b)
    c.eq("b0 rx_packets (the kernel's) == a0 tx_packets",
         delta("b0", "packets", "rx"), tx_packets)
    # Each segment beyond the first of a GSO packet adds the Ethernet, IP
    # and TCP headers (with timestamps, 32 bytes) that GSO copies.
    tcp_hdr = 32 if run("sysctl", "-n", "net.ipv4.tcp_timestamps",
                        ns="vla").stdout.strip() != "0" else 20
    c.eq("a0 bytes out == tx_bytes + the headers of the segments GSO cut",
         a.get("link", "bytes", "out", "a0"),
         tx_bytes + (frames - tx_packets) * (ETH + 20 + tcp_hdr))
    c.eq("a0 ipv4.frames out", a.get("link", "ipv4.frames", "out", "a0"),
         3 + 6 + sent)
    c.eq("a0 bytes out", a.get("link", "bytes", "out", "a0"),
         a.get(I, "ipv4.bytes", "out") + a.get(I, "ipv6.bytes", "out") +
         ETH * frames)
    c.eq("a0 unicast.frames out", a.get("link", "unicast.frames", "out",
                                        "a0"), frames)
    c.eq("a0 arp.frames", a.get("link", "arp.frames", "out", "a0"), 0)
    c.eq("lo frames", a.get("link", "frames", "out", "lo"), 0)
    c.done()


CLASS_ADDRS = (("10.0.1.1/24", "10.0.1.2/24"),
               ("169.254.7.1/16", "169.254.7.2/16"),
               ("198.51.100.1/24", "198.51.100.2/24"),
               ("fd01::1/64", "fd01::2/64"),
               ("2001:db8::1/64", "2001:db8::2/64"),
               ("fe80::a/64", "fe80::b/64"))


def class_hosts():
    """Two hosts with private, link-local and public addresses."""
    netns("vle", "vlf")
    link("vle", "e0", "vlf", "f0")
    for pair in CLASS_ADDRS:
        for ns, dev, a, peer in (("vle", "e0", pair[0], pair[1]),
                                 ("vlf", "f0", pair[1], pair[0])):
            run("ip", "-n", ns, "addr", "add", a, "dev", dev,
                *(("nodad",) if ":" in a else ()))
    for ns, dev in (("vle", "e0"), ("vlf", "f0")):
        run("ip", "-n", ns, "link", "set", dev, "up")
    for pair in CLASS_ADDRS:
        neigh("vle", "e0", pair[1].split("/")[0], mac("vlf", "f0"))
        neigh("vlf", "f0", pair[0].split("/")[0], mac("vle", "e0"))
    run("sysctl", "-qw", "net.ipv4.icmp_echo_ignore_broadcasts=0", ns="vlf")
    settle("vle", "vlf")


def add(*dicts):
    out = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def echoes(n, size, v6=False, req="private", rep="private"):
    """The pinger's and the responder's internet rows for N echoes of
    SIZE IP bytes; REQ and REP: the remote class of request and reply."""
    ip, icmp = ("ipv6", "icmpv6") if v6 else ("ipv4", "icmp")
    common = {f"internet {ip}.packets out": n, f"internet {ip}.packets in": n,
              f"internet {ip}.bytes out": n * size,
              f"internet {ip}.bytes in": n * size}
    pinger = add(common, {f"internet {icmp}.echo_request out": n,
                          f"internet {icmp}.echo_reply in": n,
                          f"internet remote.{req} out": n,
                          f"internet remote.{rep} in": n})
    responder = add(common, {f"internet {icmp}.echo_request in": n,
                             f"internet {icmp}.echo_reply out": n,
                             f"internet remote.{req} in": n,
                             f"internet remote.{rep} out": n})
    return pinger, responder


def frames(dev, out, in_, eth=None, cast_out="unicast", cast_in="unicast"):
    """Link rows of DEV: frames out and in, by ethertype and cast.
    ETH maps an ethertype to (frames out, frames in); default all IPv4."""
    d = {f"{dev} frames out": out, f"{dev} frames in": in_,
         f"{dev} {cast_out}.frames out": out,
         f"{dev} {cast_in}.frames in": in_}
    for t, (o, i) in (eth or {"ipv4": (out, in_)}).items():
        d = add(d, {f"{dev} {t}.frames out": o, f"{dev} {t}.frames in": i})
    return d


def check_rows(c, ns, want):
    """Every row of the internet, transport and application layers, and
    every frame count of the link layer, is WANT's value or else 0."""
    rows = Rows(ns)
    seen = set()
    for (layer, dev, key), r in rows.rows.items():
        for col in ("in", "out", "forwarded"):
            name = f"{dev if layer == 'link' else layer} {key} {col}"
            if layer == "link" and not key.endswith("frames"):
                if name not in want:
                    continue
            seen.add(name)
            c.eq(f"{ns} {name}", r.get(col, 0), want.get(name, 0))
    for name in sorted(set(want) - seen):
        c.eq(f"{ns} {name} (no row)", 0, want[name])


def step(c, what, action, wants):
    """Reset the namespaces of WANTS, run ACTION, and check each
    namespace's rows against its WANT (check_rows); what differs goes to
    C, after WHAT."""
    for ns in wants:
        vstat("reset", ns=ns)
    action()
    time.sleep(0.3)
    sub = Check()
    for ns, want in wants.items():
        check_rows(sub, ns, want)
    if sub.bad:
        c.bad += [what] + sub.bad


def class_step(what, action, e, f):
    c = Check()
    step(c, what, action, {"vle": e, "vlf": f})
    c.done()


def ping(ns, *args):
    run("ping", "-q", "-i", "0.2", "-W", "2", *args, ns=ns)


RAW_SENDER = r"""
import socket, sys
for fam, dst in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):
    s = socket.socket(fam, socket.SOCK_RAW, int(sys.argv[3]))
    s.sendto(b"z" * int(sys.argv[4]), (dst, 0))
"""


def test_fragments_and_protocols():
    """Fragments counted as they arrive, the packet once; proto.N rows."""
    class_hosts()
    # 3008 bytes of ICMP: IPv4 fragments carry 1480, 1480, 48 of them;
    # IPv6 fragments (with an 8-byte fragment header) 1448, 1448, 112.
    p, r = echoes(1, 20 + 3008)
    link4 = frames("e0", 3, 3)
    class_step("IPv4 fragments",
               lambda: ping("vle", "-c", "1", "-s", "3000", "10.0.1.2"),
               add(p, {"internet fragments in": 3}, link4,
                   {"e0 bytes out": 3008 + 3 * (20 + ETH),
                    "e0 bytes in": 3008 + 3 * (20 + ETH)}),
               add(r, {"internet fragments in": 3},
                   frames("f0", 3, 3)))
    p, r = echoes(1, 40 + 3008, v6=True)
    link6 = frames("e0", 3, 3, {"ipv6": (3, 3)})
    class_step("IPv6 fragments",
               lambda: ping("vle", "-6", "-c", "1", "-s", "3000", "fd01::2"),
               add(p, {"internet fragments in": 3}, link6,
                   {"e0 bytes out": 3008 + 3 * (40 + 8 + ETH)}),
               add(r, {"internet fragments in": 3},
                   frames("f0", 3, 3, {"ipv6": (3, 3)})))
    # Protocol 253 (for experiments) has no handler: IPv4 answers
    # protocol unreachable, IPv6 a parameter problem (icmpv6.other); each
    # quotes the 40 or 60 bytes it got.
    e = {"internet ipv4.packets out": 1, "internet ipv4.bytes out": 40,
         "internet ipv6.packets out": 1, "internet ipv6.bytes out": 60,
         "transport proto.253 out": 2,
         "internet ipv4.packets in": 1, "internet ipv4.bytes in": 68,
         "internet icmp.unreachable in": 1,
         "internet ipv6.packets in": 1, "internet ipv6.bytes in": 108,
         "internet icmpv6.other in": 1,
         "internet remote.private out": 2, "internet remote.private in": 2}
    f = {}
    for k, v in e.items():
        layer, key, col = k.split()
        f[f"{layer} {key} {'in' if col == 'out' else 'out'}"] = v
    eth = {"ipv4": (1, 1), "ipv6": (1, 1)}
    class_step("protocol 253",
               lambda: py("vle", RAW_SENDER, "10.0.1.2", "fd01::2", "253",
                          "20"),
               add(e, frames("e0", 2, 2, eth)),
               add(f, frames("f0", 2, 2, eth)))


def test_remote_classes():
    """Loopback, link-local, public, broadcast and multicast peers."""
    p4, r4 = echoes(2, ICMP4_ECHO, req="loopback", rep="loopback")
    p6, r6 = echoes(1, ICMP6_ECHO, v6=True, req="loopback", rep="loopback")
    lo_bytes = 4 * (ICMP4_ECHO + ETH) + 2 * (ICMP6_ECHO + ETH)
    class_step("loopback",
               lambda: (ping("vle", "-c", "2", "127.0.0.1"),
                        ping("vle", "-6", "-c", "1", "::1")),
               add(p4, r4, p6, r6,
                   frames("lo", 6, 6, {"ipv4": (4, 4), "ipv6": (2, 2)}),
                   {"lo bytes out": lo_bytes, "lo bytes in": lo_bytes}), {})
    eth = {"ipv4": (2, 2), "ipv6": (1, 1)}
    for cls, a4, a6 in (("link_local", "169.254.7.2", "fe80::b"),
                        ("public", "198.51.100.2", "2001:db8::2")):
        p4, r4 = echoes(2, ICMP4_ECHO, req=cls, rep=cls)
        p6, r6 = echoes(1, ICMP6_ECHO, v6=True, req=cls, rep=cls)
        class_step(cls,
                   lambda: (ping("vle", "-c", "2", a4),
                            ping("vle", "-6", "-c", "1", "-I", "e0", a6)),
                   add(p4, p6, frames("e0", 3, 3, eth)),
                   add(r4, r6, frames("f0", 3, 3, eth)))
    # A broadcast goes out as one frame to ff:ff:ff:ff:ff:ff, and a copy
    # comes back to this host's own IP stack (not through the link).
    p, r = echoes(2, ICMP4_ECHO, req="multicast")
    class_step("broadcast",
               lambda: ping("vle", "-b", "-c", "2", "10.0.1.255"),
               add(p, {"internet icmp.echo_request in": 2,
                       "internet ipv4.packets in": 2,
                       "internet ipv4.bytes in": 2 * ICMP4_ECHO,
                       "internet remote.multicast in": 2},
                   frames("e0", 2, 2, cast_out="broadcast")),
               add(r, frames("f0", 2, 2, cast_in="broadcast")))
    # All nodes, without the copy for this host (-L); the reply comes
    # from f0's link-local address.
    p, r = echoes(1, ICMP6_ECHO, v6=True, req="multicast", rep="link_local")
    class_step("multicast",
               lambda: ping("vle", "-6", "-L", "-c", "1", "-I", "e0",
                            "ff02::1"),
               add(p, frames("e0", 1, 1, {"ipv6": (1, 1)},
                             cast_out="multicast")),
               add(r, frames("f0", 1, 1, {"ipv6": (1, 1)},
                             cast_in="multicast")))


LYING_UDP = r"""
import socket, struct, sys
src4, dst4, dst6 = sys.argv[1:4]
# UDP from port 40000 to 53 (dns) whose header claims 65535 bytes.
def udp(payload):
    return struct.pack("!HHHH", 40000, 53, 65535, 0) + payload
def ipv4(l4):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64,
                       socket.IPPROTO_UDP, 0, socket.inet_aton(src4),
                       socket.inet_aton(dst4)) + l4
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ipv4(udp(b"")), (dst4, 0))
s.sendto(ipv4(udp(b"q" * 20)), (dst4, 0))
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.sendto(udp(b"q" * 20), (dst6, 0))
"""


def test_udp_length_never_more_than_the_packet():
    """A UDP header claiming 65535 bytes counts what the packet holds."""
    # Two IPv4 datagrams (28 and 48 bytes), one IPv6 (68 bytes), each
    # claiming 65535 bytes; the receiver drops them as too short.
    e = {"internet ipv4.packets out": 2, "internet ipv4.bytes out": 28 + 48,
         "internet ipv6.packets out": 1, "internet ipv6.bytes out": 40 + 28,
         "internet remote.private out": 3,
         "transport udp.datagrams out": 3,
         "transport udp.payload_bytes out": 20 + 20,
         "transport port.well_known out": 3,
         "application dns.packets out": 2, "application dns.bytes out": 40}
    class_step("lying UDP lengths",
               lambda: py("vle", LYING_UDP, "10.0.1.1", "10.0.1.2",
                          "fd01::2"),
               add(e, frames("e0", 3, 0, {"ipv4": (2, 0), "ipv6": (1, 0)})),
               add(mirror(e), frames("f0", 0, 3,
                                     {"ipv4": (0, 2), "ipv6": (0, 1)})))


OTHER_ICMP = r"""
import socket, sys
# ICMPv6's number in IPv4, ICMP's in IPv6.
for fam, dst, proto in ((socket.AF_INET, sys.argv[1], 58),
                        (socket.AF_INET6, sys.argv[2], 1)):
    s = socket.socket(fam, socket.SOCK_RAW, proto)
    s.sendto(b"\x80" + b"z" * 19, (dst, 0))
"""


def mirror(e):
    """The rows of E seen from the other end: in and out swapped."""
    f = {}
    for k, v in e.items():
        layer, key, col = k.split()
        f[f"{layer} {key} {'in' if col == 'out' else 'out'}"] = v
    return f


def test_icmp_of_the_other_family():
    """Protocol 58 in IPv4 is proto.58, next header 1 in IPv6 proto.1."""
    # The first byte, 128, would be an ICMPv6 echo request.  Neither has
    # a handler: IPv4 answers protocol unreachable, IPv6 parameter problem.
    e = {"internet ipv4.packets out": 1, "internet ipv4.bytes out": 40,
         "internet ipv6.packets out": 1, "internet ipv6.bytes out": 60,
         "transport proto.58 out": 1, "transport proto.1 out": 1,
         "internet ipv4.packets in": 1, "internet ipv4.bytes in": 68,
         "internet icmp.unreachable in": 1,
         "internet ipv6.packets in": 1, "internet ipv6.bytes in": 108,
         "internet icmpv6.other in": 1,
         "internet remote.private out": 2, "internet remote.private in": 2}
    eth = {"ipv4": (1, 1), "ipv6": (1, 1)}
    class_step("ICMP of the other family",
               lambda: py("vle", OTHER_ICMP, "10.0.1.2", "fd01::2"),
               add(e, frames("e0", 2, 2, eth)),
               add(mirror(e), frames("f0", 2, 2, eth)))


UDP_FROM = r"""
import socket, sys
# To DST, PORT from port SPORT (0: any): N datagrams of SIZE bytes.
dst = sys.argv[1]
port, sport, n, size = map(int, sys.argv[2:6])
s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET,
                  socket.SOCK_DGRAM)
s.bind(("", sport))
for _ in range(n):
    s.sendto(b"u" * size, (dst, port))
"""


def test_port_classes_and_icmpv6_unreachable():
    """Ports below 1024 and from 49152 on; a closed IPv6 port."""
    c = Check()

    def dns_and_dynamic():
        rx = (server("vlf", UDP_RECEIVER, "53", "2"),
              server("vlf", UDP_RECEIVER, "50001", "3"))
        py("vle", UDP_FROM, "10.0.1.2", "53", "50053", "2", "20")
        py("vle", UDP_FROM, "10.0.1.2", "50001", "50000", "3", "30")
        for p in rx:
            p.wait(timeout=30)
    # A port range is the lower port's: 53 well known, 50000 dynamic.
    e = {"internet ipv4.packets out": 5,
         "internet ipv4.bytes out": 5 * (20 + 8) + 2 * 20 + 3 * 30,
         "internet remote.private out": 5,
         "transport udp.datagrams out": 5,
         "transport udp.payload_bytes out": 2 * 20 + 3 * 30,
         "transport port.well_known out": 2, "transport port.dynamic out": 3,
         "application dns.packets out": 2, "application dns.bytes out": 40,
         "application other.packets out": 3,
         "application other.bytes out": 90}
    step(c, "UDP to port 53, and from port 50000 to 50001", dns_and_dynamic,
         {"vle": add(e, frames("e0", 5, 0)),
          "vlf": add(mirror(e), frames("f0", 0, 5))})
    # Nobody on UDP port 7779 of fd01::2: a port unreachable comes back,
    # quoting the 58 bytes of the datagram.
    e = {"internet ipv6.packets out": 1, "internet ipv6.bytes out": 58,
         "transport udp.datagrams out": 1,
         "transport udp.payload_bytes out": 10,
         "transport port.registered out": 1,
         "application other.packets out": 1,
         "application other.bytes out": 10,
         "internet ipv6.packets in": 1, "internet ipv6.bytes in": 48 + 58,
         "internet icmpv6.unreachable in": 1,
         "internet remote.private out": 1, "internet remote.private in": 1}
    eth = {"ipv6": (1, 1)}
    step(c, "UDP to a closed IPv6 port",
         lambda: py("vle", UDP_FROM, "fd01::2", "7779", "0", "1", "10"),
         {"vle": add(e, frames("e0", 1, 1, eth)),
          "vlf": add(mirror(e), frames("f0", 1, 1, eth))})
    c.done()


PACKET_SENDER = r"""
import socket, sys
dst, src = (bytes.fromhex(m.replace(":", "")) for m in sys.argv[2:4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
# Declared IPv4 (sll_protocol), but the frame's own ethertype is 0x88b5.
s.sendto(dst + src + b"\x88\xb5" + b"v" * 46, (sys.argv[1], 0x0800))
"""


def test_link_ethertype_from_the_frame():
    """Egress counts the frame's own ethertype, not the declared one."""
    class_step("AF_PACKET frame of ethertype 0x88b5 declared IPv4",
               lambda: py("vle", PACKET_SENDER, "e0", mac("vlf", "f0"),
                          mac("vle", "e0")),
               add(frames("e0", 1, 0, {"other": (1, 0)}),
                   {"e0 other.bytes out": 60, "e0 ipv4.bytes out": 0}),
               add(frames("f0", 0, 1, {"other": (0, 1)}),
                   {"f0 other.bytes in": 60, "f0 ipv4.bytes in": 0}))


def test_service_names():
    """Names of exactly a-z, 0-9, '-'; VALLEY_SERVICES_MAX (32) of them."""
    netns("vls")
    c = Check()
    bad_names = (b"caf\xe9", b"\xdf", b"a\xff", b"Api", b"a_b")
    for i, bad in enumerate(bad_names):
        p = run(VSTAT, "service", "add", str(7100 + i), os.fsdecode(bad),
                ns="vls", check=False)
        c.eq(f"name {bad!r} refused", p.returncode != 0, True)
        c.eq(f"name {bad!r}: the message", "a service name is a-z, 0-9 and "
             "'-'" in p.stderr, True)
    c.done()
    c.eq("no name added", len(json.loads(vstat("--json", "service", "list",
                                               ns="vls").stdout)), 18)
    # The defaults name 10 services: 22 more make 32, a 33rd is refused.
    for i in range(22):
        p = run(VSTAT, "service", "add", str(41000 + i), f"svc{i}", ns="vls",
                check=False)
        c.eq(f"service {11 + i} (svc{i}) added: {p.stderr.strip()}",
             p.returncode, 0)
    p = run(VSTAT, "service", "add", "41100", "one-too-many", ns="vls",
            check=False)
    c.eq("the 33rd name refused", p.returncode != 0, True)
    c.eq("the 33rd name: the message", "the service table is full" in
         p.stderr, True)
    # The 32nd counts: a datagram over lo to its port, out and in.
    rx = server("vls", UDP_RECEIVER, "41021", "1")
    py("vls", UDP_SENDER, "127.0.0.1", "41021", "1", "30")
    rx.wait(timeout=30)
    rows = Rows("vls")
    for col in ("in", "out"):
        c.eq(f"svc21.packets {col}", rows.get("application", "svc21.packets",
                                              col), 1)
        c.eq(f"svc21.bytes {col}", rows.get("application", "svc21.bytes",
                                            col), 30)
    run("ip", "netns", "del", "vls")
    c.done()


def test_service_table():
    """A service added at run time counts what goes to its port."""
    vstat("service", "add", "7777", "api", ns="vlb")
    vstat("reset", ns="vlb")
    vstat("reset", ns="vla")
    rx = server("vlb", UDP_RECEIVER, "7777", "2")
    py("vla", UDP_SENDER, "10.0.1.2", "7777", "2", "50")
    rx.wait(timeout=30)
    a, b = Rows("vla"), Rows("vlb")
    c = Check()
    c.eq("b api.packets in", b.get("application", "api.packets", "in"), 2)
    c.eq("b api.bytes in", b.get("application", "api.bytes", "in"), 100)
    c.eq("b other.packets in", b.get("application", "other.packets", "in"), 0)
    c.eq("a other.packets out", a.get("application", "other.packets", "out"),
         2)
    if ("application", None, "api.packets") in a.rows:
        c.bad.append("the service leaked into another namespace")
    svcs = json.loads(vstat("--json", "service", "list", ns="vlb").stdout)
    c.eq("listed", {"port": 7777, "service": "api"} in svcs, True)
    vstat("service", "del", "7777", ns="vlb")
    c.eq("deleted", "api.packets" in vstat("layers", ns="vlb").stdout, False)
    c.done()


LINK_KEYS = ["frames", "bytes", "ipv4.frames", "ipv4.bytes", "ipv6.frames",
             "ipv6.bytes", "arp.frames", "arp.bytes", "other.frames",
             "other.bytes", "unicast.frames", "unicast.bytes",
             "broadcast.frames", "broadcast.bytes", "multicast.frames",
             "multicast.bytes"]


def test_layers_of_one_interface():
    """vstat layers dev X: X's link rows, none of another interface's."""
    # vla has lo and a0 (from test_two_hosts); two more, a1 and a2, down.
    run("ip", "link", "add", "a1", "netns", "vla", "type", "veth", "peer",
        "name", "a2", "netns", "vla")
    try:
        vstat("reset", ns="vla")
        ping("vla", "-c", "1", "127.0.0.1")
        ping("vla", "-c", "2", "10.0.1.2")
        index = {i["ifname"]: i["ifindex"] for i in json.loads(
            run("ip", "-n", "vla", "-j", "link", "show").stdout)}
        c = Check()
        # A kernel with sit built in adds sit0 to every namespace.
        c.eq("vla's interfaces", sorted(set(index) - {"sit0"}),
             ["a0", "a1", "a2", "lo"])
        full = Rows("vla")
        for dev in ("a0", "lo", "a2"):
            rows = json.loads(vstat("--json", "layers", "dev", dev,
                                    ns="vla").stdout)
            c.eq(f"dev {dev}: the rows' (layer, ifname, ifindex)",
                 sorted({(r["layer"], r.get("ifname"), r.get("ifindex"))
                         for r in rows}), [("link", dev, index[dev])])
            c.eq(f"dev {dev}: the keys", [r["key"] for r in rows], LINK_KEYS)
            for r in rows:
                for col in ("in", "out"):
                    c.eq(f"dev {dev} {r['key']} {col} == the full dump's",
                         r[col], full.get("link", r["key"], col, dev))
        c.eq("dev a0 frames out", full.get("link", "frames", "out", "a0"), 2)
        c.eq("dev lo frames out", full.get("link", "frames", "out", "lo"), 2)
        # The text: one interface's heading, a0's.
        text = vstat("layers", "dev", "a0", ns="vla").stdout
        c.eq("vstat layers dev a0: the interfaces shown",
             [ln.split()[0] for ln in text.splitlines()
              if ln.split()[1:] == ["ingress", "egress"]], ["a0"])
        c.done()
    finally:
        run("ip", "-n", "vla", "link", "del", "a1", check=False)


def test_service_slot_taken_again():
    """A service's slot, freed and taken by another, counts from zero."""
    # No reset here: the slot that test_service_table's "api" had (and
    # counted in) is taken by alpha, freed, and taken by beta.
    c = Check()

    def send(n, size):
        rx = server("vlb", UDP_RECEIVER, "7790", str(n))
        py("vla", UDP_SENDER, "10.0.1.2", "7790", str(n), str(size))
        rx.wait(timeout=30)
    vstat("service", "add", "7790", "alpha", ns="vlb")
    send(3, 40)
    b = Rows("vlb")
    c.eq("alpha.packets in", b.get("application", "alpha.packets", "in"), 3)
    c.eq("alpha.bytes in", b.get("application", "alpha.bytes", "in"), 120)
    vstat("service", "del", "7790", ns="vlb")
    vstat("service", "add", "7790", "beta", ns="vlb")
    send(2, 25)
    b = Rows("vlb")
    for col, packets, size in (("in", 2, 50), ("out", 0, 0)):
        c.eq(f"beta.packets {col}", b.get("application", "beta.packets",
                                          col), packets)
        c.eq(f"beta.bytes {col}", b.get("application", "beta.bytes", col),
             size)
    c.eq("alpha listed after its delete",
         ("application", None, "alpha.packets") in b.rows, False)
    vstat("service", "del", "7790", ns="vlb")
    c.done()


def test_router():
    netns("vlh1", "vlr", "vlh2")
    link("vlh1", "h0", "vlr", "r1")
    link("vlr", "r2", "vlh2", "h0")
    addr("vlh1", "h0", "10.0.1.1/24", "fd01::1/64")
    addr("vlr", "r1", "10.0.1.254/24", "fd01::fe/64")
    addr("vlr", "r2", "10.0.2.254/24", "fd02::fe/64")
    addr("vlh2", "h0", "10.0.2.1/24", "fd02::1/64")
    run("sysctl", "-qw", "net.ipv4.ip_forward=1", ns="vlr")
    run("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", ns="vlr")
    for h, gw4, gw6 in (("vlh1", "10.0.1.254", "fd01::fe"),
                        ("vlh2", "10.0.2.254", "fd02::fe")):
        run("ip", "-n", h, "route", "add", "default", "via", gw4)
        run("ip", "-n", h, "-6", "route", "add", "default", "via", gw6)
    for ns, dev, ip4, ip6, pns, pdev in (
            ("vlh1", "h0", "10.0.1.254", "fd01::fe", "vlr", "r1"),
            ("vlr", "r1", "10.0.1.1", "fd01::1", "vlh1", "h0"),
            ("vlr", "r2", "10.0.2.1", "fd02::1", "vlh2", "h0"),
            ("vlh2", "h0", "10.0.2.254", "fd02::fe", "vlr", "r2")):
        neigh(ns, dev, ip4, mac(pns, pdev))
        neigh(ns, dev, ip6, mac(pns, pdev))
    settle("vlh1", "vlr", "vlh2")

    run("ping", "-q", "-c", "4", "-i", "0.2", "-W", "2", "10.0.2.1",
        ns="vlh1")
    run("ping", "-q", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fd02::1",
        ns="vlh1")
    time.sleep(0.2)
    r, h2 = Rows("vlr"), Rows("vlh2")
    c = Check()
    I = "internet"
    c.eq("r ipv4.packets forwarded", r.get(I, "ipv4.packets", "forwarded"), 8)
    c.eq("r ipv4.bytes forwarded", r.get(I, "ipv4.bytes", "forwarded"),
         8 * ICMP4_ECHO)
    c.eq("r ipv6.packets forwarded", r.get(I, "ipv6.packets", "forwarded"), 4)
    c.eq("r icmp.echo_request forwarded",
         r.get(I, "icmp.echo_request", "forwarded"), 4)
    c.eq("r icmp.echo_reply forwarded",
         r.get(I, "icmp.echo_reply", "forwarded"), 4)
    c.eq("r icmpv6.echo_request forwarded",
         r.get(I, "icmpv6.echo_request", "forwarded"), 2)
    c.eq("r remote.private forwarded",
         r.get(I, "remote.private", "forwarded"), 12)
    for col in ("in", "out"):
        c.eq(f"r ipv4.packets {col}", r.get(I, "ipv4.packets", col), 0)
        c.eq(f"r ipv6.packets {col}", r.get(I, "ipv6.packets", col), 0)
    c.eq("r1 frames in", r.get("link", "frames", "in", "r1"), 6)
    c.eq("r1 frames out", r.get("link", "frames", "out", "r1"), 6)
    c.eq("r2 frames out", r.get("link", "frames", "out", "r2"), 6)
    c.eq("r2 bytes out", r.get("link", "bytes", "out", "r2"),
         4 * (ICMP4_ECHO + ETH) + 2 * (ICMP6_ECHO + ETH))
    c.eq("h2 icmp.echo_request in", h2.get(I, "icmp.echo_request", "in"), 4)
    c.eq("h2 icmp.echo_reply out", h2.get(I, "icmp.echo_reply", "out"), 4)
    c.eq("h2 forwarded", h2.get(I, "ipv4.packets", "forwarded"), 0)
    c.done()

    router_fragments()


def router_fragments():
    """3008 bytes of ICMP each way, in 3 fragments that the router
    forwards one by one: each counts, the ICMP type at the first."""
    vstat("reset", ns="vlr")
    ping("vlh1", "-c", "1", "-s", "3000", "10.0.2.1")
    ping("vlh1", "-6", "-c", "1", "-s", "3000", "fd02::1")
    time.sleep(0.3)
    c = Check()
    eth = {"ipv4": (3, 3), "ipv6": (3, 3)}
    check_rows(c, "vlr", add(
        {"internet fragments in": 12,
         "internet ipv4.packets forwarded": 6,
         "internet ipv4.bytes forwarded": 2 * (1500 + 1500 + 68),
         "internet ipv6.packets forwarded": 6,
         "internet ipv6.bytes forwarded": 2 * (1496 + 1496 + 160),
         "internet icmp.echo_request forwarded": 1,
         "internet icmp.echo_reply forwarded": 1,
         "internet icmpv6.echo_request forwarded": 1,
         "internet icmpv6.echo_reply forwarded": 1,
         "internet remote.private forwarded": 12},
        frames("r1", 6, 6, eth), frames("r2", 6, 6, eth)))
    c.done()


def test_router_time_exceeded():
    """ping -t 1 through the router: it answers time exceeded."""
    # The router drops the request before FORWARD, and answers from r1's
    # address with the headers and the packet it got: 20 + 8 + 84 bytes
    # (IPv6: 40 + 8 + 104).  Nothing reaches vlh2.
    c = Check()
    for v6, ip, icmp, echo in ((False, "ipv4", "icmp", ICMP4_ECHO),
                               (True, "ipv6", "icmpv6", ICMP6_ECHO)):
        err = (40 if v6 else 20) + 8 + echo
        h1 = {f"internet {ip}.packets out": 1,
              f"internet {ip}.bytes out": echo,
              f"internet {icmp}.echo_request out": 1,
              f"internet {ip}.packets in": 1,
              f"internet {ip}.bytes in": err,
              f"internet {icmp}.time_exceeded in": 1,
              "internet remote.private out": 1,
              "internet remote.private in": 1}
        r = {f"internet {ip}.packets out": 1,
             f"internet {ip}.bytes out": err,
             f"internet {icmp}.time_exceeded out": 1,
             "internet remote.private out": 1}
        eth = {ip: (1, 1)}
        step(c, f"{ip} ping -t 1 to vlh2",
             lambda: run("ping", *(("-6",) if v6 else ()), "-c", "1", "-t",
                         "1", "-W", "2", "fd02::1" if v6 else "10.0.2.1",
                         ns="vlh1", check=False),
             {"vlh1": add(h1, frames("h0", 1, 1, eth)),
              "vlr": add(r, frames("r1", 1, 1, eth)), "vlh2": {}})
    c.done()


NFT_CT = """
table inet valley_ct {
    chain forward {
        type filter hook forward priority 0;
        ct state established,related,new accept
    }
}
"""


def test_router_fragments_with_conntrack():
    """Conntrack on the router reassembles: still each fragment counts."""
    p = run("nft", "-f", "-", ns="vlr", stdin=NFT_CT, check=False)
    if p.returncode:
        if run("modprobe", "-q", "nf_conntrack", check=False).returncode:
            raise KsftSkipEx("no conntrack in this kernel")
        raise KsftFailEx(f"nft: {p.stderr.strip()}")
    try:
        router_fragments()
    finally:
        run("nft", "delete", "table", "inet", "valley_ct", ns="vlr",
            check=False)


def test_namespaces_isolated():
    """Traffic in other namespaces never shows in this one's counters."""
    vstat("reset")
    run("ping", "-q", "-c", "2", "-i", "0.2", "-W", "2", "10.0.1.2",
        ns="vla")
    rows = Rows(None)
    c = Check()
    for (layer, dev, key), r in rows.rows.items():
        for col in ("in", "out", "forwarded"):
            c.eq(f"{layer} {dev or ''} {key} {col}", r.get(col, 0), 0)
    c.eq("vla's echo requests", Rows("vla").get(
        "internet", "icmp.echo_request", "out") >= 2, True)
    c.done()


def gone(ns, dev, timeout=30):
    """Wait until DEV is no more in NS (a namespace goes in the
    background, its veth peers with it); False if it stays."""
    end = time.monotonic() + timeout
    while not run("ip", "-n", ns, "link", "show", dev,
                  check=False).returncode:
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


def test_devices_and_namespaces_go_under_traffic():
    """Interfaces and namespaces deleted while packets flow: no trace."""
    c = Check()
    for i in range(4):
        netns("vlc", "vld")
        link("vlc", "c0", "vld", "d0")
        addr("vlc", "c0", "10.0.3.1/24", "fd03::1/64")
        addr("vld", "d0", "10.0.3.2/24", "fd03::2/64")
        # Until its carrier is seen (linkwatch, up to a second) c0 sends
        # nothing: one answered ping first.
        run("ping", "-q", "-c", "1", "-W", "5", "10.0.3.2", ns="vlc")
        flood = subprocess.Popen(("ip", "netns", "exec", "vlc", "ping", "-q",
                                  "-i", "0.002", "-w", "5", "10.0.3.2"),
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            # Traffic flows, both ways, right before the deletion: wait
            # (as lib.sh's busywait, up to 10 s: the flood takes a while
            # to start in a guest on a loaded host) until c0's frames
            # rise past a first reading in both directions.
            first = Rows("vlc")
            for _ in range(100):
                time.sleep(0.1)
                second = Rows("vlc")
                if all(first.get("link", "frames", col, "c0") <
                       second.get("link", "frames", col, "c0")
                       for col in ("out", "in")):
                    break
            for col in ("out", "in"):
                f, s = (r.get("link", "frames", col, "c0")
                        for r in (first, second))
                if not 0 < f < s:
                    c.bad.append(f"round {i}: c0 frames {col} not rising "
                                 f"before the deletion: {f}, then {s}")
            what = "c0" if i % 2 else "namespace vld"
            if i % 2:
                run("ip", "-n", "vlc", "link", "del", "c0")
            run("ip", "netns", "del", "vld")
            if not gone("vlc", "c0"):
                c.bad.append(f"round {i}: c0 still in vlc 30 s after "
                             f"deleting {what}")
            # vstat reads vlc without an error, and lists the interfaces
            # left: lo (and sit0, where the kernel has sit built in).
            rows = Rows("vlc")
            devs = sorted({dev for layer, dev, _ in rows.rows
                           if layer == "link"})
            left = sorted(i["ifname"] for i in json.loads(
                run("ip", "-n", "vlc", "-j", "link", "show").stdout))
            c.eq(f"round {i}: vlc's interfaces after deleting {what}", devs,
                 left)
            c.eq(f"round {i}: c0 in vlc's dump after deleting {what}",
                 "c0" in devs, False)
        finally:
            flood.kill()
            flood.wait()
            run("ip", "netns", "del", "vlc")
    c.done()


NFT_KEEP_KEYS = """
table inet valley_keys {
    chain c_pre { type filter hook prerouting priority 0; }
    chain c_input { type filter hook input priority 0; }
    chain c_output { type filter hook output priority 0; }
    chain c_forward { type filter hook forward priority 0; }
}
table netdev valley_keys {
    chain c_ingress { type filter hook ingress device "lo" priority 0; }
    chain c_egress { type filter hook egress device "lo" priority 0; }
}
"""


def test_rmmod_under_traffic():
    """rmmod and insmod, 100 times, while packets cross two namespaces."""
    ko = os.environ.get("VALLEY_KO")
    if not ko:
        raise KsftSkipEx("VALLEY_KO is not set")
    # Under QEMU's TCG, patching kernel text (the static keys that turn
    # hooks on and off) while another vCPU runs it can oops on the int3
    # the patching uses.  Hooks that stay keep the keys on; valley's come
    # and go beside them.
    run("nft", "-f", "-", stdin=NFT_KEEP_KEYS)
    pings = subprocess.Popen(("ip", "netns", "exec", "vla", "ping", "-q",
                              "-i", "0.002", "-w", "600", "10.0.1.2"),
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        for i in range(100):
            run("rmmod", "valley")
            run("insmod", ko)
    finally:
        pings.kill()
        pings.wait()
        run("nft", "delete", "table", "inet", "valley_keys", check=False)
        run("nft", "delete", "table", "netdev", "valley_keys", check=False)
    # Loaded again, counting again.
    run("ping", "-q", "-c", "1", "-W", "2", "10.0.1.2", ns="vla")
    c = Check()
    c.eq("echo requests after the loop",
         Rows("vla").get("internet", "icmp.echo_request", "out") >= 1, True)
    c.done()


def main():
    tests = [test_two_hosts, test_service_table,
             test_service_slot_taken_again, test_layers_of_one_interface,
             test_router, test_router_fragments_with_conntrack,
             test_router_time_exceeded,
             test_fragments_and_protocols, test_remote_classes,
             test_udp_length_never_more_than_the_packet,
             test_icmp_of_the_other_family,
             test_port_classes_and_icmpv6_unreachable,
             test_link_ethertype_from_the_frame,
             test_service_names,
             test_namespaces_isolated,
             test_devices_and_namespaces_go_under_traffic,
             test_rmmod_under_traffic]
    try:
        ksft_run(tests)
    finally:
        for n in ("vla", "vlb", "vlh1", "vlr", "vlh2", "vle", "vlf", "vlc",
                  "vld", "vls"):
            run("ip", "netns", "del", n, check=False)
    ksft_exit()


if __name__ == "__main__":
    main()
