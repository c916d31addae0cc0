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
# Needs VALLEY_SRC (and VALLEY_KO to load the module again after the test
# that runs without it); runs the ASan/UBSan build of vstat.  Output is
# KTAP.

import ctypes
import json
import os
import socket
import struct
import time

from valley_layers import (ENV, VSTAT, Check, addr, link, mac, neigh, netns,
                           run, snmp)
# net/lib/py, which valley_layers puts on the path; Failed as the tests
# (and valley_layers) raise it.
from lib.py import KsftFailEx as Failed, KsftSkipEx, ksft_exit, ksft_run  # noqa: E402

PIN = "/sys/fs/bpf/valley"
KO = os.environ.get("VALLEY_KO", "")
DEBUG = "debug" in os.uname().release
A, B = "vpa", "vpb"
A4, B4 = "10.0.2.1", "10.0.2.2"
libc = ctypes.CDLL(None, use_errno=True)


def vstat(*args, ns=None, check=True):
    return run(VSTAT, *args, ns=ns, check=check)


def ports(ns, *args):
    """vstat ports --json -N NS: {(proto, port, role): row}.  (Not under
    ip netns exec, whose fresh /sys hides bpffs.)"""
    if ns:
        args = ("-N", ns) + args
    out = json.loads(vstat("ports", "--json", *args).stdout)
    return {(r["proto"], r["port"], r["role"]): r for r in out}


def attach(*args):
    if os.path.exists(PIN):
        vstat("ports", "detach")
    vstat("ports", "attach", *args)


def two_hosts():
    netns(A, B)
    link(A, "pa0", B, "pb0")
    addr(A, "pa0", A4 + "/24", "fd02::1/64")
    addr(B, "pb0", B4 + "/24", "fd02::2/64")
    neigh(A, "pa0", B4, mac(B, "pb0"))
    neigh(B, "pb0", A4, mac(A, "pa0"))
    time.sleep(0.3)


class In:
    """with In(NS): sockets made inside belong to namespace NS."""

    def __init__(self, ns):
        self.ns = ns

    def __enter__(self):
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open(f"/run/netns/{self.ns}", os.O_RDONLY)
        try:
            if libc.setns(fd, 0):
                raise OSError(ctypes.get_errno(), f"setns {self.ns}")
        finally:
            os.close(fd)

    def __exit__(self, *exc):
        libc.setns(self.home, 0)
        os.close(self.home)


def tcp_info(s):
    """segs_in, segs_out, bytes_received, total_retrans of a socket."""
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    total_retrans, = struct.unpack_from("I", b, 100)
    bytes_received, = struct.unpack_from("Q", b, 128)
    segs_out, segs_in = struct.unpack_from("II", b, 136)
    return {"segs_in": segs_in, "segs_out": segs_out,
            "bytes_received": bytes_received, "retrans": total_retrans}


def recv_exactly(s, n):
    got = b""
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b:
            raise Failed(f"connection closed after {len(got)} of {n} bytes")
        got += b
    return got


def connection(port):
    """A listener in B on PORT, a connection to it from A, accepted."""
    with In(B):
        lst = socket.socket()
        lst.bind(("0.0.0.0", port))
        lst.listen(8)
    with In(A):
        cli = socket.create_connection((B4, port), timeout=30)
    srv, _ = lst.accept()
    return lst, cli, srv


def talk(port, n):
    """connection(PORT), and N bytes from the client to the server."""
    lst, cli, srv = connection(port)
    cli.sendall(b"t" * n)
    recv_exactly(srv, n)
    time.sleep(0.3)
    return lst, cli, srv


def close(*socks):
    for s in socks:
        s.close()


def nft_witness(ns, proto, port):
    """nftables counters of PROTO PORT in NS: what came in and went out."""
    run("nft", "-f", "-", ns=ns, stdin=f"""
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
""")


def nft_counts(ns):
    """[(packets, bytes)] of the counters, in the order of nft_witness."""
    out = json.loads(run("nft", "-j", "list", "table", "inet", "vpw",
                         ns=ns).stdout)
    return [(e["rule"]["expr"][-1]["counter"]["packets"],
             e["rule"]["expr"][-1]["counter"]["bytes"])
            for e in out["nftables"] if "rule" in e]


def check_keys(c, ns, rows, want):
    c.eq(f"{ns}: rows", sorted(rows), sorted(want))


def test_tcp_exchange_against_tcp_info():
    """A server on 50000, in the ephemeral range, is still the server;
    the client's row is keyed by the server's port; no row has the
    client's ephemeral port."""
    two_hosts()
    port = 50000
    nft_witness(A, "tcp", port)
    nft_witness(B, "tcp", port)
    lst, cli, srv = connection(port)
    cli.sendall(b"q" * 1000)
    srv.sendall(recv_exactly(srv, 1000) + b"r" * 234)
    recv_exactly(cli, 1234)
    time.sleep(0.5)     # the last ACKs
    ci, si = tcp_info(cli), tcp_info(srv)
    a, b = ports(A), ports(B)
    na, nb = nft_counts(A), nft_counts(B)
    c = Check()
    check_keys(c, A, a, [("tcp", port, "client")])
    check_keys(c, B, b, [("tcp", port, "server")])
    ra = a.get(("tcp", port, "client"), {})
    rb = b.get(("tcp", port, "server"), {})
    c.eq("client packets_out = segs_out", ra.get("packets_out"),
         ci["segs_out"])
    c.eq("client packets_in = segs_in", ra.get("packets_in"), ci["segs_in"])
    # The SYN-ACK goes out of the request socket, before the server's
    # socket exists: one per connection, which its tcp_info lacks.
    c.eq("server packets_out = segs_out + SYN-ACK", rb.get("packets_out"),
         si["segs_out"] + 1)
    c.eq("server packets_in = segs_in", rb.get("packets_in"), si["segs_in"])
    c.eq("server payload_in", rb.get("payload_in"), si["bytes_received"])
    c.eq("server payload_out", rb.get("payload_out"), ci["bytes_received"])
    c.eq("client payload_in", ra.get("payload_in"), ci["bytes_received"])
    c.eq("client payload_out", ra.get("payload_out"), si["bytes_received"])
    c.eq("client bytes_in = nft", ra.get("bytes_in"), na[0][1] + na[1][1])
    c.eq("client bytes_out = nft", ra.get("bytes_out"), na[2][1] + na[3][1])
    c.eq("server bytes_in = nft", rb.get("bytes_in"), nb[0][1] + nb[1][1])
    c.eq("server bytes_out = nft", rb.get("bytes_out"), nb[2][1] + nb[3][1])
    c.eq("client active", (ra.get("active"), ra.get("passive")), (1, 0))
    c.eq("server passive", (rb.get("active"), rb.get("passive")), (0, 1))
    c.eq("established", (ra.get("established"), rb.get("established")),
         (1, 1))
    c.eq("set-ups timed", (sum(ra.get("setup_us_log2", [])),
                           sum(rb.get("setup_us_log2", []))), (1, 1))
    cli.close()
    srv.close()
    lst.close()
    time.sleep(0.5)
    a, b = ports(A), ports(B)
    ra = a.get(("tcp", port, "client"), {})
    rb = b.get(("tcp", port, "server"), {})
    c.eq("closed", (ra.get("closed"), rb.get("closed")), (1, 1))
    c.eq("established after close",
         (ra.get("established"), rb.get("established")), (0, 0))
    c.eq("resets", (ra.get("resets_in"), ra.get("resets_out"),
                    rb.get("resets_in"), rb.get("resets_out")), (0, 0, 0, 0))
    check_keys(c, A, a, [("tcp", port, "client")])
    check_keys(c, B, b, [("tcp", port, "server")])
    c.done()


def test_udp_datagrams_of_known_sizes():
    two_hosts()
    port, sizes = 5353, (0, 1, 100, 1472)
    with In(B):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", port))
    with In(A):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for n in sizes:
        cli.sendto(b"d" * n, (B4, port))
    srv.settimeout(30)
    for n in sizes:
        data, peer = srv.recvfrom(2000)
        if len(data) != n:
            raise Failed(f"got a datagram of {len(data)}, not {n}")
    srv.sendto(b"e" * 10, peer)
    cli.settimeout(30)
    cli.recv(100)
    a, b = ports(A), ports(B)
    c = Check()
    check_keys(c, A, a, [("udp", port, "client")])
    check_keys(c, B, b, [("udp", port, "server")])
    ra = a.get(("udp", port, "client"), {})
    rb = b.get(("udp", port, "server"), {})
    want = {"packets_in": len(sizes), "payload_in": sum(sizes),
            "bytes_in": sum(sizes) + 28 * len(sizes),
            "packets_out": 1, "payload_out": 10, "bytes_out": 38,
            "drops": 0, "rcv_errors": 0}
    for k, v in want.items():
        c.eq(f"server {k}", rb.get(k), v)
        mirror = k.replace("_in", "_x").replace("_out", "_in") \
            .replace("_x", "_out")
        c.eq(f"client {mirror}", ra.get(mirror), v)
    c.done()
    cli.close()
    srv.close()


SO_RXQ_OVFL = 40


def test_connected_udp_sent_elsewhere():
    """A connected UDP socket's datagram to another port counts there."""
    two_hosts()
    with In(B):
        srvs = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                for _ in range(2)]
        for i, s in enumerate(srvs):
            s.bind(("0.0.0.0", 7201 + i))
    with In(A):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cli.connect((B4, 7201))
    for _ in range(3):
        cli.send(b"a" * 10)
        cli.sendto(b"b" * 20, (B4, 7202))
    time.sleep(0.3)
    a = ports(A)
    c = Check()
    for port, payload in ((7201, 30), (7202, 60)):
        r = a.get(("udp", port, "client"), {})
        c.eq(f"client {port}: packets, payload out",
             (r.get("packets_out"), r.get("payload_out")), (3, payload))
    c.done()
    cli.close()
    for s in srvs:
        s.close()


def test_udp_receive_buffer_full():
    """Drops for "receive buffer full" equal the socket's own count."""
    two_hosts()
    port = 6000
    n = 60 if DEBUG else 200
    with In(B):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        srv.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
        srv.bind(("0.0.0.0", port))
    with In(A):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(n):
        cli.sendto(b"f" * 1000, (B4, port))
    time.sleep(0.5)
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
    b = ports(B)
    rb = b.get(("udp", port, "server"), {})
    c = Check()
    c.eq("SO_RXQ_OVFL received", len(drops), 1)
    if drops:
        c.eq("some dropped", drops[0] > 0, True)
        c.eq("socket_rcvbuff drops = SO_RXQ_OVFL",
             rb.get("drops_by_reason", {}).get("socket_rcvbuff"), drops[0])
        c.eq("rcv_errors = SO_RXQ_OVFL", rb.get("rcv_errors"), drops[0])
        c.eq("received + dropped", got + 1 + drops[0], n + 1)
        # Counted as they reach the socket, before its buffer refuses them.
        c.eq("packets_in = sent", rb.get("packets_in"), n + 1)
    c.done()
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
    two_hosts()
    port, n = 6002, 5 if DEBUG else 12
    with In(B):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", port))
    keep = drop_all_filter(srv)
    with In(A):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cli.connect((B4, port))
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                            socket.IPPROTO_UDP)
    sport = cli.getsockname()[1]
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
    time.sleep(0.3)
    rb = ports(B).get(("udp", port, "server"), {})
    c = Check()
    c.eq("drops by reason", rb.get("drops_by_reason"),
         {"socket_filter": n, "udp_csum": n})
    c.eq("drops", rb.get("drops"), 2 * n)
    c.done()
    del keep
    raw.close()
    cli.close()
    srv.close()


def test_udp_to_a_closed_port():
    """"No socket" drops equal the port unreachables the kernel sent."""
    two_hosts()
    run("sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", ns=B)
    port, n = 6001, 7
    before = snmp(B).get("IcmpMsg", {}).get("OutType3", 0)
    with In(A):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(n):
        cli.sendto(b"h" * 10, (B4, port))
        time.sleep(0.05)
    time.sleep(0.3)
    unreach = snmp(B).get("IcmpMsg", {}).get("OutType3", 0) - before
    b = ports(B)
    rb = b.get(("udp", port, "server"), {})
    c = Check()
    c.eq("port unreachables sent", unreach, n)
    c.eq("no_socket drops", rb.get("drops_by_reason", {}).get("no_socket"),
         unreach)
    c.eq("drops", rb.get("drops"), unreach)
    c.eq("rcv_errors", rb.get("rcv_errors"), 0)
    c.eq("packets_in (no socket saw them)", rb.get("packets_in"), 0)
    c.done()
    cli.close()


def test_tcp_connect_to_a_closed_port():
    """Resets sent and received, on both sides."""
    two_hosts()
    port = 7
    before = snmp(B)["Tcp"]["OutRsts"]
    with In(A):
        cli = socket.socket()
        cli.settimeout(30)
        err = cli.connect_ex((B4, port))
    time.sleep(0.3)
    a, b = ports(A), ports(B)
    ra = a.get(("tcp", port, "client"), {})
    rb = b.get(("tcp", port, "server"), {})
    c = Check()
    c.eq("connect", err, 111)
    c.eq("kernel's OutRsts", snmp(B)["Tcp"]["OutRsts"] - before, 1)
    c.eq("server resets_out", rb.get("resets_out"), 1)
    c.eq("server packets", (rb.get("packets_in"), rb.get("packets_out")),
         (0, 1))
    c.eq("server no_socket drop",
         rb.get("drops_by_reason", {}).get("no_socket"), 1)
    c.eq("client resets_in", ra.get("resets_in"), 1)
    c.eq("client packets", (ra.get("packets_out"), ra.get("packets_in")),
         (1, 1))
    c.eq("client connections", (ra.get("active"), ra.get("established"),
                                ra.get("closed")), (0, 0, 0))
    c.done()
    cli.close()


def test_retransmits_against_tcp_info():
    two_hosts()
    port = 5001
    lst, cli, srv = connection(port)
    # Segments with payload die on the way in, until the rule goes.
    run("nft", "-f", "-", ns=B, stdin=f"""
table inet vpdrop {{
    chain in {{ type filter hook input priority -300;
        tcp dport {port} meta length > 100 drop
    }}
}}
""")
    cli.sendall(b"s" * 500)
    deadline = time.time() + 60
    while tcp_info(cli)["retrans"] < 2 and time.time() < deadline:
        time.sleep(0.1)
    run("nft", "delete", "table", "inet", "vpdrop", ns=B)
    srv.settimeout(60)
    recv_exactly(srv, 500)
    time.sleep(0.3)
    ci = tcp_info(cli)
    ra = ports(A).get(("tcp", port, "client"), {})
    rb = ports(B).get(("tcp", port, "server"), {})
    c = Check()
    c.eq("retransmitted at all", ci["retrans"] >= 2, True)
    c.eq("client retrans = tcpi_total_retrans", ra.get("retrans"),
         ci["retrans"])
    c.eq("server retrans = its tcpi_total_retrans", rb.get("retrans"),
         tcp_info(srv)["retrans"])
    c.done()
    close(cli, srv, lst)


def test_namespaces_apart():
    """The same traffic in two pairs of namespaces: each sees its own."""
    two_hosts()
    lst, cli, srv = talk(5002, 100)
    c = Check()
    c.eq("A", sorted(ports(A)), [("tcp", 5002, "client")])
    c.eq("B", sorted(ports(B)), [("tcp", 5002, "server")])
    # The namespace the test runs in saw none of it.
    c.eq("init", [k for k in ports(None) if k[1] == 5002], [])
    every = json.loads(vstat("ports", "--json", "--all-namespaces").stdout)
    c.eq("all namespaces: two rows of 5002",
         len([r for r in every if r["port"] == 5002]), 2)
    c.done()
    close(cli, srv, lst)


def pinned():
    return sorted(os.listdir(PIN)) if os.path.exists(PIN) else []


def our_programs(want=None):
    """How many vp_ programs are loaded; with WANT, once it is WANT (a
    program goes some time after its last link: RCU, a work item)."""
    deadline = time.monotonic() + 20
    while True:
        out = json.loads(run("bpftool", "-j", "prog", "show").stdout)
        n = len([p for p in out if p.get("name", "").startswith("vp_")])
        if want is None or n == want or time.monotonic() > deadline:
            return n
        time.sleep(0.2)


def test_attach_detach_again_and_again():
    """Nothing is left behind; counting goes on after vstat exits."""
    rounds = 5 if DEBUG else 50
    c = Check()
    vstat("ports", "detach")
    c.eq("programs after detach", our_programs(0), 0)
    for _ in range(rounds):
        vstat("ports", "attach")
        vstat("ports", "detach")
    c.eq("programs after the rounds", our_programs(0), 0)
    c.eq("pins after the rounds", pinned(), [])
    vstat("ports", "attach", "--rows", "100")
    c.eq("pins", pinned(), ["conns", "drop_counts", "drop_index", "index",
                            "link_egress", "link_ingress",
                            "link_kfree_skb", "link_retransmit",
                            "link_set_state", "link_sock_create",
                            "traffic"])
    c.eq("programs", our_programs(6), 6)
    # tp_btf programs are of type "tracing" (raw_tp: "raw_tracepoint").
    link = json.loads(run("bpftool", "-j", "link", "show", "pinned",
                          f"{PIN}/link_set_state").stdout)
    prog = json.loads(run("bpftool", "-j", "prog", "show", "id",
                          str(link.get("prog_id"))).stdout)
    c.eq("BTF tracepoints loaded", prog.get("type"), "tracing")
    two_hosts()
    lst, cli, srv = talk(5003, 10)
    c.eq("counted after vstat exited",
         ports(B).get(("tcp", 5003, "server"), {}).get("payload_in"), 10)
    c.done()
    close(cli, srv, lst)
    attach()


def test_overflow_row():
    """A full table counts new keys in the overflow row: nothing lost."""
    attach("--rows", "4")
    two_hosts()
    with In(A):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for p in range(7000, 7006):
        cli.sendto(b"v" * 10, (B4, p))
    time.sleep(0.3)
    rows = json.loads(vstat("ports", "--json", "-A").stdout)
    over = [r for r in rows if r["role"] == "overflow"]
    c = Check()
    c.eq("rows", len(rows), 4)
    c.eq("an overflow row", len(over), 1)
    c.eq("datagrams sent, all counted",
         sum(r["packets_out"] for r in rows), 6)
    c.eq("their drops at B, all counted", sum(r["drops"] for r in rows), 6)
    c.eq("and each drop's reason",
         sum(r.get("drops_by_reason", {}).get("no_socket", 0)
             for r in rows), 6)
    text = vstat("ports", "-A").stdout
    c.eq("the table shows it", "(table full)" in text, True)
    # A connection when the table is full: its counters are the
    # overflow row's too, and the table stays four rows.
    lst, tcli, tsrv = talk(7100, 5)
    rows = json.loads(vstat("ports", "--json", "-A").stdout)
    c.eq("rows with a connection", len(rows), 4)
    c.eq("connections, all counted",
         (sum(r.get("active", 0) for r in rows),
          sum(r.get("passive", 0) for r in rows)), (1, 1))
    c.done()
    close(tcli, tsrv, lst)
    cli.close()
    attach()


def test_reset():
    two_hosts()
    lst, cli, srv = talk(5004, 10)
    vstat("ports", "reset")
    rb = ports(B).get(("tcp", 5004, "server"), {})
    c = Check()
    c.eq("after reset", (rb.get("packets_in"), rb.get("payload_in"),
                         rb.get("passive")), (0, 0, 0))
    c.eq("established stays", rb.get("established"), 1)
    cli.sendall(b"x" * 7)
    recv_exactly(srv, 7)
    time.sleep(0.3)
    rb = ports(B).get(("tcp", 5004, "server"), {})
    c.eq("counting again", rb.get("payload_in"), 7)
    c.done()
    close(cli, srv, lst)


def test_one_port_in_full():
    two_hosts()
    lst, cli, srv = talk(5005, 10)
    out = vstat("ports", "-N", B, "5005").stdout
    c = Check()
    c.eq("header", out.splitlines()[0] if out else "",
         "tcp 5005 (-), server")
    for label in ("packets_in", "payload_in", "passive", "established",
                  "set-up time (SYN to ESTABLISHED), microseconds:"):
        c.eq(f"has {label}", label in out, True)
    rows = json.loads(vstat("ports", "--json", "tcp", "5005",
                            "-N", B).stdout)
    c.eq("JSON rows", [(r["proto"], r["port"], r["role"]) for r in rows],
         [("tcp", 5005, "server")])
    c.done()
    close(cli, srv, lst)


def test_rates_are_changes():
    """-i: each interval shows what changed in it; with no traffic, 0."""
    two_hosts()
    lst, cli, srv = talk(5013, 100)
    out = vstat("ports", "-N", B, "--json", "-i", "1", "-c", "3").stdout
    docs = [json.loads(line) for line in out.splitlines() if line]
    c = Check()
    c.eq("documents", len(docs), 3)
    for i, d in enumerate(docs):
        for r in d:
            for k in ("packets_in", "packets_out", "bytes_in", "payload_in"):
                c.eq(f"interval {i} {r['proto']} {r['port']} {k}", r[k], 0)
    c.eq("the row is there", [(r["proto"], r["port"]) for r in docs[0]]
         if docs else [], [("tcp", 5013)])
    c.done()
    close(cli, srv, lst)


def test_ipv6_and_v4_mapped():
    two_hosts()
    with In(B):
        l6 = socket.socket(socket.AF_INET6)
        l6.bind(("::", 5010))
        l6.listen()
        l4 = socket.socket()
        l4.bind(("0.0.0.0", 5011))
        l4.listen()
    with In(A):
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
    time.sleep(0.3)
    a, b = ports(A), ports(B)
    c = Check()
    check_keys(c, A, a, [("tcp", 5010, "client"), ("tcp", 5011, "client")])
    check_keys(c, B, b, [("tcp", 5010, "server"), ("tcp", 5011, "server")])
    for port in (5010, 5011):
        ra = a.get(("tcp", port, "client"), {})
        rb = b.get(("tcp", port, "server"), {})
        c.eq(f"{port} payload", (ra.get("payload_out"), rb.get("payload_in")),
             (300, 300))
        c.eq(f"{port} connections", (ra.get("active"), rb.get("passive")),
             (1, 1))
        c.eq(f"{port} set-ups timed", (sum(ra.get("setup_us_log2", [])),
                                       sum(rb.get("setup_us_log2", []))),
             (1, 1))
    c.done()
    close(c6, c4, s6, s4, l6, l4)


def test_connection_older_than_the_programs():
    """A connection accepted before attach is still the server's."""
    vstat("ports", "detach")
    two_hosts()
    try:
        lst, cli, srv = talk(5012, 10)
    finally:
        attach()
    cli.sendall(b"o" * 20)
    recv_exactly(srv, 20)
    srv.sendall(b"p" * 30)
    recv_exactly(cli, 30)
    time.sleep(0.3)
    a, b = ports(A), ports(B)
    c = Check()
    check_keys(c, A, a, [("tcp", 5012, "client")])
    check_keys(c, B, b, [("tcp", 5012, "server")])
    rb = b.get(("tcp", 5012, "server"), {})
    c.eq("server payload", (rb.get("payload_in"), rb.get("payload_out")),
         (20, 30))
    c.done()
    close(cli, srv, lst)


def test_late_reply_to_a_client_gone():
    """A reply to a closed client socket is the service's drop, client
    side: no row for the client's ephemeral port."""
    two_hosts()
    with In(B):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", 5353))
    with In(A):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.sendto(b"q", (B4, 5353))
    srv.settimeout(30)
    _, peer = srv.recvfrom(100)
    cli.close()
    srv.sendto(b"late answer", peer)
    time.sleep(0.3)
    a = ports(A)
    ra = a.get(("udp", 5353, "client"), {})
    c = Check()
    check_keys(c, A, a, [("udp", 5353, "client")])
    c.eq("no_socket drop", ra.get("drops_by_reason", {}).get("no_socket"), 1)
    c.done()
    srv.close()


def test_raw_socket_not_counted_twice():
    """What a raw socket also receives is counted once."""
    two_hosts()
    with In(B):
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                            socket.IPPROTO_UDP)
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", 5014))
    with In(A):
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(3):
        cli.sendto(b"r" * 10, (B4, 5014))
    srv.settimeout(30)
    for _ in range(3):
        srv.recv(100)
    raw.settimeout(30)
    raw.recv(100)       # the raw socket got them too
    b = ports(B)
    rb = b.get(("udp", 5014, "server"), {})
    c = Check()
    check_keys(c, B, b, [("udp", 5014, "server")])
    c.eq("packets_in", rb.get("packets_in"), 3)
    c.eq("payload_in", rb.get("payload_in"), 30)
    c.done()
    close(raw, srv, cli)


def fails(args, msg, status=1, ns=None, pre=()):
    p = run(*pre, VSTAT, *args, ns=ns, check=False)
    got = p.stderr.strip()
    if p.returncode != status or msg not in got or "\n" in got:
        raise Failed(f"vstat {' '.join(args)}: exit {p.returncode}, "
                     f"'{got}'; want {status} and '{msg}'")


def test_errors():
    nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    c = Check()
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
        try:
            fails(args, msg, status, pre=pre)
        except Failed as e:
            c.bad.append(str(e))
    vstat("ports", "detach")
    try:
        fails(("ports",), "per-port statistics are not attached "
              "(try: vstat ports attach)")
        fails(("ports", "detach"), "per-port statistics are not attached")
        fails(("ports", "attach"), "this kernel has no BTF", 1,
              pre=("unshare", "-m", "--propagation", "private", "sh", "-c",
                   'mount -t tmpfs none /sys/kernel/btf && exec "$0" "$@"'))
        fails(("ports", "attach"), "bpffs is not mounted", 1,
              pre=("unshare", "-m", "--propagation", "private", "sh", "-c",
                   'umount /sys/fs/bpf && exec "$0" "$@"'))
    except Failed as e:
        c.bad.append(str(e))
    c.eq("nothing attached by the failures", pinned(), [])
    attach()
    c.done()


def transport(ns):
    out = json.loads(vstat("--json", "layers", "transport", ns=ns).stdout)
    return {r["key"]: r for r in out}


def exchange(port):
    lst, cli, srv = connection(port)
    cli.sendall(b"z" * 3000)
    srv.sendall(recv_exactly(srv, 3000))
    recv_exactly(cli, 3000)
    # One side closes first, so no segment meets a TIME_WAIT socket
    # (which no cgroup program sees).
    cli.close()
    srv.settimeout(30)
    if srv.recv(10):
        raise Failed("data after the client's FIN")
    srv.close()
    lst.close()
    with In(B):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", port))
    with In(A):
        v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for n in (5, 50, 500):
        v.sendto(b"k" * n, (B4, port))
    u.settimeout(30)
    for _ in range(3):
        u.recv(1000)
    u.close()
    v.close()
    time.sleep(0.5)


def test_agrees_with_the_module():
    """Per-port totals equal valley.ko's transport counters."""
    two_hosts()
    vstat("reset", ns=A)
    vstat("reset", ns=B)
    exchange(5006)
    c = Check()
    for ns in (A, B):
        rows, t = ports(ns), transport(ns)
        for proto, seg in (("tcp", "tcp.segments"), ("udp", "udp.datagrams")):
            mine = [r for k, r in rows.items() if k[0] == proto]
            for d in ("in", "out"):
                c.eq(f"{ns} {proto} packets_{d}",
                     sum(r[f"packets_{d}"] for r in mine), t[seg][d])
                c.eq(f"{ns} {proto} payload_{d}",
                     sum(r[f"payload_{d}"] for r in mine),
                     t[f"{proto}.payload_bytes"][d])
    c.done()


def test_without_the_module():
    """A stock kernel with BTF is enough."""
    run("rmmod", "valley")
    try:
        two_hosts()
        exchange(5007)
        a, b = ports(A), ports(B)
        c = Check()
        c.eq("A", sorted(a), [("tcp", 5007, "client"),
                              ("udp", 5007, "client")])
        c.eq("B", sorted(b), [("tcp", 5007, "server"),
                              ("udp", 5007, "server")])
        rb = b.get(("tcp", 5007, "server"), {})
        c.eq("tcp payload", (rb.get("payload_in"), rb.get("payload_out")),
             (3000, 3000))
        rb = b.get(("udp", 5007, "server"), {})
        c.eq("udp payload", rb.get("payload_in"), 555)
        c.done()
    finally:
        if KO:
            run("insmod", KO)


def skipped(test, why):
    """TEST, skipped for WHY (under its own name)."""
    def skip():
        raise KsftSkipEx(why)
    skip.__name__ = test.__name__
    return skip


def main():
    tests = [test_tcp_exchange_against_tcp_info,
             test_udp_datagrams_of_known_sizes,
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
        for n in (A, B):
            run("ip", "netns", "del", n, check=False)
        run(VSTAT, "ports", "detach", check=False)
    ksft_exit()


if __name__ == "__main__":
    main()
