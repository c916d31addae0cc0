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
# Runs on the net selftests' library of linux-source-6.12 (tests/ksft.sh,
# valley_net.py); output is KTAP.  A topology is made by the first test
# that needs it (which counts from the zeros settle() checked) and serves
# the later ones (which reset the counters they read); all go at the end
# of the run.

import ctypes
import json
import os
import platform
import time

from valley_net import (Hosts, addr, ifstats, ip, libc, link, links, mac,
                        neigh, netns, nft, py, py_bkg, run, run_bkg, snmp,
                        sysctl, vstat)
# net/lib/py, which valley_net puts on the path.
from lib.py import (KsftFailEx, KsftSkipEx, defer, ksft_busy_wait,
                    ksft_eq, ksft_exit, ksft_ge, ksft_in, ksft_ne, ksft_pr,
                    ksft_run, ksft_true, wait_port_listen)

ETH = 14                        # Ethernet header
ICMP4_ECHO = 20 + 8 + 56        # ping's default packet
ICMP6_ECHO = 40 + 8 + 56

# Topologies shared by the tests, by builder (shared()).
TOPOLOGIES = {}


def shared(build):
    """BUILD()'s topology: made by the first test that asks, the same
    one for the later tests; deleted at the end of the run (main)."""
    if build not in TOPOLOGIES:
        TOPOLOGIES[build] = build()
    return TOPOLOGIES[build]


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


def settle(*names):
    """Let IPv6's joins go out, then count from zero: nothing may move.
    (The joins are the kernel's own timers: nothing to wait on but time.)"""
    time.sleep(0.5)
    for n in names:
        vstat("reset", ns=n)
    time.sleep(0.3)
    for n in names:
        rows = Rows(n)
        for (layer, dev, key), r in rows.rows.items():
            for col in ("in", "out", "forwarded"):
                ksft_eq(r.get(col, 0), 0,
                        f"{n} {layer} {dev or ''} {key} {col} at rest")


def two_hosts():
    """a (a0: 10.0.1.1, fd01::1) and b (b0: 10.0.1.2, fd01::2)."""
    h = Hosts("a0", "b0", ("10.0.1.1/24", "fd01::1/64"),
              ("10.0.1.2/24", "fd01::2/64"))
    settle(h.a, h.b)
    return h


UDP_RECEIVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(60)
s.bind(("0.0.0.0", int(sys.argv[1])))
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
l.settimeout(60)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(1)
c, _ = l.accept()
c.settimeout(60)
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


def server(ns, proto, code, port, *args):
    """CODE in the background in NS, once its socket is on PORT: with
    server(...) as srv, waited for at the block's end (the servers give
    up after 60 s without a peer)."""
    srv = py_bkg(ns, code, port, *args)
    wait_port_listen(port, proto, ns=ns, sleep=0.05, deadline=60)
    return srv


def udp_exchange(rx_ns, tx_ns, dst, port, n, size):
    """N datagrams of SIZE bytes from TX_NS to a receiver in RX_NS."""
    with server(rx_ns, "udp", UDP_RECEIVER, port, n):
        py(tx_ns, UDP_SENDER, dst, port, n, size)


TCP_BYTES = 100000


def two_hosts_traffic(h):
    run("ping", "-q", "-c", "3", "-i", "0.2", "-W", "2", "10.0.1.2",
        ns=h.a)
    run("ping", "-q", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fd01::2",
        ns=h.a)
    udp_exchange(h.b, h.a, "10.0.1.2", 7777, 5, 100)
    # Nobody on 7778: one datagram, one port unreachable back.
    py(h.a, UDP_SENDER, "10.0.1.2", 7778, 1, 10)
    with server(h.b, "tcp", TCP_SERVER, 8888) as srv:
        mss = int(py(h.a, TCP_CLIENT, "10.0.1.2", 8888, TCP_BYTES).stdout)
    ksft_eq(int(srv.stdout), TCP_BYTES, "the bytes the TCP server got")
    # The last ACK of the close may still be on its way: no event says
    # when it has arrived.
    time.sleep(0.3)
    return mss


def kernel_counters(h):
    """What the kernel itself counted in a and b: TCP and a0/b0."""
    return {"a": snmp(h.a)["Tcp"], "b": snmp(h.b)["Tcp"],
            "a0": ifstats(h.a, "a0"), "b0": ifstats(h.b, "b0")}


def test_two_hosts():
    h = shared(two_hosts)
    k0 = kernel_counters(h)
    mss = two_hosts_traffic(h)
    k1 = kernel_counters(h)
    a, b = Rows(h.a), Rows(h.b)
    I, T, A = "internet", "transport", "application"

    # What one side sent, the other received: every row, both ways.
    for (layer, dev, key), r in a.rows.items():
        if layer == "link":
            continue
        ksft_eq(r["out"], b.get(layer, key, "in"), f"{key} a.out == b.in")
        ksft_eq(r["in"], b.get(layer, key, "out"), f"{key} a.in == b.out")
        ksft_eq(r["forwarded"], 0, f"{key} a.forwarded")
    for key in ("frames", "bytes", "ipv4.frames", "ipv6.frames",
                "unicast.frames", "multicast.frames", "arp.frames"):
        ksft_eq(a.get("link", key, "out", "a0"),
                b.get("link", key, "in", "b0"),
                f"a0 {key} egress == b0 ingress")
        ksft_eq(a.get("link", key, "in", "a0"),
                b.get("link", key, "out", "b0"),
                f"a0 {key} ingress == b0 egress")

    # Exact counts of what the test sent.
    ksft_eq(a.get(I, "icmp.echo_request", "out"), 3, "icmp.echo_request out")
    ksft_eq(a.get(I, "icmp.echo_reply", "in"), 3, "icmp.echo_reply in")
    ksft_eq(a.get(I, "icmp.unreachable", "in"), 1, "icmp.unreachable in")
    ksft_eq(a.get(I, "icmp.echo_request", "in"), 0, "icmp.echo_request in")
    ksft_eq(a.get(I, "icmpv6.echo_request", "out"), 2,
            "icmpv6.echo_request out")
    ksft_eq(a.get(I, "icmpv6.echo_reply", "in"), 2, "icmpv6.echo_reply in")
    ksft_eq(a.get(I, "icmpv6.neighbour", "out") +
            a.get(I, "icmpv6.neighbour", "in"), 0, "icmpv6.neighbour")
    ksft_eq(a.get(I, "ipv6.packets", "out"), 2, "ipv6.packets out")
    ksft_eq(a.get(I, "ipv6.bytes", "out"), 2 * ICMP6_ECHO, "ipv6.bytes out")
    ksft_eq(a.get(I, "ipv6.bytes", "in"), 2 * ICMP6_ECHO, "ipv6.bytes in")
    ksft_eq(a.get(T, "udp.datagrams", "out"), 6, "udp.datagrams out")
    ksft_eq(a.get(T, "udp.payload_bytes", "out"), 5 * 100 + 10,
            "udp.payload_bytes out")
    ksft_eq(a.get(T, "udp.datagrams", "in"), 0, "udp.datagrams in")
    ksft_eq(a.get(T, "tcp.payload_bytes", "out"), TCP_BYTES,
            "tcp.payload_bytes out")
    ksft_eq(a.get(T, "tcp.payload_bytes", "in"), 0, "tcp.payload_bytes in")
    ksft_eq(a.get(T, "tcp.syn", "out"), 1, "tcp.syn out")
    ksft_eq(a.get(T, "tcp.syn_ack", "in"), 1, "tcp.syn_ack in")
    ksft_eq(a.get(T, "tcp.fin", "out"), 1, "tcp.fin out")
    ksft_eq(a.get(T, "tcp.fin", "in"), 1, "tcp.fin in")
    ksft_eq(a.get(T, "tcp.rst", "out") + a.get(T, "tcp.rst", "in"), 0,
            "tcp.rst")
    tcp_out = a.get(T, "tcp.segments", "out")
    tcp_in = a.get(T, "tcp.segments", "in")
    data_out = a.get(T, "tcp.data", "out")

    # The witness: the kernel's own TCP counters, read right before and
    # after the traffic.  OutSegs counts every segment a GSO packet
    # stands for (tcp_skb_pcount()), RetransSegs the segments sent again;
    # InSegs counts packets as they reach TCP: in a only acks, SYN-ACK
    # and FIN, never merged, so segments; in b the packets of data as
    # veth passed them, GSO and all.  The link layer has the same witness:
    # a0's own tx_packets counts packets, GSO or not, and tx_bytes their
    # bytes without the headers of the segments that GSO leaves out.
    def delta(what, key, d=None):
        if d:
            return k1[what][d][key] - k0[what][d][key]
        return k1[what][key] - k0[what][key]
    sent = delta("a", "OutSegs") + delta("a", "RetransSegs")
    sent_b = delta("b", "OutSegs") + delta("b", "RetransSegs")
    packets_b = delta("b", "InSegs")
    tx_packets = delta("a0", "packets", "tx")
    tx_bytes = delta("a0", "bytes", "tx")
    print(f"# two hosts: TCP {tcp_out} segments out ({data_out} with data), "
          f"{tcp_in} in; the kernel: OutSegs+RetransSegs {sent} in a, "
          f"InSegs {packets_b} in b, MSS {mss}; a0 "
          f"{a.get('link', 'frames', 'out', 'a0')} frames out "
          f"({tx_packets} packets), {a.get('link', 'bytes', 'out', 'a0')} "
          f"bytes ({tx_bytes})")
    ksft_eq(tcp_out, sent,
            "tcp.segments out == a's Tcp OutSegs + RetransSegs")
    ksft_eq(tcp_in, delta("a", "InSegs"),
            "tcp.segments in == a's Tcp InSegs")
    ksft_eq(b.get(T, "tcp.segments", "out"), sent_b,
            "b tcp.segments out == b's Tcp OutSegs + RetransSegs")
    # Payload and MSS: no segment carries more than an MSS.
    ksft_true(-(-TCP_BYTES // mss) <= data_out <= sent - 1,
              f"tcp.data out {data_out}: between {TCP_BYTES} / MSS {mss} "
              f"and {sent} segments - SYN")
    # A segment carries data, or is a SYN, SYN-ACK, FIN or pure ACK.
    ksft_eq(tcp_in, a.get(T, "tcp.pure_ack", "in") + 1 + 1,
            "tcp.segments in = pure acks + syn-ack + fin")

    # The internet layer holds exactly those.
    ksft_eq(a.get(I, "ipv4.packets", "out"), 3 + 6 + sent, "ipv4.packets out")
    ksft_eq(a.get(I, "ipv4.packets", "in"), 3 + 1 + delta("a", "InSegs"),
            "ipv4.packets in")
    ksft_eq(a.get(I, "remote.private", "out"), 3 + 6 + sent + 2,
            "remote.private out")
    ksft_eq(a.get(I, "remote.public", "out") +
            a.get(I, "remote.public", "in"), 0, "remote.public")
    ksft_eq(a.get(T, "port.registered", "out"), 6 + sent,
            "port.registered out")
    ksft_eq(a.get(A, "other.packets", "out"), 6 + data_out,
            "other.packets out")
    ksft_eq(a.get(A, "other.bytes", "out"), 510 + TCP_BYTES, "other.bytes out")

    # The link layer: the same frames with their Ethernet headers.  a0
    # sent the pings and datagrams, and the TCP packets that reached b.
    frames = a.get("link", "frames", "out", "a0")
    ksft_eq(frames, 3 + 6 + sent + 2,
            "a0 frames out == the witness's segments + 11")
    ksft_eq(tx_packets, 3 + 6 + 2 + packets_b,
            "a0 tx_packets (the kernel's) == 11 + b's InSegs")
    ksft_eq(delta("b0", "packets", "rx"), tx_packets,
            "b0 rx_packets (the kernel's) == a0 tx_packets")
    # Each segment beyond the first of a GSO packet adds the Ethernet, IP
    # and TCP headers (with timestamps, 32 bytes) that GSO copies.
    tcp_hdr = 32 if run("sysctl", "-n", "net.ipv4.tcp_timestamps",
                        ns=h.a).stdout.strip() != "0" else 20
    ksft_eq(a.get("link", "bytes", "out", "a0"),
            tx_bytes + (frames - tx_packets) * (ETH + 20 + tcp_hdr),
            "a0 bytes out == tx_bytes + the headers of the segments GSO cut")
    ksft_eq(a.get("link", "ipv4.frames", "out", "a0"), 3 + 6 + sent,
            "a0 ipv4.frames out")
    ksft_eq(a.get("link", "bytes", "out", "a0"),
            a.get(I, "ipv4.bytes", "out") + a.get(I, "ipv6.bytes", "out") +
            ETH * frames, "a0 bytes out")
    ksft_eq(a.get("link", "unicast.frames", "out", "a0"), frames,
            "a0 unicast.frames out")
    ksft_eq(a.get("link", "arp.frames", "out", "a0"), 0, "a0 arp.frames")
    ksft_eq(a.get("link", "frames", "out", "lo"), 0, "lo frames")


CLASS_ADDRS = (("10.0.1.1/24", "10.0.1.2/24"),
               ("169.254.7.1/16", "169.254.7.2/16"),
               ("198.51.100.1/24", "198.51.100.2/24"),
               ("fd01::1/64", "fd01::2/64"),
               ("2001:db8::1/64", "2001:db8::2/64"),
               ("fe80::a/64", "fe80::b/64"))


def class_hosts():
    """Two hosts, a (e0) and b (f0), with private, link-local and public
    addresses; b answers pings to a broadcast address."""
    h = Hosts("e0", "f0", [pair[0] for pair in CLASS_ADDRS],
              [pair[1] for pair in CLASS_ADDRS])
    sysctl(h.b, "net.ipv4.icmp_echo_ignore_broadcasts", 0)
    settle(h.a, h.b)
    return h


def add(*dicts):
    out = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def echoes(n, size, v6=False, req="private", rep="private"):
    """The pinger's and the responder's internet rows for N echoes of
    SIZE IP bytes; REQ and REP: the remote class of request and reply."""
    net, icmp = ("ipv6", "icmpv6") if v6 else ("ipv4", "icmp")
    common = {f"internet {net}.packets out": n,
              f"internet {net}.packets in": n,
              f"internet {net}.bytes out": n * size,
              f"internet {net}.bytes in": n * size}
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


def check_rows(ns, want, what=""):
    """Every row of the internet, transport and application layers, and
    every frame count of the link layer, is WANT's value or else 0; WHAT
    heads the message of each that is not."""
    rows = Rows(ns)
    seen = set()
    for (layer, dev, key), r in rows.rows.items():
        for col in ("in", "out", "forwarded"):
            name = f"{dev if layer == 'link' else layer} {key} {col}"
            if layer == "link" and not key.endswith("frames"):
                if name not in want:
                    continue
            seen.add(name)
            ksft_eq(r.get(col, 0), want.get(name, 0), f"{what}{ns} {name}")
    for name in sorted(set(want) - seen):
        ksft_eq(0, want[name], f"{what}{ns} {name} (no row)")


def step(what, action, wants):
    """Reset the namespaces of WANTS, run ACTION, and check each
    namespace's rows against its WANT (check_rows), after WHAT."""
    for ns in wants:
        vstat("reset", ns=ns)
    action()
    # Replies in flight (an ICMP error, the last ACK): no event to wait on.
    time.sleep(0.3)
    for ns, want in wants.items():
        check_rows(ns, want, f"{what}: ")


def class_step(what, action, e, f):
    """step() on the class hosts: E is what a must count, F b."""
    h = shared(class_hosts)
    step(what, action, {h.a: e, h.b: f})


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
    h = shared(class_hosts)
    # 3008 bytes of ICMP: IPv4 fragments carry 1480, 1480, 48 of them;
    # IPv6 fragments (with an 8-byte fragment header) 1448, 1448, 112.
    p, r = echoes(1, 20 + 3008)
    link4 = frames("e0", 3, 3)
    class_step("IPv4 fragments",
               lambda: ping(h.a, "-c", "1", "-s", "3000", "10.0.1.2"),
               add(p, {"internet fragments in": 3}, link4,
                   {"e0 bytes out": 3008 + 3 * (20 + ETH),
                    "e0 bytes in": 3008 + 3 * (20 + ETH)}),
               add(r, {"internet fragments in": 3},
                   frames("f0", 3, 3)))
    p, r = echoes(1, 40 + 3008, v6=True)
    link6 = frames("e0", 3, 3, {"ipv6": (3, 3)})
    class_step("IPv6 fragments",
               lambda: ping(h.a, "-6", "-c", "1", "-s", "3000", "fd01::2"),
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
               lambda: py(h.a, RAW_SENDER, "10.0.1.2", "fd01::2", "253",
                          "20"),
               add(e, frames("e0", 2, 2, eth)),
               add(f, frames("f0", 2, 2, eth)))


def test_remote_classes():
    """Loopback, link-local, public, broadcast and multicast peers."""
    h = shared(class_hosts)
    p4, r4 = echoes(2, ICMP4_ECHO, req="loopback", rep="loopback")
    p6, r6 = echoes(1, ICMP6_ECHO, v6=True, req="loopback", rep="loopback")
    lo_bytes = 4 * (ICMP4_ECHO + ETH) + 2 * (ICMP6_ECHO + ETH)
    class_step("loopback",
               lambda: (ping(h.a, "-c", "2", "127.0.0.1"),
                        ping(h.a, "-6", "-c", "1", "::1")),
               add(p4, r4, p6, r6,
                   frames("lo", 6, 6, {"ipv4": (4, 4), "ipv6": (2, 2)}),
                   {"lo bytes out": lo_bytes, "lo bytes in": lo_bytes}), {})
    eth = {"ipv4": (2, 2), "ipv6": (1, 1)}
    for cls, a4, a6 in (("link_local", "169.254.7.2", "fe80::b"),
                        ("public", "198.51.100.2", "2001:db8::2")):
        p4, r4 = echoes(2, ICMP4_ECHO, req=cls, rep=cls)
        p6, r6 = echoes(1, ICMP6_ECHO, v6=True, req=cls, rep=cls)
        class_step(cls,
                   lambda: (ping(h.a, "-c", "2", a4),
                            ping(h.a, "-6", "-c", "1", "-I", "e0", a6)),
                   add(p4, p6, frames("e0", 3, 3, eth)),
                   add(r4, r6, frames("f0", 3, 3, eth)))
    # A broadcast goes out as one frame to ff:ff:ff:ff:ff:ff, and a copy
    # comes back to this host's own IP stack (not through the link).
    p, r = echoes(2, ICMP4_ECHO, req="multicast")
    class_step("broadcast",
               lambda: ping(h.a, "-b", "-c", "2", "10.0.1.255"),
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
               lambda: ping(h.a, "-6", "-L", "-c", "1", "-I", "e0",
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
    h = shared(class_hosts)
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
               lambda: py(h.a, LYING_UDP, "10.0.1.1", "10.0.1.2",
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
    h = shared(class_hosts)
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
               lambda: py(h.a, OTHER_ICMP, "10.0.1.2", "fd01::2"),
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
    h = shared(class_hosts)

    def dns_and_dynamic():
        with server(h.b, "udp", UDP_RECEIVER, 53, 2), \
                server(h.b, "udp", UDP_RECEIVER, 50001, 3):
            py(h.a, UDP_FROM, "10.0.1.2", 53, 50053, 2, 20)
            py(h.a, UDP_FROM, "10.0.1.2", 50001, 50000, 3, 30)
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
    step("UDP to port 53, and from port 50000 to 50001", dns_and_dynamic,
         {h.a: add(e, frames("e0", 5, 0)),
          h.b: add(mirror(e), frames("f0", 0, 5))})
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
    step("UDP to a closed IPv6 port",
         lambda: py(h.a, UDP_FROM, "fd01::2", "7779", "0", "1", "10"),
         {h.a: add(e, frames("e0", 1, 1, eth)),
          h.b: add(mirror(e), frames("f0", 1, 1, eth))})


PACKET_SENDER = r"""
import socket, sys
dst, src = (bytes.fromhex(m.replace(":", "")) for m in sys.argv[2:4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
# Declared IPv4 (sll_protocol), but the frame's own ethertype is 0x88b5.
s.sendto(dst + src + b"\x88\xb5" + b"v" * 46, (sys.argv[1], 0x0800))
"""


def test_link_ethertype_from_the_frame():
    """Egress counts the frame's own ethertype, not the declared one."""
    h = shared(class_hosts)
    class_step("AF_PACKET frame of ethertype 0x88b5 declared IPv4",
               lambda: py(h.a, PACKET_SENDER, "e0", mac(h.b, "f0"),
                          mac(h.a, "e0")),
               add(frames("e0", 1, 0, {"other": (1, 0)}),
                   {"e0 other.bytes out": 60, "e0 ipv4.bytes out": 0}),
               add(frames("f0", 0, 1, {"other": (0, 1)}),
                   {"f0 other.bytes in": 60, "f0 ipv4.bytes in": 0}))


def test_service_names():
    """Names of exactly a-z, 0-9, '-'; VALLEY_SERVICES_MAX (32) of them."""
    with netns() as ns:
        service_names(ns)


def service_names(ns):
    bad_names = (b"caf\xe9", b"\xdf", b"a\xff", b"Api", b"a_b")
    for i, bad in enumerate(bad_names):
        p = vstat("service", "add", 7100 + i, os.fsdecode(bad), ns=ns,
                  fail=False)
        ksft_ne(p.ret, 0, f"name {bad!r} refused")
        ksft_in("a service name is a-z, 0-9 and '-'", p.stderr,
                f"name {bad!r}: the message")
    ksft_eq(len(json.loads(vstat("--json", "service", "list",
                                 ns=ns).stdout)), 18, "no name added")
    # The defaults name 10 services: 22 more make 32, a 33rd is refused.
    for i in range(22):
        p = vstat("service", "add", 41000 + i, f"svc{i}", ns=ns, fail=False)
        ksft_eq(p.ret, 0,
                f"service {11 + i} (svc{i}) added: {p.stderr.strip()}")
    p = vstat("service", "add", 41100, "one-too-many", ns=ns, fail=False)
    ksft_ne(p.ret, 0, "the 33rd name refused")
    ksft_in("the service table is full", p.stderr,
            "the 33rd name: the message")
    # The 32nd counts: a datagram over lo to its port, out and in.
    udp_exchange(ns, ns, "127.0.0.1", 41021, 1, 30)
    rows = Rows(ns)
    for col in ("in", "out"):
        ksft_eq(rows.get("application", "svc21.packets", col), 1,
                f"svc21.packets {col}")
        ksft_eq(rows.get("application", "svc21.bytes", col), 30,
                f"svc21.bytes {col}")


def test_service_table():
    """A service added at run time counts what goes to its port."""
    h = shared(two_hosts)
    vstat("service", "add", 7777, "api", ns=h.b)
    with defer(vstat, "service", "del", 7777, ns=h.b):
        vstat("reset", ns=h.b)
        vstat("reset", ns=h.a)
        udp_exchange(h.b, h.a, "10.0.1.2", 7777, 2, 50)
        a, b = Rows(h.a), Rows(h.b)
        ksft_eq(b.get("application", "api.packets", "in"), 2,
                "b api.packets in")
        ksft_eq(b.get("application", "api.bytes", "in"), 100,
                "b api.bytes in")
        ksft_eq(b.get("application", "other.packets", "in"), 0,
                "b other.packets in")
        ksft_eq(a.get("application", "other.packets", "out"), 2,
                "a other.packets out")
        ksft_true(("application", None, "api.packets") not in a.rows,
                  "the service leaked into another namespace")
        svcs = json.loads(vstat("--json", "service", "list",
                                ns=h.b).stdout)
        ksft_in({"port": 7777, "service": "api"}, svcs, "listed")
    ksft_true("api.packets" not in vstat("layers", ns=h.b).stdout,
              "deleted")


LINK_KEYS = ["frames", "bytes", "ipv4.frames", "ipv4.bytes", "ipv6.frames",
             "ipv6.bytes", "arp.frames", "arp.bytes", "other.frames",
             "other.bytes", "unicast.frames", "unicast.bytes",
             "broadcast.frames", "broadcast.bytes", "multicast.frames",
             "multicast.bytes"]


def test_layers_of_one_interface():
    """vstat layers dev X: X's link rows, none of another interface's."""
    # a has lo and a0 (two_hosts); two more, a1 and a2, down.
    h = shared(two_hosts)
    ip("link add a1 type veth peer name a2", ns=h.a)
    defer(ip, "link del a1", ns=h.a)
    vstat("reset", ns=h.a)
    ping(h.a, "-c", "1", "127.0.0.1")
    ping(h.a, "-c", "2", "10.0.1.2")
    index = links(h.a)
    # A kernel with sit built in adds sit0 to every namespace.
    ksft_eq(sorted(set(index) - {"sit0"}), ["a0", "a1", "a2", "lo"],
            "a's interfaces")
    full = Rows(h.a)
    for dev in ("a0", "lo", "a2"):
        rows = json.loads(vstat("--json", "layers", "dev", dev,
                                ns=h.a).stdout)
        ksft_eq(sorted({(r["layer"], r.get("ifname"), r.get("ifindex"))
                        for r in rows}), [("link", dev, index[dev])],
                f"dev {dev}: the rows' (layer, ifname, ifindex)")
        ksft_eq([r["key"] for r in rows], LINK_KEYS, f"dev {dev}: the keys")
        for r in rows:
            for col in ("in", "out"):
                ksft_eq(r[col], full.get("link", r["key"], col, dev),
                        f"dev {dev} {r['key']} {col} == the full dump's")
    ksft_eq(full.get("link", "frames", "out", "a0"), 2, "dev a0 frames out")
    ksft_eq(full.get("link", "frames", "out", "lo"), 2, "dev lo frames out")
    # The text: one interface's heading, a0's.
    text = vstat("layers", "dev", "a0", ns=h.a).stdout
    ksft_eq([ln.split()[0] for ln in text.splitlines()
             if ln.split()[1:] == ["ingress", "egress"]], ["a0"],
            "vstat layers dev a0: the interfaces shown")


def test_service_slot_taken_again():
    """A service's slot, freed and taken by another, counts from zero."""
    # No reset here: the slot that test_service_table's "api" had (and
    # counted in) is taken by alpha, freed, and taken by beta.
    h = shared(two_hosts)
    vstat("service", "add", 7790, "alpha", ns=h.b)
    with defer(vstat, "service", "del", 7790, ns=h.b):
        udp_exchange(h.b, h.a, "10.0.1.2", 7790, 3, 40)
        b = Rows(h.b)
        ksft_eq(b.get("application", "alpha.packets", "in"), 3,
                "alpha.packets in")
        ksft_eq(b.get("application", "alpha.bytes", "in"), 120,
                "alpha.bytes in")
    vstat("service", "add", 7790, "beta", ns=h.b)
    with defer(vstat, "service", "del", 7790, ns=h.b):
        udp_exchange(h.b, h.a, "10.0.1.2", 7790, 2, 25)
        b = Rows(h.b)
        for col, packets, size in (("in", 2, 50), ("out", 0, 0)):
            ksft_eq(b.get("application", "beta.packets", col), packets,
                    f"beta.packets {col}")
            ksft_eq(b.get("application", "beta.bytes", col), size,
                    f"beta.bytes {col}")
        ksft_true(("application", None, "alpha.packets") not in b.rows,
                  "alpha listed after its delete")


class Router:
    """h1 (h0: 10.0.1.1, fd01::1) - r (r1 | r2) - h2 (h0: 10.0.2.1,
    fd02::1): r forwards both families, each host's default route goes
    through it, and all neighbours are static."""

    def __init__(self):
        self.h1, self.r, self.h2 = netns(), netns(), netns()
        link(self.h1, "h0", self.r, "r1")
        link(self.r, "r2", self.h2, "h0")
        addr(self.h1, "h0", "10.0.1.1/24", "fd01::1/64")
        addr(self.r, "r1", "10.0.1.254/24", "fd01::fe/64")
        addr(self.r, "r2", "10.0.2.254/24", "fd02::fe/64")
        addr(self.h2, "h0", "10.0.2.1/24", "fd02::1/64")
        sysctl(self.r, "net.ipv4.ip_forward", 1)
        sysctl(self.r, "net.ipv6.conf.all.forwarding", 1)
        for h, gw4, gw6 in ((self.h1, "10.0.1.254", "fd01::fe"),
                            (self.h2, "10.0.2.254", "fd02::fe")):
            ip(f"route add default via {gw4}", ns=h)
            ip(f"-6 route add default via {gw6}", ns=h)
        for ns, dev, ip4, ip6, pns, pdev in (
                (self.h1, "h0", "10.0.1.254", "fd01::fe", self.r, "r1"),
                (self.r, "r1", "10.0.1.1", "fd01::1", self.h1, "h0"),
                (self.r, "r2", "10.0.2.1", "fd02::1", self.h2, "h0"),
                (self.h2, "h0", "10.0.2.254", "fd02::fe", self.r, "r2")):
            neigh(ns, dev, ip4, mac(pns, pdev))
            neigh(ns, dev, ip6, mac(pns, pdev))
        settle(self.h1, self.r, self.h2)

    def close(self):
        for ns in (self.h1, self.r, self.h2):
            ns.__del__()


def test_router():
    t = shared(Router)
    run("ping", "-q", "-c", "4", "-i", "0.2", "-W", "2", "10.0.2.1",
        ns=t.h1)
    run("ping", "-q", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fd02::1",
        ns=t.h1)
    # Nothing to wait for: ping ends with its last reply, which r and h2
    # counted on its way.
    r, h2 = Rows(t.r), Rows(t.h2)
    I = "internet"
    ksft_eq(r.get(I, "ipv4.packets", "forwarded"), 8,
            "r ipv4.packets forwarded")
    ksft_eq(r.get(I, "ipv4.bytes", "forwarded"), 8 * ICMP4_ECHO,
            "r ipv4.bytes forwarded")
    ksft_eq(r.get(I, "ipv6.packets", "forwarded"), 4,
            "r ipv6.packets forwarded")
    ksft_eq(r.get(I, "icmp.echo_request", "forwarded"), 4,
            "r icmp.echo_request forwarded")
    ksft_eq(r.get(I, "icmp.echo_reply", "forwarded"), 4,
            "r icmp.echo_reply forwarded")
    ksft_eq(r.get(I, "icmpv6.echo_request", "forwarded"), 2,
            "r icmpv6.echo_request forwarded")
    ksft_eq(r.get(I, "remote.private", "forwarded"), 12,
            "r remote.private forwarded")
    for col in ("in", "out"):
        ksft_eq(r.get(I, "ipv4.packets", col), 0, f"r ipv4.packets {col}")
        ksft_eq(r.get(I, "ipv6.packets", col), 0, f"r ipv6.packets {col}")
    ksft_eq(r.get("link", "frames", "in", "r1"), 6, "r1 frames in")
    ksft_eq(r.get("link", "frames", "out", "r1"), 6, "r1 frames out")
    ksft_eq(r.get("link", "frames", "out", "r2"), 6, "r2 frames out")
    ksft_eq(r.get("link", "bytes", "out", "r2"),
            4 * (ICMP4_ECHO + ETH) + 2 * (ICMP6_ECHO + ETH), "r2 bytes out")
    ksft_eq(h2.get(I, "icmp.echo_request", "in"), 4, "h2 icmp.echo_request in")
    ksft_eq(h2.get(I, "icmp.echo_reply", "out"), 4, "h2 icmp.echo_reply out")
    ksft_eq(h2.get(I, "ipv4.packets", "forwarded"), 0, "h2 forwarded")

    router_fragments(t)


def router_fragments(t):
    """3008 bytes of ICMP each way, in 3 fragments that the router
    forwards one by one: each counts, the ICMP type at the first."""
    eth = {"ipv4": (3, 3), "ipv6": (3, 3)}
    step("fragments through the router",
         lambda: (ping(t.h1, "-c", "1", "-s", "3000", "10.0.2.1"),
                  ping(t.h1, "-6", "-c", "1", "-s", "3000", "fd02::1")),
         {t.r: add(
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
             frames("r1", 6, 6, eth), frames("r2", 6, 6, eth))})


def test_router_time_exceeded():
    """ping -t 1 through the router: it answers time exceeded."""
    # The router drops the request before FORWARD, and answers from r1's
    # address with the headers and the packet it got: 20 + 8 + 84 bytes
    # (IPv6: 40 + 8 + 104).  Nothing reaches h2.
    t = shared(Router)
    for v6, net, icmp, echo in ((False, "ipv4", "icmp", ICMP4_ECHO),
                                (True, "ipv6", "icmpv6", ICMP6_ECHO)):
        err = (40 if v6 else 20) + 8 + echo
        h1 = {f"internet {net}.packets out": 1,
              f"internet {net}.bytes out": echo,
              f"internet {icmp}.echo_request out": 1,
              f"internet {net}.packets in": 1,
              f"internet {net}.bytes in": err,
              f"internet {icmp}.time_exceeded in": 1,
              "internet remote.private out": 1,
              "internet remote.private in": 1}
        r = {f"internet {net}.packets out": 1,
             f"internet {net}.bytes out": err,
             f"internet {icmp}.time_exceeded out": 1,
             "internet remote.private out": 1}
        eth = {net: (1, 1)}
        step(f"{net} ping -t 1 to h2",
             lambda: run("ping", *(("-6",) if v6 else ()), "-c", "1", "-t",
                         "1", "-W", "2", "fd02::1" if v6 else "10.0.2.1",
                         ns=t.h1, fail=False),
             {t.h1: add(h1, frames("h0", 1, 1, eth)),
              t.r: add(r, frames("r1", 1, 1, eth)), t.h2: {}})


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
    t = shared(Router)
    p = nft(NFT_CT, ns=t.r, fail=False)
    if p.ret:
        if run("modprobe", "-q", "nf_conntrack", fail=False).ret:
            raise KsftSkipEx("no conntrack in this kernel")
        raise KsftFailEx(f"nft: {p.stderr.strip()}")
    defer(run, "nft", "delete", "table", "inet", "valley_ct", ns=t.r)
    router_fragments(t)


def test_namespaces_isolated():
    """Traffic in other namespaces never shows in this one's counters."""
    h = shared(two_hosts)
    vstat("reset")
    run("ping", "-q", "-c", "2", "-i", "0.2", "-W", "2", "10.0.1.2", ns=h.a)
    rows = Rows(None)
    for (layer, dev, key), r in rows.rows.items():
        for col in ("in", "out", "forwarded"):
            ksft_eq(r.get(col, 0), 0, f"{layer} {dev or ''} {key} {col}")
    ksft_ge(Rows(h.a).get("internet", "icmp.echo_request", "out"), 2,
            "a's echo requests")


def test_devices_and_namespaces_go_under_traffic():
    """Interfaces and namespaces deleted while packets flow: no trace."""
    for i in range(4):
        with netns() as c, netns() as d:
            goes_under_traffic(i, c, d)


def goes_under_traffic(i, c, d):
    """Round I: c0 and d0 join C and D; under a flood of pings from C,
    c0 (odd rounds) and namespace D go.  The NetNS of D then finds its
    namespace gone, and so does nothing."""
    link(c, "c0", d, "d0")
    addr(c, "c0", "10.0.3.1/24", "fd03::1/64")
    addr(d, "d0", "10.0.3.2/24", "fd03::2/64")
    # Until its carrier is seen (linkwatch, up to a second) c0 sends
    # nothing: one answered ping first.
    run("ping", "-q", "-c", "1", "-W", "5", "10.0.3.2", ns=c)
    with run_bkg("ping", "-q", "-i", "0.002", "-w", "5", "10.0.3.2", ns=c,
                 exit_wait=False):
        # Traffic flows, both ways, right before the deletion: wait (up
        # to 10 s: the flood takes a while to start in a guest on a
        # loaded host) until c0's frames rise past a first reading in
        # both directions.
        first = Rows(c)
        now = [first]

        def rising():
            now[0] = Rows(c)
            return all(first.get("link", "frames", col, "c0") <
                       now[0].get("link", "frames", col, "c0")
                       for col in ("out", "in"))
        ksft_busy_wait(rising, sleep=0.1, deadline=10,
                       comment=f"round {i}: c0's frames rising")
        for col in ("out", "in"):
            f, s = (r.get("link", "frames", col, "c0")
                    for r in (first, now[0]))
            ksft_true(0 < f < s, f"round {i}: c0 frames {col} rising "
                      f"before the deletion: {f}, then {s}")
        what = "c0" if i % 2 else "namespace d"
        if i % 2:
            ip("link del c0", ns=c)
        d.__del__()
        # A namespace goes in the background, its veth peers with it.
        ksft_busy_wait(lambda: run("ip", "link", "show", "c0", ns=c,
                                   fail=False).ret,
                       sleep=0.1, deadline=30,
                       comment=f"round {i}: c0 gone after deleting {what}")
        # vstat reads c without an error, and lists the interfaces
        # left: lo (and sit0, where the kernel has sit built in).
        rows = Rows(c)
        devs = sorted({dev for layer, dev, _ in rows.rows
                       if layer == "link"})
        ksft_eq(devs, sorted(links(c)),
                f"round {i}: c's interfaces after deleting {what}")
        ksft_true("c0" not in devs,
                  f"round {i}: c0 in c's dump after deleting {what}")


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


# x86_64's numbers (the guests'): Python has no call for either
SYS_DELETE_MODULE, SYS_FINIT_MODULE = 176, 313


def module_cycle(ko):
    """rmmod valley, then insmod KO: the two system calls the tools make
    (O_NONBLOCK, as rmmod: EWOULDBLOCK while the module is in use), here
    without the two execs, which under TCG cost more than the cycle."""
    long = ctypes.c_long        # syscall()'s arguments are longs

    if platform.machine() != "x86_64":
        run("rmmod", "valley")
        run("insmod", ko)
        return
    if libc.syscall(long(SYS_DELETE_MODULE), b"valley", long(os.O_NONBLOCK)):
        err = ctypes.get_errno()
        raise OSError(err, f"rmmod valley: {os.strerror(err)}")
    fd = os.open(ko, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.syscall(long(SYS_FINIT_MODULE), long(fd), b"", long(0)):
            err = ctypes.get_errno()
            raise OSError(err, f"insmod {ko}: {os.strerror(err)}")
    finally:
        os.close(fd)


def test_rmmod_under_traffic():
    """rmmod and insmod, 100 times, while packets cross two namespaces."""
    ko = os.environ.get("VALLEY_KO")
    if not ko:
        raise KsftSkipEx("VALLEY_KO is not set")
    h = shared(two_hosts)
    # Under QEMU's TCG, patching kernel text (the static keys that turn
    # hooks on and off) while another vCPU runs it can oops on the int3
    # the patching uses.  Hooks that stay keep the keys on; valley's come
    # and go beside them.
    nft(NFT_KEEP_KEYS)
    with defer(run, "nft", "delete", "table", "inet", "valley_keys"), \
            defer(run, "nft", "delete", "table", "netdev", "valley_keys"), \
            run_bkg("ping", "-q", "-i", "0.002", "-w", "600", "10.0.1.2",
                    ns=h.a, exit_wait=False):
        for i in range(100):
            module_cycle(ko)
    # Loaded again, counting again: with its own hooks alone.
    run("ping", "-q", "-c", "1", "-W", "2", "10.0.1.2", ns=h.a)
    ksft_ge(Rows(h.a).get("internet", "icmp.echo_request", "out"), 1,
            "echo requests after the loop")


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
        for topology in TOPOLOGIES.values():
            try:
                topology.close()
            except Exception as e:
                ksft_pr(f"closing a topology: {e}")
    ksft_exit()


if __name__ == "__main__":
    main()
