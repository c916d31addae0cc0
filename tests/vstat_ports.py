#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# vstat ports: the per-port eBPF statistics against witnesses that do not
# come from the programs: the sockets' own tcp_info and SO_RXQ_OVFL, the
# kernel's /proc/net/snmp, nftables counters, and valley.ko's transport
# counters.  Two namespaces joined by veth, fresh for each test (a new
# namespace is a new set of rows); the test process makes its sockets in
# either namespace with setns(), so it can read both ends at one moment.
#
# Runs on the net selftests' library (net/lib/py of linux-source-6.12,
# through valley_net): checks that go on after a failure (ksft_eq...),
# namespaces with random names, cleanup deferred to the end of each case,
# and waits for a condition rather than sleeps.  Needs VALLEY_SRC (and
# VALLEY_KO to load the module again after the test that runs without
# it); runs the ASan/UBSan build of vstat.  Output is KTAP.

import ctypes
import json
import os
import socket
import struct
import time

from valley_net import (VSTAT, Hosts, In, nft, run, snmp, sysctl,
                        vstat)
# net/lib/py, which valley_net puts on the path.
from lib.py import (KsftFailEx, KsftSkipEx, defer, ksft_busy_wait,
                    ksft_eq, ksft_exit, ksft_in, ksft_run, ksft_true)

PIN = "/sys/fs/bpf/valley"
KO = os.environ.get("VALLEY_KO", "")
DEBUG = "debug" in os.uname().release
A4, B4 = "10.0.2.1", "10.0.2.2"
# How often and how long a wait looks: a guest under TCG, on the debug
# kernel, is slow.
POLL, PATIENCE = 0.05, 30


def ports(ns, *args):
    """vstat ports --json [-N NS]: {(proto, port, role): row}."""
    if ns is not None:
        args = ("-N", ns) + args
    out = json.loads(vstat("ports", "--json", *args).stdout)
    return {(r["proto"], r["port"], r["role"]): r for r in out}


def attach(*args):
    if os.path.exists(PIN):
        vstat("ports", "detach")
    vstat("ports", "attach", *args)


def two_hosts():
    """Hosts A (h.a, with pa0) and B (h.b, with pb0), fresh namespaces
    that go at the end of the test."""
    h = Hosts("pa0", "pb0", (A4 + "/24", "fd02::1/64"),
              (B4 + "/24", "fd02::2/64"))
    defer(h.close)
    return h


def tcp_info(s):
    """unacked, segs_in, segs_out, bytes_received, total_retrans of a
    socket."""
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    unacked, = struct.unpack_from("I", b, 24)
    total_retrans, = struct.unpack_from("I", b, 100)
    bytes_received, = struct.unpack_from("Q", b, 128)
    segs_out, segs_in = struct.unpack_from("II", b, 136)
    return {"unacked": unacked, "segs_in": segs_in, "segs_out": segs_out,
            "bytes_received": bytes_received, "retrans": total_retrans}


def wait_acked(*socks):
    """Until all that SOCKS sent is acknowledged: the peers' last ACKs
    have been sent and have arrived, so both ends have counted them."""
    ksft_busy_wait(lambda: all(tcp_info(s)["unacked"] == 0 for s in socks),
                   sleep=POLL, deadline=PATIENCE, comment="the last ACKs")


def closes_done(port, *nss):
    """Whether NSS keep no TCP socket of PORT but in TIME-WAIT: the last
    segment of each close has arrived."""
    flt = f"( sport = :{port} or dport = :{port} )"
    return not any(run("ss", "-Htan", "exclude", "time-wait", flt,
                       ns=ns).stdout.strip() for ns in nss)


def wait_closed(port, *nss):
    ksft_busy_wait(lambda: closes_done(port, *nss), sleep=POLL,
                   deadline=PATIENCE, comment=f"tcp {port} closed")


def delivered(ns):
    """IPv4 packets NS's TCP, UDP and ICMP are done with: the kernel counts
    one after the protocol's handler has queued, answered or dropped it."""
    return snmp(ns)["Ip"]["InDelivers"]


def wait_delivered(ns, before, n):
    """Until NS's transports are done with N packets more than BEFORE."""
    ksft_busy_wait(lambda: delivered(ns) - before >= n, sleep=POLL,
                   deadline=PATIENCE, comment=f"{n} packets delivered")


def recv_exactly(s, n):
    got = b""
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b:
            raise KsftFailEx(f"connection closed after {len(got)} of {n} "
                             "bytes")
        got += b
    return got


def connection(h, port):
    """A listener in B on PORT, a connection to it from A, accepted."""
    with In(h.b):
        lst = socket.socket()
        lst.bind(("0.0.0.0", port))
        lst.listen(8)
    with In(h.a):
        cli = socket.create_connection((B4, port), timeout=30)
    srv, _ = lst.accept()
    return lst, cli, srv


def talk(h, port, n):
    """connection(H, PORT), and N bytes from the client to the server."""
    lst, cli, srv = connection(h, port)
    cli.sendall(b"t" * n)
    recv_exactly(srv, n)
    wait_acked(cli)
    return lst, cli, srv


def close(*socks):
    for s in socks:
        s.close()


def nft_witness(ns, proto, port):
    """nftables counters of PROTO PORT in NS: what came in and went out."""
    nft(f"""
table inet vpw {{
    chain in {{ type filter hook input priority -300;
        {proto} dport {port} counter
        {proto} sport {port} counter
    }}
    chain out {{ type filter hook output priority -300;
        {proto} sport {port} counter
        {proto} dport {port} counter
    }}
}}
""", ns=ns)


def nft_counts(ns):
    """[(packets, bytes)] of the counters, in the order of nft_witness."""
    out = json.loads(run("nft", "-j", "list", "table", "inet", "vpw",
                         ns=ns).stdout)
    return [(e["rule"]["expr"][-1]["counter"]["packets"],
             e["rule"]["expr"][-1]["counter"]["bytes"])
            for e in out["nftables"] if "rule" in e]


def check_keys(what, rows, want):
    ksft_eq(sorted(rows), sorted(want), f"{what}: rows")


def test_tcp_exchange_against_tcp_info():
    """A server on 50000, in the ephemeral range, is still the server;
    the client's row is keyed by the server's port; no row has the
    client's ephemeral port."""
    h = two_hosts()
    port = 50000
    nft_witness(h.a, "tcp", port)
    nft_witness(h.b, "tcp", port)
    lst, cli, srv = connection(h, port)
    cli.sendall(b"q" * 1000)
    srv.sendall(recv_exactly(srv, 1000) + b"r" * 234)
    recv_exactly(cli, 1234)
    wait_acked(cli, srv)
    ci, si = tcp_info(cli), tcp_info(srv)
    a, b = ports(h.a), ports(h.b)
    na, nb = nft_counts(h.a), nft_counts(h.b)
    check_keys("A", a, [("tcp", port, "client")])
    check_keys("B", b, [("tcp", port, "server")])
    ra = a.get(("tcp", port, "client"), {})
    rb = b.get(("tcp", port, "server"), {})
    ksft_eq(ra.get("packets_out"), ci["segs_out"],
            "client packets_out = segs_out")
    ksft_eq(ra.get("packets_in"), ci["segs_in"],
            "client packets_in = segs_in")
    # The SYN-ACK goes out of the request socket, before the server's
    # socket exists: one per connection, which its tcp_info lacks.
    ksft_eq(rb.get("packets_out"), si["segs_out"] + 1,
            "server packets_out = segs_out + SYN-ACK")
    ksft_eq(rb.get("packets_in"), si["segs_in"],
            "server packets_in = segs_in")
    ksft_eq(rb.get("payload_in"), si["bytes_received"], "server payload_in")
    ksft_eq(rb.get("payload_out"), ci["bytes_received"],
            "server payload_out")
    ksft_eq(ra.get("payload_in"), ci["bytes_received"], "client payload_in")
    ksft_eq(ra.get("payload_out"), si["bytes_received"],
            "client payload_out")
    ksft_eq(ra.get("bytes_in"), na[0][1] + na[1][1], "client bytes_in = nft")
    ksft_eq(ra.get("bytes_out"), na[2][1] + na[3][1],
            "client bytes_out = nft")
    ksft_eq(rb.get("bytes_in"), nb[0][1] + nb[1][1], "server bytes_in = nft")
    ksft_eq(rb.get("bytes_out"), nb[2][1] + nb[3][1],
            "server bytes_out = nft")
    ksft_eq((ra.get("active"), ra.get("passive")), (1, 0), "client active")
    ksft_eq((rb.get("active"), rb.get("passive")), (0, 1), "server passive")
    ksft_eq((ra.get("established"), rb.get("established")), (1, 1),
            "established")
    ksft_eq((sum(ra.get("setup_us_log2", [])),
             sum(rb.get("setup_us_log2", []))), (1, 1), "set-ups timed")
    cli.close()
    srv.close()
    lst.close()
    wait_closed(port, h.a, h.b)
    a, b = ports(h.a), ports(h.b)
    ra = a.get(("tcp", port, "client"), {})
    rb = b.get(("tcp", port, "server"), {})
    ksft_eq((ra.get("closed"), rb.get("closed")), (1, 1), "closed")
    ksft_eq((ra.get("established"), rb.get("established")), (0, 0),
            "established after close")
    ksft_eq((ra.get("resets_in"), ra.get("resets_out"),
             rb.get("resets_in"), rb.get("resets_out")), (0, 0, 0, 0),
            "resets")
    check_keys("A", a, [("tcp", port, "client")])
    check_keys("B", b, [("tcp", port, "server")])


def test_udp_datagrams_of_known_sizes():
    h = two_hosts()
    port, sizes = 5353, (0, 1, 100, 1472)
    with In(h.b):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", port))
    with In(h.a):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for n in sizes:
        cli.sendto(b"d" * n, (B4, port))
    srv.settimeout(30)
    for n in sizes:
        data, peer = srv.recvfrom(2000)
        if len(data) != n:
            raise KsftFailEx(f"got a datagram of {len(data)}, not {n}")
    srv.sendto(b"e" * 10, peer)
    cli.settimeout(30)
    cli.recv(100)
    a, b = ports(h.a), ports(h.b)
    check_keys("A", a, [("udp", port, "client")])
    check_keys("B", b, [("udp", port, "server")])
    ra = a.get(("udp", port, "client"), {})
    rb = b.get(("udp", port, "server"), {})
    want = {"packets_in": len(sizes), "payload_in": sum(sizes),
            "bytes_in": sum(sizes) + 28 * len(sizes),
            "packets_out": 1, "payload_out": 10, "bytes_out": 38,
            "drops": 0, "rcv_errors": 0}
    for k, v in want.items():
        ksft_eq(rb.get(k), v, f"server {k}")
        mirror = k.replace("_in", "_x").replace("_out", "_in") \
            .replace("_x", "_out")
        ksft_eq(ra.get(mirror), v, f"client {mirror}")
    cli.close()
    srv.close()


def test_udp_with_ip_options():
    """Datagrams whose IP header is 60 bytes, the most options allow."""
    h = two_hosts()
    port, n, size = 5354, 3, 100
    with In(h.b):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", port))
    with In(h.a):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # 40 bytes of options: 39 no-ops and the end of the list
    cli.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x01" * 39 + b"\x00")
    for _ in range(n):
        cli.sendto(b"o" * size, (B4, port))
    srv.settimeout(30)
    for _ in range(n):
        srv.recvfrom(2000)
    a, b = ports(h.a), ports(h.b)
    want = (n, n * size, n * (size + 8 + 60))
    rb = b.get(("udp", port, "server"), {})
    ksft_eq((rb.get("packets_in"), rb.get("payload_in"), rb.get("bytes_in")),
            want, "server: packets, payload, bytes in")
    ra = a.get(("udp", port, "client"), {})
    ksft_eq((ra.get("packets_out"), ra.get("payload_out"),
             ra.get("bytes_out")), want, "client: packets, payload, bytes out")
    cli.close()
    srv.close()


SO_RXQ_OVFL = 40


def test_connected_udp_sent_elsewhere():
    """A connected UDP socket's datagram to another port counts there."""
    h = two_hosts()
    with In(h.b):
        srvs = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                for _ in range(2)]
        for i, s in enumerate(srvs):
            s.bind(("0.0.0.0", 7201 + i))
    with In(h.a):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cli.connect((B4, 7201))
    before = delivered(h.b)
    for _ in range(3):
        cli.send(b"a" * 10)
        cli.sendto(b"b" * 20, (B4, 7202))
    wait_delivered(h.b, before, 6)
    a = ports(h.a)
    for port, payload in ((7201, 30), (7202, 60)):
        r = a.get(("udp", port, "client"), {})
        ksft_eq((r.get("packets_out"), r.get("payload_out")), (3, payload),
                f"client {port}: packets, payload out")
    cli.close()
    for s in srvs:
        s.close()


def test_udp_receive_buffer_full():
    """Drops for "receive buffer full" equal the socket's own count."""
    h = two_hosts()
    port = 6000
    n = 60 if DEBUG else 200
    with In(h.b):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        srv.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
        srv.bind(("0.0.0.0", port))
    with In(h.a):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    before = delivered(h.b)
    for _ in range(n):
        cli.sendto(b"f" * 1000, (B4, port))
    # Every datagram queued or dropped before the buffer is drained.
    wait_delivered(h.b, before, n)
    srv.setblocking(False)
    got = 0
    while True:
        try:
            srv.recv(2000)
            got += 1
        except BlockingIOError:
            break
    # One more datagram, to a drained buffer: its SO_RXQ_OVFL tells all.
    cli.sendto(b"g", (B4, port))
    srv.settimeout(30)
    srv.setblocking(True)
    _, anc, _, _ = srv.recvmsg(100, socket.CMSG_SPACE(4))
    drops = [struct.unpack("I", d[:4])[0] for lvl, t, d in anc
             if lvl == socket.SOL_SOCKET and t == SO_RXQ_OVFL]
    b = ports(h.b)
    rb = b.get(("udp", port, "server"), {})
    ksft_eq(len(drops), 1, "SO_RXQ_OVFL received")
    if drops:
        ksft_true(drops[0] > 0, "some dropped")
        ksft_eq(rb.get("drops_by_reason", {}).get("socket_rcvbuff"),
                drops[0], "socket_rcvbuff drops = SO_RXQ_OVFL")
        ksft_eq(rb.get("rcv_errors"), drops[0], "rcv_errors = SO_RXQ_OVFL")
        ksft_eq(got + 1 + drops[0], n + 1, "received + dropped")
        # Counted as they reach the socket, before its buffer refuses them.
        ksft_eq(rb.get("packets_in"), n + 1, "packets_in = sent")
    cli.close()
    srv.close()


SO_ATTACH_FILTER = 26


def drop_all_filter(sock):
    """A classic BPF socket filter that drops every datagram ("ret #0")."""
    insn = struct.pack("HBBI", 0x06, 0, 0, 0)
    buf = ctypes.create_string_buffer(insn)
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER,
                    struct.pack("HL", 1, ctypes.addressof(buf)))
    return buf  # the kernel copies it, but keep it alive until then


def bad_udp(sport, dport, payload):
    """A UDP header and PAYLOAD from A4 to B4 whose checksum is wrong."""
    length = 8 + len(payload)
    pseudo = (socket.inet_aton(A4) + socket.inet_aton(B4) +
              struct.pack("!BBH", 0, socket.IPPROTO_UDP, length))
    data = pseudo + struct.pack("!HHHH", sport, dport, length, 0) + payload
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    good = ~total & 0xffff or 0xffff
    return struct.pack("!HHHH", sport, dport, length,
                       good % 0xffff + 1) + payload


def test_drop_reasons_of_one_flow():
    """Drops of one flow that take turns in reason count each apart."""
    h = two_hosts()
    port, n = 6002, 5 if DEBUG else 12
    with In(h.b):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", port))
    keep = drop_all_filter(srv)
    with In(h.a):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cli.connect((B4, port))
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                            socket.IPPROTO_UDP)
    sport = cli.getsockname()[1]
    before = delivered(h.b)
    # Sent from one CPU, received (veth) and dropped on it: that CPU's
    # memo of its last drop sees the reasons take turns.
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        for _ in range(n):
            cli.send(b"f" * 10)     # refused by the socket's filter
            raw.sendto(bad_udp(sport, port, b"c" * 10), (B4, 0))
    finally:
        os.sched_setaffinity(0, cpus)
    wait_delivered(h.b, before, 2 * n)
    rb = ports(h.b).get(("udp", port, "server"), {})
    ksft_eq(rb.get("drops_by_reason"), {"socket_filter": n, "udp_csum": n},
            "drops by reason")
    ksft_eq(rb.get("drops"), 2 * n, "drops")
    del keep
    raw.close()
    cli.close()
    srv.close()


def test_udp_to_a_closed_port():
    """"No socket" drops equal the port unreachables the kernel sent."""
    h = two_hosts()
    sysctl(h.b, "net.ipv4.icmp_ratelimit", 0)
    port, n = 6001, 7
    before = snmp(h.b).get("IcmpMsg", {}).get("OutType3", 0)
    seen = delivered(h.b)
    with In(h.a):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(n):
        cli.sendto(b"h" * 10, (B4, port))
        # Paced, not waiting for anything: more than 20 ms (HZ/50)
        # apart, the global ICMP rate limit refills its credit.
        time.sleep(0.05)
    wait_delivered(h.b, seen, n)
    unreach = snmp(h.b).get("IcmpMsg", {}).get("OutType3", 0) - before
    b = ports(h.b)
    rb = b.get(("udp", port, "server"), {})
    ksft_eq(unreach, n, "port unreachables sent")
    ksft_eq(rb.get("drops_by_reason", {}).get("no_socket"), unreach,
            "no_socket drops")
    ksft_eq(rb.get("drops"), unreach, "drops")
    ksft_eq(rb.get("rcv_errors"), 0, "rcv_errors")
    ksft_eq(rb.get("packets_in"), 0, "packets_in (no socket saw them)")
    cli.close()


def test_tcp_connect_to_a_closed_port():
    """Resets sent and received, on both sides."""
    h = two_hosts()
    port = 7
    before = snmp(h.b)["Tcp"]["OutRsts"]
    seen = delivered(h.b)
    with In(h.a):
        cli = socket.socket()
        cli.settimeout(30)
        err = cli.connect_ex((B4, port))
    # The reset can reach A before B's TCP is done with the SYN.
    wait_delivered(h.b, seen, 1)
    a, b = ports(h.a), ports(h.b)
    ra = a.get(("tcp", port, "client"), {})
    rb = b.get(("tcp", port, "server"), {})
    ksft_eq(err, 111, "connect")
    ksft_eq(snmp(h.b)["Tcp"]["OutRsts"] - before, 1, "kernel's OutRsts")
    ksft_eq(rb.get("resets_out"), 1, "server resets_out")
    ksft_eq((rb.get("packets_in"), rb.get("packets_out")), (0, 1),
            "server packets")
    ksft_eq(rb.get("drops_by_reason", {}).get("no_socket"), 1,
            "server no_socket drop")
    ksft_eq(ra.get("resets_in"), 1, "client resets_in")
    ksft_eq((ra.get("packets_out"), ra.get("packets_in")), (1, 1),
            "client packets")
    ksft_eq((ra.get("active"), ra.get("established"), ra.get("closed")),
            (0, 0, 0), "client connections")
    cli.close()


def test_retransmits_against_tcp_info():
    h = two_hosts()
    port = 5001
    lst, cli, srv = connection(h, port)
    # Segments with payload die on the way in, until the rule goes.
    nft(f"""
table inet vpdrop {{
    chain in {{ type filter hook input priority -300;
        tcp dport {port} meta length > 100 drop
    }}
}}
""", ns=h.b)
    cli.sendall(b"s" * 500)
    ksft_busy_wait(lambda: tcp_info(cli)["retrans"] >= 2, sleep=0.1,
                   deadline=60, comment="two retransmits")
    run("nft", "delete", "table", "inet", "vpdrop", ns=h.b)
    srv.settimeout(60)
    recv_exactly(srv, 500)
    wait_acked(cli)     # no retransmit after the counts are read
    ci = tcp_info(cli)
    ra = ports(h.a).get(("tcp", port, "client"), {})
    rb = ports(h.b).get(("tcp", port, "server"), {})
    ksft_true(ci["retrans"] >= 2, "retransmitted at all")
    ksft_eq(ra.get("retrans"), ci["retrans"],
            "client retrans = tcpi_total_retrans")
    ksft_eq(rb.get("retrans"), tcp_info(srv)["retrans"],
            "server retrans = its tcpi_total_retrans")
    close(cli, srv, lst)


def test_namespaces_apart():
    """The same traffic in two pairs of namespaces: each sees its own."""
    h = two_hosts()
    lst, cli, srv = talk(h, 5002, 100)
    ksft_eq(sorted(ports(h.a)), [("tcp", 5002, "client")], "A")
    ksft_eq(sorted(ports(h.b)), [("tcp", 5002, "server")], "B")
    # The namespace the test runs in saw none of it.
    ksft_eq([k for k in ports(None) if k[1] == 5002], [], "init")
    every = json.loads(vstat("ports", "--json", "--all-namespaces").stdout)
    ksft_eq(len([r for r in every if r["port"] == 5002]), 2,
            "all namespaces: two rows of 5002")
    close(cli, srv, lst)


def pinned():
    return sorted(os.listdir(PIN)) if os.path.exists(PIN) else []


def our_programs():
    """How many vp_ programs are loaded."""
    out = json.loads(run("bpftool", "-j", "prog", "show").stdout)
    return len([p for p in out if p.get("name", "").startswith("vp_")])


def programs_once(want):
    """our_programs(), once it is WANT (a program goes some time after
    its last link: RCU, a work item)."""
    ksft_busy_wait(lambda: our_programs() == want, sleep=0.2, deadline=20,
                   comment=f"{want} vp_ programs")
    return our_programs()


def test_attach_detach_again_and_again():
    """Nothing is left behind; counting goes on after vstat exits."""
    rounds = 5 if DEBUG else 50
    vstat("ports", "detach")
    defer(attach)       # the default table, for the tests after this one
    ksft_eq(programs_once(0), 0, "programs after detach")
    for _ in range(rounds):
        vstat("ports", "attach")
        vstat("ports", "detach")
    ksft_eq(programs_once(0), 0, "programs after the rounds")
    ksft_eq(pinned(), [], "pins after the rounds")
    vstat("ports", "attach", "--rows", "100")
    ksft_eq(pinned(), ["conns", "drop_counts", "drop_index", "index",
                       "link_egress", "link_ingress",
                       "link_kfree_skb", "link_retransmit",
                       "link_set_state", "link_sock_create",
                       "traffic"], "pins")
    ksft_eq(programs_once(6), 6, "programs")
    # tp_btf programs are of type "tracing" (raw_tp: "raw_tracepoint").
    link = json.loads(run("bpftool", "-j", "link", "show", "pinned",
                          f"{PIN}/link_set_state").stdout)
    prog = json.loads(run("bpftool", "-j", "prog", "show", "id",
                          str(link.get("prog_id"))).stdout)
    ksft_eq(prog.get("type"), "tracing", "BTF tracepoints loaded")
    h = two_hosts()
    lst, cli, srv = talk(h, 5003, 10)
    ksft_eq(ports(h.b).get(("tcp", 5003, "server"), {}).get("payload_in"),
            10, "counted after vstat exited")
    close(cli, srv, lst)


def test_overflow_row():
    """A full table counts new keys in the overflow row: nothing lost."""
    attach("--rows", "4")
    defer(attach)       # the default table, for the tests after this one
    h = two_hosts()
    with In(h.a):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    before = delivered(h.b)
    for p in range(7000, 7006):
        cli.sendto(b"v" * 10, (B4, p))
    wait_delivered(h.b, before, 6)
    rows = json.loads(vstat("ports", "--json", "-A").stdout)
    over = [r for r in rows if r["role"] == "overflow"]
    ksft_eq(len(rows), 4, "rows")
    ksft_eq(len(over), 1, "an overflow row")
    ksft_eq(sum(r["packets_out"] for r in rows), 6,
            "datagrams sent, all counted")
    ksft_eq(sum(r["drops"] for r in rows), 6,
            "their drops at B, all counted")
    ksft_eq(sum(r.get("drops_by_reason", {}).get("no_socket", 0)
                for r in rows), 6, "and each drop's reason")
    text = vstat("ports", "-A").stdout
    ksft_in("(table full)", text, "the table shows it")
    # A connection when the table is full: its counters are the
    # overflow row's too, and the table stays four rows.
    lst, tcli, tsrv = talk(h, 7100, 5)
    rows = json.loads(vstat("ports", "--json", "-A").stdout)
    ksft_eq(len(rows), 4, "rows with a connection")
    ksft_eq((sum(r.get("active", 0) for r in rows),
             sum(r.get("passive", 0) for r in rows)), (1, 1),
            "connections, all counted")
    close(tcli, tsrv, lst)
    cli.close()


def test_reset():
    h = two_hosts()
    lst, cli, srv = talk(h, 5004, 10)
    vstat("ports", "reset")
    rb = ports(h.b).get(("tcp", 5004, "server"), {})
    ksft_eq((rb.get("packets_in"), rb.get("payload_in"), rb.get("passive")),
            (0, 0, 0), "after reset")
    ksft_eq(rb.get("established"), 1, "established stays")
    cli.sendall(b"x" * 7)
    recv_exactly(srv, 7)
    wait_acked(cli)
    rb = ports(h.b).get(("tcp", 5004, "server"), {})
    ksft_eq(rb.get("payload_in"), 7, "counting again")
    close(cli, srv, lst)


def test_one_port_in_full():
    h = two_hosts()
    lst, cli, srv = talk(h, 5005, 10)
    out = vstat("ports", "-N", h.b, "5005").stdout
    ksft_eq(out.splitlines()[0] if out else "", "tcp 5005 (-), server",
            "header")
    for label in ("packets_in", "payload_in", "passive", "established",
                  "set-up time (SYN to ESTABLISHED), microseconds:"):
        ksft_in(label, out, f"has {label}")
    rows = json.loads(vstat("ports", "--json", "tcp", "5005",
                            "-N", h.b).stdout)
    ksft_eq([(r["proto"], r["port"], r["role"]) for r in rows],
            [("tcp", 5005, "server")], "JSON rows")
    close(cli, srv, lst)


def test_rates_are_changes():
    """-i: each interval shows what changed in it; with no traffic, 0."""
    h = two_hosts()
    lst, cli, srv = talk(h, 5013, 100)
    out = vstat("ports", "-N", h.b, "--json", "-i", "1", "-c", "3").stdout
    docs = [json.loads(line) for line in out.splitlines() if line]
    ksft_eq(len(docs), 3, "documents")
    for i, d in enumerate(docs):
        for r in d:
            for k in ("packets_in", "packets_out", "bytes_in", "payload_in"):
                ksft_eq(r[k], 0, f"interval {i} {r['proto']} {r['port']} {k}")
    ksft_eq([(r["proto"], r["port"]) for r in docs[0]] if docs else [],
            [("tcp", 5013)], "the row is there")
    close(cli, srv, lst)


def test_ipv6_and_v4_mapped():
    h = two_hosts()
    with In(h.b):
        l6 = socket.socket(socket.AF_INET6)
        l6.bind(("::", 5010))
        l6.listen()
        l4 = socket.socket()
        l4.bind(("0.0.0.0", 5011))
        l4.listen()
    with In(h.a):
        c6 = socket.create_connection(("fd02::2", 5010), timeout=30)
        # an IPv6 socket to an IPv4 address: IPv4 on the wire
        c4 = socket.socket(socket.AF_INET6)
        c4.settimeout(30)
        c4.connect(("::ffff:" + B4, 5011))
    s6, _ = l6.accept()
    s4, _ = l4.accept()
    for cl, sv in ((c6, s6), (c4, s4)):
        cl.sendall(b"m" * 300)
        recv_exactly(sv, 300)
    wait_acked(c6, c4)
    a, b = ports(h.a), ports(h.b)
    check_keys("A", a, [("tcp", 5010, "client"), ("tcp", 5011, "client")])
    check_keys("B", b, [("tcp", 5010, "server"), ("tcp", 5011, "server")])
    for port in (5010, 5011):
        ra = a.get(("tcp", port, "client"), {})
        rb = b.get(("tcp", port, "server"), {})
        ksft_eq((ra.get("payload_out"), rb.get("payload_in")), (300, 300),
                f"{port} payload")
        ksft_eq((ra.get("active"), rb.get("passive")), (1, 1),
                f"{port} connections")
        ksft_eq((sum(ra.get("setup_us_log2", [])),
                 sum(rb.get("setup_us_log2", []))), (1, 1),
                f"{port} set-ups timed")
    close(c6, c4, s6, s4, l6, l4)


def test_connection_older_than_the_programs():
    """A connection accepted before attach is still the server's."""
    vstat("ports", "detach")
    again = defer(attach)   # now, or at the end if the connection fails
    h = two_hosts()
    lst, cli, srv = talk(h, 5012, 10)
    again.exec()
    cli.sendall(b"o" * 20)
    recv_exactly(srv, 20)
    srv.sendall(b"p" * 30)
    recv_exactly(cli, 30)
    wait_acked(cli, srv)
    a, b = ports(h.a), ports(h.b)
    check_keys("A", a, [("tcp", 5012, "client")])
    check_keys("B", b, [("tcp", 5012, "server")])
    rb = b.get(("tcp", 5012, "server"), {})
    ksft_eq((rb.get("payload_in"), rb.get("payload_out")), (20, 30),
            "server payload")
    close(cli, srv, lst)


def test_late_reply_to_a_client_gone():
    """A reply to a closed client socket is the service's drop, client
    side: no row for the client's ephemeral port."""
    h = two_hosts()
    with In(h.b):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", 5353))
    with In(h.a):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.sendto(b"q", (B4, 5353))
    srv.settimeout(30)
    _, peer = srv.recvfrom(100)
    cli.close()
    before = delivered(h.a)
    srv.sendto(b"late answer", peer)
    wait_delivered(h.a, before, 1)
    a = ports(h.a)
    ra = a.get(("udp", 5353, "client"), {})
    check_keys("A", a, [("udp", 5353, "client")])
    ksft_eq(ra.get("drops_by_reason", {}).get("no_socket"), 1,
            "no_socket drop")
    srv.close()


def test_raw_socket_not_counted_twice():
    """What a raw socket also receives is counted once."""
    h = two_hosts()
    with In(h.b):
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                            socket.IPPROTO_UDP)
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", 5014))
    with In(h.a):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(3):
        cli.sendto(b"r" * 10, (B4, 5014))
    srv.settimeout(30)
    for _ in range(3):
        srv.recv(100)
    raw.settimeout(30)
    raw.recv(100)       # the raw socket got them too
    b = ports(h.b)
    rb = b.get(("udp", 5014, "server"), {})
    check_keys("B", b, [("udp", 5014, "server")])
    ksft_eq(rb.get("packets_in"), 3, "packets_in")
    ksft_eq(rb.get("payload_in"), 30, "payload_in")
    close(raw, srv, cli)


def fails(args, msg, status=1, pre=()):
    """vstat ARGS (after the command PRE) fails: exit STATUS, one line of
    error with MSG in it."""
    p = run(*pre, VSTAT, *args, fail=False)
    got = p.stderr.strip()
    ksft_true(p.ret == status and msg in got and "\n" not in got,
              f"vstat {' '.join(args)}: exit {p.ret}, '{got}'; "
              f"want {status} and '{msg}'")


def test_errors():
    nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    for args, msg, status, pre in (
            (("ports",), "reading per-port statistics needs CAP_BPF", 1,
             nobody),
            (("ports", "attach"), "per-port statistics are already attached",
             1, ()),
            (("ports", "attach"), "needs CAP_BPF", 1, nobody),
            (("ports", "reset"), "needs CAP_NET_ADMIN", 1,
             ("setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin")),
            (("ports", "--sort", "colour"), "--sort takes bytes", 2, ()),
            (("ports", "70000"), "is not tcp, udp or a port number", 2, ()),
            (("ports", "tcp", "udp"), "is not tcp, udp or a port number", 2,
             ()),
            (("ports", "attach", "--rows", "1"), "--rows is a number", 2, ()),
            (("ports", "detach", "now"), "unexpected argument", 2, ()),
            (("ports", "-n", "0"), "-n is a number", 2, ()),
            (("ports",), "bpffs is not mounted on /sys/fs/bpf", 1,
             ("unshare", "-m", "--propagation", "private", "sh", "-c",
              'umount /sys/fs/bpf && exec "$0" "$@"')),
    ):
        fails(args, msg, status, pre=pre)
    vstat("ports", "detach")
    again = defer(attach)   # after the checks, or at the end
    fails(("ports",), "per-port statistics are not attached "
          "(try: vstat ports attach)")
    fails(("ports", "detach"), "per-port statistics are not attached")
    fails(("ports", "attach"), "this kernel has no BTF", 1,
          pre=("unshare", "-m", "--propagation", "private", "sh", "-c",
               'mount -t tmpfs none /sys/kernel/btf && exec "$0" "$@"'))
    fails(("ports", "attach"), "bpffs is not mounted", 1,
          pre=("unshare", "-m", "--propagation", "private", "sh", "-c",
               'umount /sys/fs/bpf && exec "$0" "$@"'))
    ksft_eq(pinned(), [], "nothing attached by the failures")
    again.exec()


def transport(ns):
    out = json.loads(vstat("--json", "layers", "transport", ns=ns).stdout)
    return {r["key"]: r for r in out}


def exchange(h, port):
    lst, cli, srv = connection(h, port)
    cli.sendall(b"z" * 3000)
    srv.sendall(recv_exactly(srv, 3000))
    recv_exactly(cli, 3000)
    # One side closes first, so no segment meets a TIME_WAIT socket
    # (which no cgroup program sees).
    cli.close()
    srv.settimeout(30)
    if srv.recv(10):
        raise KsftFailEx("data after the client's FIN")
    srv.close()
    lst.close()
    with In(h.b):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", port))
    with In(h.a):
        v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for n in (5, 50, 500):
        v.sendto(b"k" * n, (B4, port))
    u.settimeout(30)
    for _ in range(3):
        u.recv(1000)
    u.close()
    v.close()
    wait_closed(port, h.a, h.b)


def test_agrees_with_the_module():
    """Per-port totals equal valley.ko's transport counters."""
    h = two_hosts()
    vstat("reset", ns=h.a)
    vstat("reset", ns=h.b)
    exchange(h, 5006)
    for name, ns in (("A", h.a), ("B", h.b)):
        rows, t = ports(ns), transport(ns)
        for proto, seg in (("tcp", "tcp.segments"), ("udp", "udp.datagrams")):
            mine = [r for k, r in rows.items() if k[0] == proto]
            for d in ("in", "out"):
                ksft_eq(sum(r[f"packets_{d}"] for r in mine), t[seg][d],
                        f"{name} {proto} packets_{d}")
                ksft_eq(sum(r[f"payload_{d}"] for r in mine),
                        t[f"{proto}.payload_bytes"][d],
                        f"{name} {proto} payload_{d}")


def test_without_the_module():
    """A stock kernel with BTF is enough."""
    run("rmmod", "valley")
    if KO:
        defer(run, "insmod", KO)
    h = two_hosts()
    exchange(h, 5007)
    a, b = ports(h.a), ports(h.b)
    ksft_eq(sorted(a), [("tcp", 5007, "client"), ("udp", 5007, "client")],
            "A")
    ksft_eq(sorted(b), [("tcp", 5007, "server"), ("udp", 5007, "server")],
            "B")
    rb = b.get(("tcp", 5007, "server"), {})
    ksft_eq((rb.get("payload_in"), rb.get("payload_out")), (3000, 3000),
            "tcp payload")
    rb = b.get(("udp", 5007, "server"), {})
    ksft_eq(rb.get("payload_in"), 555, "udp payload")


def skipped(test, why):
    """TEST, skipped for WHY (under its own name)."""
    def skip():
        raise KsftSkipEx(why)
    skip.__name__ = test.__name__
    return skip


def main():
    tests = [test_tcp_exchange_against_tcp_info,
             test_udp_datagrams_of_known_sizes,
             test_udp_with_ip_options,
             test_connected_udp_sent_elsewhere,
             test_udp_receive_buffer_full,
             test_drop_reasons_of_one_flow,
             test_udp_to_a_closed_port,
             test_tcp_connect_to_a_closed_port,
             test_retransmits_against_tcp_info,
             test_rates_are_changes,
             test_ipv6_and_v4_mapped,
             test_connection_older_than_the_programs,
             test_late_reply_to_a_client_gone,
             test_raw_socket_not_counted_twice,
             test_namespaces_apart,
             test_reset,
             test_one_port_in_full,
             test_overflow_row,
             test_errors,
             test_agrees_with_the_module,
             test_without_the_module,
             test_attach_detach_again_and_again]
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        # The programs are CO-RE: a kernel without BTF cannot load them.
        ksft_run([skipped(t, "the kernel has no BTF") for t in tests])
        ksft_exit()
    attach()
    try:
        ksft_run(tests)
    finally:
        vstat("ports", "detach", fail=False)
    ksft_exit()


if __name__ == "__main__":
    main()
