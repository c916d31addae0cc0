#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# vstat sockets beside ss(8), its independent witness: random sets of TCP,
# UDP, raw and unix sockets in every state the test can hold still, listed
# by both and compared socket by socket (by inode); random filter
# expressions selecting the same sockets; malformed ones refused with
# exit status 2; -N, -s, -p, --events, the JSON field by field, and the
# listing without valley.ko.  Needs root, ss and ip; runs the ASan/UBSan
# build of vstat (VSTAT to change).  Runs on the net selftests' library of
# linux-source-6.12 (tests/ksft.sh), through valley_net.py; output is KTAP.

import errno
import fcntl
import functools
import json
import os
import pty
import random
import shlex
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

from valley_net import SRC, VSTAT, netns, run, run_bkg, vstat
# net/lib/py, which valley_net puts on the path.
from lib.py import (KsftFailEx, defer, ksft_busy_wait, ksft_eq,
                    ksft_exit, ksft_ge, ksft_in, ksft_run, ksft_true)

# Where the unix sockets' paths and files go: TMPDIR (the guest's /tmp is
# the host's, read-only, when the tree is under it).
TMP = tempfile.gettempdir()
SEED = int(os.environ.get("VALLEY_SEED", random.randrange(1 << 30)))
SO_COOKIE = 57
# Without raw_diag (a kernel built without it), ss reads /proc/net/raw and
# vstat lists no raw sockets: compare raw sockets only where it is.
RAW_DIAG = run("modprobe", "-q", "raw_diag", fail=False).ret == 0 \
    or os.path.exists("/sys/module/raw_diag")

NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def vstat_json(*args, pre=()):
    """vstat sockets --json ARGS, run after PRE (setpriv, env ...)."""
    p = run(*pre, VSTAT, "sockets", "--json", *args)
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        raise KsftFailEx(f"vstat sockets --json {shlex.join(args)}: "
                         f"not JSON: {e}")


def procs_env(how):
    """The prefix that has vstat -p find the processes HOW: by the BPF
    iterator ("bpf", "pinned") or the /proc scan ("proc")."""
    return ("env", f"VALLEY_PROCS={'bpf' if how == 'pinned' else how}")


def reap(pid):
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def fork_holding(make):
    """MAKE() in a forked child, which returns (text, objects): the child
    holds the objects until the case ends.  (Its pid, the text's words.)"""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        # Never back into ksft_run: the child has its defer queue too.
        try:
            os.close(r)
            text, held = make()
            os.write(w, f"{text}\n".encode())
            time.sleep(600)
        finally:
            os._exit(0)
    os.close(w)
    defer(reap, pid)
    with os.fdopen(r, "rb") as f:
        words = f.readline().split()
    if not words:
        raise KsftFailEx("the forked child said nothing")
    return pid, words


def close_all(socks):
    for s in socks:
        s.close()


def ino(s):
    return os.fstat(s.fileno()).st_ino


# ---- what a socket holds, to wait on ----

TCP_FIN_WAIT2, TCP_CLOSE_WAIT = 5, 8


def queued(s, req):
    """The bytes in S's receive queue (req FIONREAD, which is SIOCINQ) or
    its send queue (TIOCOUTQ, which is SIOCOUTQ; for TCP, not yet
    acknowledged)."""
    return struct.unpack("i", fcntl.ioctl(s, req, b"\0" * 4))[0]


def delivered(c, s, n):
    """Have C's N bytes all reached S, and been acknowledged?"""
    return queued(s, termios.FIONREAD) == n and \
        queued(c, termios.TIOCOUTQ) == 0


def in_state(s, state):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == state


def accept_queue(lst):
    """Connections waiting in listener LST's accept queue (tcp_info's
    tcpi_unacked, for a listener)."""
    info = lst.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 32)
    return struct.unpack_from("I", info, 24)[0]


def proc_addr(fam, addr):
    """(address, port) as /proc/net/tcp writes it: the address's 32-bit
    words in host order, in hex."""
    raw = socket.inet_pton(fam, addr[0])
    words = struct.unpack(f"={len(raw) // 4}I", raw)
    return "".join(f"{x:08X}" for x in words) + f":{addr[1]:04X}"


def time_wait(fam, local, peer):
    """Is the TCP socket LOCAL -> PEER in TIME-WAIT (/proc/net/tcp)?  Its
    file closed, the test has nothing else to ask."""
    want = f" {proc_addr(fam, local)} {proc_addr(fam, peer)} 06 "
    path = "/proc/net/tcp6" if fam == socket.AF_INET6 else "/proc/net/tcp"
    with open(path) as f:
        return any(want in line for line in f)


def waited(cond, what, *args):
    """COND(*ARGS) within 10 s; else a failed check (WHAT is the wait)."""
    ksft_busy_wait(functools.partial(cond, *args), sleep=0.01, deadline=10,
                   comment=what)


# ---- socket sets ----

class Set:
    """Sockets of every kind the test can hold in a known state."""

    def __init__(self, rng):
        self.rng = rng
        self.socks = []         # kept open
        self.tw = []            # (local, peer) of TIME-WAIT sockets
        self.kinds = set()
        self.settled = []       # what holds once the packets have landed

    def keep(self, *socks):
        self.socks.extend(socks)

    def when(self, cond, *args):
        """COND(*ARGS) holds once the set has settled."""
        self.settled.append(functools.partial(cond, *args))

    def settle(self):
        """Wait for the last ACKs and datagrams to land."""
        waited(lambda: all(f() for f in self.settled), "the sockets settle")

    def port(self):
        return self.rng.randrange(20000, 30000)

    def bind_free(self, s, addr):
        for _ in range(50):
            try:
                s.bind((addr, self.port()))
                return
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
        raise KsftFailEx("no free port")

    def tcp_pair(self, fam, addr, unread=0, backlog=4):
        lst = socket.socket(fam)
        self.bind_free(lst, addr)
        lst.listen(backlog)
        c = socket.create_connection(lst.getsockname()[:2])
        s, _ = lst.accept()
        if unread:
            c.send(b"x" * unread)
        return lst, c, s

    def build(self):
        r = self.rng
        for fam, addr in ((socket.AF_INET, "127.0.0.1"),
                          (socket.AF_INET6, "::1")):
            for _ in range(r.randrange(1, 4)):
                n = r.randrange(0, 300)
                lst, c, s = self.tcp_pair(fam, addr, n)
                self.keep(lst, c, s)
                self.when(delivered, c, s, n)
                self.kinds |= {"LISTEN", "ESTAB"}
            # close-wait and fin-wait-2: the client closes, the server not
            lst, c, s = self.tcp_pair(fam, addr)
            c.shutdown(socket.SHUT_WR)
            self.keep(lst, c, s)
            self.when(in_state, c, TCP_FIN_WAIT2)
            self.when(in_state, s, TCP_CLOSE_WAIT)
            # time-wait: the client closes after the server's FIN is in
            lst, c, s = self.tcp_pair(fam, addr)
            tw = (s.getsockname()[:2], s.getpeername()[:2])
            self.tw.append(tw)
            s.close()
            waited(in_state, "the server's FIN reaches the client", c,
                   TCP_CLOSE_WAIT)
            c.close()
            self.keep(lst)
            self.when(time_wait, fam, *tw)
            self.kinds.add("TIME-WAIT")
            # syn-sent: a listener whose accept queue is full drops SYNs
            lst = socket.socket(fam)
            self.bind_free(lst, addr)
            lst.listen(0)
            first = socket.create_connection(lst.getsockname()[:2])
            waited(lambda: accept_queue(lst) == 1, "the accept queue fills")
            waiting = socket.socket(fam)
            waiting.setblocking(False)
            waiting.connect_ex(lst.getsockname()[:2])
            self.keep(lst, first, waiting)
            for _ in range(r.randrange(1, 3)):
                u = socket.socket(fam, socket.SOCK_DGRAM)
                self.bind_free(u, r.choice([addr, "0.0.0.0" if
                                            fam == socket.AF_INET else "::"]))
                self.keep(u)
                v = socket.socket(fam, socket.SOCK_DGRAM)
                v.connect(u.getsockname()[:2])
                n = r.randrange(1, 100)
                v.send(b"y" * n)
                self.keep(v)
                # the size of the datagram waiting first, for UDP
                self.when(lambda u, n: queued(u, termios.FIONREAD) == n,
                          u, n)
                self.kinds |= {"UNCONN", "ESTAB"}
            if RAW_DIAG:
                self.keep(socket.socket(fam, socket.SOCK_RAW,
                                        socket.IPPROTO_ICMP if
                                        fam == socket.AF_INET else
                                        socket.IPPROTO_ICMPV6))
        for t in (socket.SOCK_STREAM, socket.SOCK_DGRAM,
                  socket.SOCK_SEQPACKET):
            a, b = socket.socketpair(socket.AF_UNIX, t)
            a.send(b"z" * r.randrange(1, 50))
            self.keep(a, b)
        path = os.path.join(TMP, f"vsk-{os.getpid()}-{r.randrange(1 << 20)}")
        u = socket.socket(socket.AF_UNIX)
        u.bind(path)
        u.listen(3)
        os.unlink(path)
        self.keep(u, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
        self.settle()

    def inodes(self):
        return {ino(s) for s in self.socks}

    def close(self):
        close_all(self.socks)


def addr_port(text):
    """ss's "addr:port" as (address, port), "*" as 0 and "::"."""
    addr, port = text.rsplit(":", 1)
    addr = addr.split("%")[0]
    if addr.startswith("["):
        addr = addr[1:-1]
    if addr == "*":
        addr = "::"
    return addr, 0 if port == "*" else int(port)


def ss_rows(*args, pre=()):
    """ss -H -n -e -O ARGS: one dict per socket, keyed by inode."""
    out = run(*pre, "ss", "-H", "-n", "-e", "-O", *args).stdout
    rows = {}
    for line in out.splitlines():
        t = line.split()
        if len(t) > 1 and t[1].isdigit():
            t.insert(1, "?")    # one state asked for: ss omits the column
        if len(t) < 6:
            continue
        if t[0] in ("???", "icmp6"):
            t[0] = "raw"        # ss names raw sockets by their protocol
        r = {"netid": t[0], "state": t[1], "recv_q": int(t[2]),
             "send_q": int(t[3]), "uid": 0}
        if t[0].startswith("u_"):
            r["path"] = None if t[4] == "*" else t[4]
            r["inode"] = int(t[5])
            r["peer_inode"] = int(t[7])
        else:
            r["local"] = addr_port(t[4])
            r["peer"] = addr_port(t[5])
            r["inode"] = 0
        for w in t[6:]:
            if w.startswith("uid:"):
                r["uid"] = int(w[4:])
            if w.startswith("ino:") and not t[0].startswith("u_"):
                r["inode"] = int(w[4:])
        rows[key(r)] = r
    return rows


def key(r):
    if r["inode"]:
        return r["inode"]
    return (r["netid"], r["local"], r["peer"])


def vstat_rows(*args, pre=()):
    rows = {}
    for r in vstat_json("-n", *args, pre=pre):
        r = dict(r)
        if "local_address" in r:
            r["local"] = (r["local_address"], r["local_port"])
            r["peer"] = (r["peer_address"], r["peer_port"])
        rows[key(r)] = r
    return rows


FIELDS = ("netid", "state", "local", "peer", "recv_q", "send_q", "uid",
          "path", "peer_inode")


def compare(ours, ss, vs, what):
    """Each of OURS in both listings, with the same FIELDS."""
    for name, rows in (("ss", ss), ("vstat", vs)):
        ksft_eq(sorted(map(str, ours - rows.keys()))[:5], [],
                f"{what}: sockets not in {name}")
    diff = []
    for k in ours & ss.keys() & vs.keys():
        for f in FIELDS:
            a, b = ss[k].get(f), vs[k].get(f)
            if f == "peer_inode":
                a, b = a or 0, b or 0
            if f == "uid" and ss[k]["netid"].startswith("u_"):
                continue        # ss -e shows no uid for unix sockets
            if a != b:
                diff.append((str(k), f, a, b))
    ksft_eq(sorted(diff)[:5], [],
            f"{what}: {len(diff)} differ (socket, field, ss, vstat)")


def ours_keys(st, ss):
    keys = set(st.inodes())
    for (l, p) in st.tw:
        for k in ss:
            if isinstance(k, tuple) and k[1] == l and k[2] == p:
                keys.add(k)
    return keys


# ---- tests ----

def other_user():
    """Sockets of nobody's, for fork_holding()."""
    os.setresuid(65534, 65534, 65534)
    s1 = socket.socket()
    s1.bind(("127.0.0.1", 0))
    s1.listen()
    s2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    return f"{ino(s1)} {ino(s2)}", (s1, s2)


def test_same_sockets_as_ss():
    """Every socket of a random set, field by field, in both listings."""
    st = Set(random.Random(SEED))
    defer(st.close)
    st.build()
    # some sockets of another user
    other = [int(x) for x in fork_holding(other_user)[1]]
    args = ("-a", "-t", "-u", "-w", "-x")
    ss = ss_rows(*args)
    vs = vstat_rows(*args)
    ours = ours_keys(st, ss) | set(other)
    ksft_ge(len(ours), 30, "sockets to compare")
    ksft_ge(len(st.tw), 2, "TIME-WAIT sockets to compare")
    compare(ours, ss, vs, f"seed {SEED}")
    for i in other:
        ksft_eq(vs.get(i, {}).get("uid"), 65534, f"uid of {i}")
    # an unprivileged user sees what ss shows them
    ss = ss_rows(*args, pre=NOBODY)
    vs = vstat_rows(*args, pre=NOBODY)
    compare(ours, ss, vs, f"seed {SEED}, as nobody")
    states = {vs[k]["state"] for k in ours if k in vs}
    for want in ("LISTEN", "ESTAB", "CLOSE-WAIT", "FIN-WAIT-2",
                 "TIME-WAIT", "SYN-SENT", "UNCONN"):
        ksft_in(want, states, "a state among ours")
    # the default: connected sockets only, as ss without -a
    ss = ss_rows("-t", "-u", "-x")
    vs = vstat_rows("-t", "-u", "-x")
    compare(ours_keys(st, ss) & set(ss), ss, vs, "default states")
    ksft_eq([k for k in vs if vs[k]["state"] in
             ("LISTEN", "UNCONN", "TIME-WAIT")], [],
            "unconnected sockets in the default listing")
    ss = ss_rows("-l", "-t", "-u", "-x")
    vs = vstat_rows("-l", "-t", "-u", "-x")
    ksft_eq(set(vs) & ours, set(ss) & ours, "-l sockets")


def random_expr(rng, ports, depth=0):
    if depth < 3 and rng.random() < 0.45:
        op = rng.choice(["and", "or"])
        a = random_expr(rng, ports, depth + 1)
        b = random_expr(rng, ports, depth + 1)
        e = f"( {a} {op} {b} )"
        return f"not {e}" if rng.random() < 0.2 else e
    kind = rng.choice(["sport", "dport", "src", "dst"])
    if kind in ("sport", "dport"):
        op = rng.choice(["=", "!=", "<", ">", "<=", ">="])
        return f"{kind} {op} :{rng.choice(ports)}"
    # Not /0: ss runs its filter twice, in the kernel, where 0.0.0.0/0 is
    # any IPv4 address, and again itself, where it is any address at all.
    addr = rng.choice(["127.0.0.1", "127.0.0.0/8", "10.0.0.0/8", "[::1]",
                       "::1/128", "127.0.0.2/31", "127.0.0.1:" +
                       str(rng.choice(ports)), "[::1]:" +
                       str(rng.choice(ports))])
    return f"{kind} {addr}"


def test_filters_as_ss():
    """Random expressions select the same sockets in the kernel as ss's."""
    rng = random.Random(SEED + 1)
    st = Set(rng)
    defer(st.close)
    st.build()
    ss_all = ss_rows("-a", "-t", "-u")
    ours = ours_keys(st, ss_all)
    # first, while the TIME-WAIT sockets last (60 s, and a debug kernel is
    # slow)
    for st_name in ("time-wait", "established", "listening", "connected",
                    "bucket"):
        ss = set(ss_rows("-t", "-u", "state", st_name)) & ours
        vs = set(vstat_rows("-t", "-u", "state", st_name)) & ours
        ksft_eq(vs, ss, f"state {st_name}")
        ksft_true(ss, f"one of ours is {st_name}")
    # TIME-WAIT sockets may go between two listings: not those
    ours = {k for k in ours if not isinstance(k, tuple)}
    ports = sorted({ss_all[k]["local"][1] for k in ours if k in ss_all})
    sizes = set()
    for _ in range(40):
        e = random_expr(rng, ports)
        ss = set(ss_rows("-a", "-t", "-u", e)) & ours
        vs = set(vstat_rows("-a", "-t", "-u", e)) & ours
        ksft_eq((sorted(map(str, ss - vs))[:4], sorted(map(str, vs - ss))[:4]),
                ([], []), f"seed {SEED + 1}: '{e}': (ss's more, vstat's more)")
        sizes.add(len(ss))
    ksft_ge(len(sizes), 4, f"how many sizes the expressions chose: {sizes}")


MALFORMED = [
    ("sport = foo", "vstat: bad filter: 'foo' is not a port (a number to "
     "65535 or a service name, as :22 or :ssh)", "        ^^^"),
    ("( sport = :22", "vstat: bad filter: a parenthesis is not closed",
     "             ^"),
    ("sport = :22 )", "vstat: bad filter: ')' cannot follow here "
     "(unbalanced parenthesis?)", "            ^"),
    ("src 10.0.0.0/33", "vstat: bad filter: '10.0.0.0/33' is not an address "
     "(as 10.0.0.1, 10.0.0.0/8:22, [::1]:80, :22)", "    ^^^^^^^^^^^"),
    ("state bogus", "vstat: bad filter: 'bogus' is not a state "
     "(established, listening, syn-sent, ..., or connected, synchronized, "
     "bucket, big, all)", "      ^^^^^"),
    ("dport = :80 and", "vstat: bad filter: the expression ends too early",
     "               ^"),
    ("src < 10.0.0.1", "vstat: bad filter: '<' is not = or != (addresses "
     "compare by prefix)", "    ^"),
    ("dport = :80 bogus", "vstat: bad filter: 'bogus' is not sport, dport, "
     "src, dst, not or a parenthesis", "            ^^^^^"),
]


def test_malformed_filters():
    """A bad expression: the message, a caret under the word, exit 2."""
    for expr, msg, caret in MALFORMED:
        p = vstat("sockets", "-t", expr, fail=False)
        ksft_eq(p.ret, 2, f"'{expr}' exit status")
        ksft_eq(p.stdout, "", f"'{expr}' stdout")
        ksft_eq(p.stderr.splitlines(), [msg, "  " + expr, "  " + caret],
                f"'{expr}' message")
    p = vstat("sockets", "--bogus", fail=False)
    ksft_eq(p.ret, 2, "unknown option status")
    p = vstat("sockets", "-x", "-4", fail=False)
    ksft_eq(p.ret, 2, "-x -4 status")


def ns_python(ns, code):
    """python3 -c CODE in namespace NS, until the case ends; the words of
    its first line of output."""
    p = run_bkg(sys.executable, "-c", code, ns=ns, exit_wait=False)
    defer(p.process)
    line = p.proc.stdout.readline()
    if not line:
        raise KsftFailEx("the process in the namespace said nothing")
    return line.split()


NS_CODE = """
import os, socket, time
l = socket.socket(); l.bind(("127.0.0.1", 7001)); l.listen(7)
m = socket.socket(socket.AF_INET6); m.bind(("::1", 7002)); m.listen(2)
c = socket.create_connection(("127.0.0.1", 7001)); s, _ = l.accept()
c.send(b"abcde")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 7003))
ino = lambda x: os.fstat(x.fileno()).st_ino
print(ino(l), ino(m), ino(c), ino(s), ino(u), flush=True)
time.sleep(600)
"""


def listed(rows, want, what):
    """Are the inodes of ROWS ({inode: row}) WANT?  What follows reads
    WANT's rows: the case stops if some are missing."""
    ksft_eq(set(rows), want, what)
    if not want <= set(rows):
        raise KsftFailEx(f"{what}: {sorted(want - set(rows))} missing")


def test_other_namespace_and_summary():
    """-N NAME lists NAME's sockets, exactly, and -s counts them."""
    ns = netns()
    defer(ns.__del__)
    l, m, c, s, u = map(int, ns_python(ns.name, NS_CODE))
    rows = {r["inode"]: r for r in vstat_json("-N", ns.name, "-a", "-n")}
    listed(rows, {l, m, c, s, u}, "inodes")
    ksft_eq(rows[l], {
        "netid": "tcp", "state": "LISTEN", "recv_q": 0, "send_q": 7,
        "local_address": "127.0.0.1", "local_port": 7001,
        "peer_address": "0.0.0.0", "peer_port": 0, "inode": l,
        "uid": 0, "cookie": rows[l]["cookie"]}, "listener")
    ksft_eq((rows[m]["local_address"], rows[m]["local_port"]),
            ("::1", 7002), "v6 listener address")
    ksft_eq(rows[s]["recv_q"], 5, "server recv_q")
    ksft_eq((rows[c]["peer_address"], rows[c]["peer_port"],
             rows[c]["state"]), ("127.0.0.1", 7001, "ESTAB"), "client peer")
    ksft_eq((rows[u]["netid"], rows[u]["state"], rows[u]["local_port"]),
            ("udp", "UNCONN", 7003), "udp")
    ss = run("ss", "-H", "-t", "-a", "-n", ns=ns).stdout.splitlines()
    text = vstat("sockets", "-N", ns.name, "-t", "-a", "-n",
                 "-H").stdout.splitlines()
    ksft_eq(len(text), len(ss), "text lines")
    want = "tcp   LISTEN      0      7 127.0.0.1:7001"
    ksft_true(any(t.startswith(want + " ") for t in text),
              f"a line '{want}' in {text}")
    here = {r["inode"] for r in vstat_json("-a")}
    ksft_eq(here & {l, m, c, s, u}, set(),
            "the namespace's sockets that show outside it")
    summ = vstat_json("-N", ns.name, "-s", "-t", "-u")
    ksft_eq(summ["total"], 5, "total")
    by = {n["netid"]: n for n in summ["netids"]}
    tcp, udp = by.get("tcp", {}), by.get("udp", {})
    ksft_eq((tcp.get("total"), tcp.get("states")),
            (4, {"ESTAB": 2, "LISTEN": 2}), "tcp")
    ksft_eq((udp.get("total"), udp.get("states")), (1, {"UNCONN": 1}),
            "udp")
    p = vstat("sockets", "-N", "vsk-none", fail=False)
    ksft_eq((p.ret, p.stderr.strip()),
            (1, "vstat: no network namespace 'vsk-none' "
             "(/run/netns/vsk-none: No such file or directory)"),
            "unknown namespace")


def test_json_and_extras():
    """-e, -m, -i, -o: text and JSON from the same sockets agree."""
    lst = socket.socket()
    defer(lst.close)
    lst.bind(("127.0.0.1", 0))
    lst.listen(3)
    port = lst.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", port))
    defer(c.close)
    s, _ = lst.accept()
    defer(s.close)
    c.send(b"q" * 1000)
    s.recv(10)
    waited(delivered, "the 1000 bytes land, acknowledged", c, s, 990)
    e = f"sport = :{port} or dport = :{port}"
    rows = {r["inode"]: r for r in vstat_json("-t", "-a", "-e", "-m", "-i",
                                              "-o", e)}
    listed(rows, {ino(lst), ino(c), ino(s)}, "inodes")
    rs = rows[ino(s)]
    ksft_eq(rs["recv_q"], 990, "recv_q")
    ksft_eq(rs["skmem"]["rcvbuf"],
            s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), "rcvbuf")
    ksft_eq(rs["skmem"]["sndbuf"],
            s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF), "sndbuf")
    ksft_eq(rs["cookie"], int.from_bytes(
        s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8), "little"), "cookie")
    rc = rows[ino(c)]
    ksft_eq(rc["tcp_info"]["bytes_acked"], 1001, "bytes_acked")
    ksft_eq(rs["tcp_info"]["bytes_received"], 1000, "bytes_received")
    ksft_eq(rc["tcp_info"]["mss"], c.getsockopt(
        socket.IPPROTO_TCP, socket.TCP_MAXSEG), "mss")
    ksft_eq(rc["tcp_info"]["congestion"], c.getsockopt(
        socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0")
        .decode(), "congestion")
    ksft_eq(rows[ino(lst)]["timer"]["name"], "off", "listener timer")
    one_line(e, s, rs, port)
    lines_of(e, s, rs)
    # ports by name without -n
    text = vstat("sockets", "-t", "-l", "-H", f"sport = :{port}").stdout
    ksft_eq(text.split()[4], f"127.0.0.1:{port}", "numeric without a name")


def one_line(e, s, rs, port):
    """-O: one line a socket; the columns as wide as their widest cell or
    title ("Local Address:Port")."""
    text = vstat("sockets", "-t", "-a", "-n", "-e", "-m", "-H", "-O",
                 e).stdout
    line = [t for t in text.splitlines() if f"ino:{ino(s)} " in t]
    ksft_eq(len(line), 1, "text lines for the server")
    if not line:
        return
    want = f"tcp   ESTAB     990      0 {f'127.0.0.1:{port}':18} "
    ksft_true(line[0].startswith(want),
              f"text line {line[0]!r} starts {want!r}")
    ksft_in(f" uid:0 sk:{rs['cookie']:x} skmem:(r", line[0], "-e, -m")
    ksft_in(f",rb{rs['skmem']['rcvbuf']},", line[0], "the receive buffer")


def lines_of(e, s, rs):
    """Without -O, as ss: memory and TCP information on a line of their
    own, after a tab; -e, -o and -p stay on the socket's line."""
    for opts, n in ((("-e", "-m", "-i", "-o", "-p"), 6),
                    (("-e", "-m", "-i", "-o", "-p", "-O"), 3),
                    (("-e", "-o", "-p"), 3)):
        how = " ".join(opts)
        text = vstat("sockets", "-t", "-a", "-n", "-H", *opts,
                     e).stdout.splitlines()
        ksft_eq(len(text), n, f"lines with {how}")
        first = [i for i, t in enumerate(text) if f"ino:{ino(s)} " in t]
        ksft_eq(len(first), 1, f"server's lines with {how}")
        if not first:
            continue
        t = text[first[0]]
        for w in ("timer:(", f"uid:0 sk:{rs['cookie']:x}",
                  f'users:(("python3",pid={os.getpid()},fd={s.fileno()}))'):
            ksft_in(w, t, how)
        if "-m" not in opts:
            ksft_eq([w for w in ("skmem", "rtt:") if w in "".join(text)],
                    [], f"{how}: -m's fields without -m")
        elif "-O" in opts:
            ksft_in(" skmem:(r", t, "-O: on one line")
            ksft_in(" rtt:", t, "-O: on one line")
        else:
            nxt = text[first[0] + 1]
            ksft_true(" skmem" not in t, f"{how}: no skmem on {t!r}")
            ksft_true(nxt.startswith("\t skmem:(r"),
                      f"{how}: the line after the server's, {nxt!r}")
            ksft_in(" rtt:", nxt, f"{how}: the line after the server's")
            ksft_in(" bytes_received:1000 ", nxt,
                    f"{how}: the line after the server's")


NOBODY_HOLDS = """
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.fileno(), s.getsockname()[1], flush=True)
time.sleep(600)
"""


def in_child(*inherited):
    """For fork_holding(): a socket at its fd and at fd 77, and none of
    INHERITED."""
    close_all(inherited)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::1", 0))
    os.dup2(s.fileno(), 77)
    return f"{ino(s)} {s.fileno()}", s


def test_processes():
    """-p names the pid, name and fd holding each socket: in a thread, in
    a forked child."""
    main = socket.socket()
    defer(main.close)
    main.bind(("127.0.0.1", 0))
    main.listen()
    got = {}

    def thread():
        got["t"] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        got["t"].bind(("127.0.0.1", 0))
    t = threading.Thread(target=thread)
    t.start()
    t.join()
    defer(got["t"].close)
    pid, words = fork_holding(functools.partial(in_child, main, got["t"]))
    child_ino, child_fd = map(int, words)
    me = os.getpid()
    unpin()
    defer(unpin)
    # the BPF iterator (which every test kernel can run): loaded, then
    # from the pin the first run left; the /proc scan
    for how in ("bpf", "pinned", "proc"):
        rows = {x["inode"]: x for x in vstat_json("-a", "-p", "-t", "-u",
                                                  pre=procs_env(how))}
        if how == "bpf":
            pin = pinned()
            ksft_eq(len(pin), 1, f"one pin in {PIN_DIR}")
        elif how == "pinned":
            ksft_eq(pinned(), pin, "the next run reads the same pin")
        ksft_eq(rows.get(ino(main), {}).get("processes"),
                [{"name": "python3", "pid": me, "fd": main.fileno()}],
                f"main, {how}")
        ksft_eq(rows.get(ino(got["t"]), {}).get("processes"),
                [{"name": "python3", "pid": me, "fd": got["t"].fileno()}],
                f"thread, {how}")
        procs = rows.get(child_ino, {}).get("processes") or []
        ksft_eq(sorted((p["pid"], p["fd"]) for p in procs),
                [(pid, child_fd), (pid, 77)], f"child, {how}")
        text = run(*procs_env(how), VSTAT, "sockets", "-a", "-p", "-t", "-H",
                   "-n", f"sport = :{main.getsockname()[1]}").stdout
        want = f'users:(("python3",pid={me},fd={main.fileno()}))'
        ksft_true(text.rstrip().endswith(want),
                  f"{how}: text {text!r} ends with {want}")
    many_sockets(me)
    unprivileged(main)
    pid_namespace(pin)
    pin_dir_not_ours(main, pin[0][0])


IN_PIDNS = """
import json, os, socket, subprocess, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
for how in ("bpf", "proc"):
    p = subprocess.run([sys.argv[1], "sockets", "--json", "-tlp",
                        f"sport = :{s.getsockname()[1]}"], check=True,
                       env=dict(os.environ, VALLEY_PROCS=how),
                       capture_output=True, text=True)
    print(how, json.dumps({"pid": os.getpid(), "fd": s.fileno(),
                           "rows": json.loads(p.stdout)}))
"""


def pid_namespace(pin):
    """In a pid namespace of its own, -p numbers processes as that
    namespace does (as its /proc), both ways; the BPF way from the pin
    PIN a run in the initial namespace left."""
    out = run("unshare", "--pid", "--fork", "--mount-proc", sys.executable,
              "-c", IN_PIDNS, VSTAT).stdout
    for line in out.splitlines():
        how, got = line.split(" ", 1)
        got = json.loads(got)
        ksft_eq([r.get("processes") for r in got["rows"]],
                [[{"name": "python3", "pid": got["pid"], "fd": got["fd"]}]],
                f"-p in a pid namespace, {how}")
    ksft_eq(len(out.splitlines()), 2, "both ways ran")
    ksft_eq(pinned(), pin, "the pid namespace's run read the same pin")


PIN_DIR = "/sys/fs/bpf/valley-sockets"


def unpin():
    """No pinned iterator: the next -p run loads it."""
    run("rm", "-rf", PIN_DIR)


def pinned():
    """The pins in PIN_DIR, by name and inode (a new pin, a new inode);
    the directory must be root's alone."""
    st = os.stat(PIN_DIR)
    ksft_eq((st.st_uid, oct(st.st_mode & 0o777)), (0, "0o700"),
            f"{PIN_DIR}: owner, mode")
    return sorted((n, os.stat(os.path.join(PIN_DIR, n)).st_ino)
                  for n in os.listdir(PIN_DIR))


def pin_dir_not_ours(main, name):
    """A pin directory another user made (/sys/fs/bpf may be open to
    all) is neither read nor pinned into: -p still answers right.  What
    it holds under the pin's NAME (a map: reading it fails, and vstat
    would unlink it) stays."""
    unpin()
    os.mkdir(PIN_DIR, 0o700)
    os.chown(PIN_DIR, 65534, 65534)
    planted = os.path.join(PIN_DIR, name)
    run("bpftool", "map", "create", planted, "type", "array", "key", 4,
        "value", 4, "entries", 1, "name", "vl_planted")
    want = [(name, os.stat(planted).st_ino)]
    for _ in range(2):
        rows = vstat_json("-t", "-l", "-p",
                          f"sport = :{main.getsockname()[1]}",
                          pre=procs_env("bpf"))
        ksft_eq([r.get("processes") for r in rows],
                [[{"name": "python3", "pid": os.getpid(),
                   "fd": main.fileno()}]], "-p beside a foreign pin dir")
    ksft_eq([(n, os.stat(os.path.join(PIN_DIR, n)).st_ino)
             for n in os.listdir(PIN_DIR)], want,
            "nothing read from it or pinned into it")


def many_sockets(me):
    """Many sockets: the dump's replies come in many datagrams, which
    vstat keeps while the process map is made, then hands on."""
    many = []
    defer(close_all, many)
    for _ in range(600):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        many.append(u)
        u.bind(("127.0.0.1", 0))
    # on one CPU, the other way: the scan first, no thread
    one_cpu = ("taskset", "-c", "0")
    for how, pre in (("bpf", procs_env("bpf")), ("proc", procs_env("proc")),
                     ("bpf, one CPU", one_cpu + procs_env("bpf"))):
        rows = vstat_json("-a", "-p", "-u", "-4", pre=pre)
        by_ino = {x["inode"]: x.get("processes") for x in rows}
        wrong = [u.fileno() for u in many if by_ino.get(ino(u)) !=
                 [{"name": "python3", "pid": me, "fd": u.fileno()}]]
        ksft_eq(wrong[:5], [], f"600 sockets' holders, {how}: wrong for fds")


def unprivileged(main):
    """Unprivileged: no BPF, so the /proc scan, which sees the caller's
    own processes only (as ss -p)."""
    held = run_bkg(*NOBODY, sys.executable, "-c", NOBODY_HOLDS,
                   exit_wait=False)
    defer(held.process)
    fd, port = map(int, held.proc.stdout.readline().split())
    mine = main.getsockname()[1]
    rows = vstat_json("-t", "-l", "-p", f"sport = :{port} or sport = "
                      f":{mine}", pre=NOBODY)
    ksft_eq(sorted((r["local_port"], r.get("processes")) for r in rows),
            sorted([(port, [{"name": "python3", "pid": held.proc.pid,
                             "fd": fd}]),
                    (mine, None)]), "unprivileged -p")
    p = run(*NOBODY, *procs_env("bpf"), VSTAT, "sockets", "-t", "-p",
            fail=False)
    ksft_eq((p.ret, p.stderr.strip()),
            (1, "vstat: cannot tell which processes hold the sockets"),
            "unprivileged, BPF only")


def test_sort():
    """--sort: by local port, by queue (fullest first), by state."""
    rng = random.Random(SEED + 2)
    st = Set(rng)
    defer(st.close)
    for _ in range(4):
        n = rng.randrange(1, 2000)
        lst, c, s = st.tcp_pair(socket.AF_INET, "127.0.0.1", n)
        st.keep(lst, c, s)
        st.when(delivered, c, s, n)
    st.settle()
    mine = st.inodes()
    expr = " or ".join(f"sport = :{x.getsockname()[1]}" for x in st.socks)
    order = {"ESTAB": 1, "LISTEN": 10}
    for key, value, rev in (
            ("port", lambda r: r["local_port"], False),
            ("queue", lambda r: r["recv_q"] + r["send_q"], True),
            ("state", lambda r: order[r["state"]], False)):
        rows = [r for r in vstat_json("-t", "-a", "-n", "--sort", key, expr)
                if r["inode"] in mine]
        ksft_eq(len(rows), 12, f"--sort {key} sockets")
        got = [value(r) for r in rows]
        ksft_eq(got, sorted(got, reverse=rev), f"--sort {key}")
        ksft_ge(len(set(got)), 2, f"--sort {key}: values not all alike, {got}")
    p = vstat("sockets", "--sort", "size", fail=False)
    ksft_eq((p.ret, p.stderr.strip()),
            (2, "vstat: --sort takes state, port, queue, rtt or bytes, "
             "not 'size'"), "--sort size")


def pty_run(args, cols):
    """ARGS with its stdout on a terminal COLS wide (no COLUMNS); lib.py
    has nothing for terminals."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols,
                                                       0, 0))
    e = dict(os.environ)
    e.pop("COLUMNS", None)
    p = subprocess.Popen(args, stdout=slave, stderr=subprocess.PIPE, env=e)
    os.close(slave)
    out = b""
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:         # EIO: the terminal's other end has gone
            break
        if not b:
            break
        out += b
    os.close(master)
    if p.wait() != 0:
        raise KsftFailEx(f"{shlex.join(args)}: exit {p.returncode}")
    return out.decode().replace("\r\n", "\n")


def test_columns():
    """Columns as wide as their widest cell or title, fitted to the
    terminal (COLUMNS, else the terminal's width, else 80): addresses give
    up their room, down to their titles' width."""
    lst = socket.socket(socket.AF_INET6)
    defer(lst.close)
    lst.bind(("::ffff:127.0.0.1", 0))
    lst.listen(5)
    port = lst.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", port))
    defer(c.close)
    s, _ = lst.accept()
    defer(s.close)
    addr = f"[::ffff:127.0.0.1]:{port}"
    peer = f"[::ffff:127.0.0.1]:{c.getsockname()[1]}"
    args = (VSTAT, "sockets", "-t", "-a", "-n", f"sport = :{port}")
    wide = max(len(addr), len(peer))

    def lines(cols, pty_cols=None):
        if pty_cols:
            return pty_run(args, pty_cols).splitlines()
        columns = ("-u", "COLUMNS") if not cols else (f"COLUMNS={cols}",)
        return run("env", *columns, *args).stdout.splitlines()

    # wide enough: the data's widths
    want_wide = [
        f"Netid State  Recv-Q Send-Q {'Local Address:Port':{wide}} "
        f"{'Peer Address:Port':{len(peer)}} ",
        f"tcp   LISTEN      0      5 {addr:{wide}} {'*:*':{len(peer)}} ",
        f"tcp   ESTAB       0      0 {addr:{wide}} {peer:{len(peer)}} "]
    # 60 columns: 28 for the first four, 30 for the addresses, and never
    # narrower than their titles
    want_narrow = [
        "Netid State  Recv-Q Send-Q Local Address:Port "
        "Peer Address:Port ",
        f"tcp   LISTEN      0      5 {addr:18} {'*:*':17} ",
        f"tcp   ESTAB       0      0 {addr:18} {peer:17} "]
    for what, got, want in (
            ("COLUMNS=200", lines(200), want_wide),
            ("COLUMNS=60", lines(60), want_narrow),
            ("no terminal, 80 columns", lines(None), want_wide),
            ("a terminal of 200 columns", lines(None, 200), want_wide),
            ("a terminal of 60 columns", lines(None, 60), want_narrow)):
        ksft_eq(sorted(got), sorted(want), what)


def test_service_names():
    """Ports by name: valley's service table (when valley.ko is loaded),
    then /etc/services; -n numeric."""
    known = {}
    with open("/etc/services") as f:
        for line in f:
            t = line.split()
            if len(t) >= 2 and not t[0].startswith("#") and \
               t[1].endswith("/tcp"):
                known.setdefault(int(t[1].split("/")[0]), t[0])
    lst = None
    for port in sorted(p for p in known if 1024 < p < 10000):
        try:
            lst = socket.socket()
            lst.bind(("127.0.0.1", port))
            break
        except OSError:
            lst.close()
            lst = None
    if not lst:
        raise KsftFailEx("no port of /etc/services free to bind")
    defer(lst.close)
    lst.listen()
    loaded = os.path.exists("/sys/module/valley")
    args = ("sockets", "-t", "-l", "-H", f"sport = :{port}")

    def local(*more):
        return vstat(*args[:-1], *more, args[-1]).stdout.split()[4]
    ksft_eq(local(), f"127.0.0.1:{known[port]}", "/etc/services")
    ksft_eq(local("-n"), f"127.0.0.1:{port}", "-n")
    if not loaded:
        return
    vstat("service", "add", port, "vsk-svc")
    with defer(vstat, "service", "del", port):
        ksft_eq(local(), "127.0.0.1:vsk-svc", "valley's table first")
        ksft_eq(local("-n"), f"127.0.0.1:{port}", "-n with the table")
        rows = vstat_json("-t", "-l", f"sport = :{port}")
        ksft_eq(rows[0]["local_port"], port, "JSON keeps the number")
    ksft_eq(local(), f"127.0.0.1:{known[port]}", "after del")


def listening_for_events(pid):
    """Has PID's sock_diag socket joined a multicast group yet?"""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(int(link[8:-1]))
    with open("/proc/net/netlink") as f:
        for line in f.readlines()[1:]:
            t = line.split()
            # sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
            if t[1] == "4" and int(t[3], 16) and int(t[9]) in inodes:
                return True
    return False


def test_events():
    """--events: each TCP and UDP socket destroyed, once, by cookie."""
    p = run_bkg(VSTAT, "sockets", "--events", "--json", "-t", "-u",
                exit_wait=False)
    defer(p.process)

    def joined():
        """vstat listens; or it has ended, and never will."""
        return p.proc.poll() is not None or listening_for_events(p.proc.pid)
    ksft_busy_wait(joined, sleep=0.05, deadline=30,
                   comment="vstat --events joins the groups")
    if p.proc.poll() is not None or not listening_for_events(p.proc.pid):
        raise KsftFailEx("vstat --events never joined the groups")
    cookies = []
    for fam, addr in ((socket.AF_INET, "127.0.0.1"),
                      (socket.AF_INET6, "::1")):
        for t in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(fam, t)
            s.bind((addr, 0))
            cookies.append(int.from_bytes(s.getsockopt(
                socket.SOL_SOCKET, SO_COOKIE, 8), "little"))
            s.close()
    seen = []

    def until(want):
        while set(want) - {c for c, _ in seen}:
            line = p.proc.stdout.readline()
            if not line:
                raise KsftFailEx(f"vstat --events ended; saw {seen}")
            r = json.loads(line)
            seen.append((r["cookie"], r["netid"]))
    until(cookies)
    # once each: a socket destroyed after them shows, and none of them
    # twice before it
    last = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    last.bind(("127.0.0.1", 0))
    end = int.from_bytes(last.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8),
                         "little")
    last.close()
    until([end])
    mine = [x for x in seen if x[0] in cookies]
    ksft_eq(sorted(mine), sorted(zip(cookies, ["tcp", "udp", "tcp", "udp"])),
            "events")


def test_resolver_that_never_answers():
    """-r: names from /etc/hosts; a DNS server that never answers costs a
    bounded time once, and the addresses stay numeric."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    defer(silent.close)
    silent.bind(("127.0.0.9", 53))
    lst = [socket.socket() for _ in range(2)]
    defer(close_all, lst)
    for i, s in enumerate(lst):
        s.bind((f"127.0.0.{7 + i}", 0))
        s.listen()
    conf = os.path.join(TMP, f"vsk-resolv-{os.getpid()}")
    with open(conf, "w") as f:
        # without vstat's limit: 5 tries of 30 s for each address
        f.write("nameserver 127.0.0.9\noptions timeout:30 attempts:5\n")
    defer(os.unlink, conf)
    expr = "src 127.0.0.7 or src 127.0.0.8"
    start = time.monotonic()
    p = run("unshare", "-m", "sh", "-c",
            'mount --bind "$0" /etc/resolv.conf && exec "$@"', conf,
            VSTAT, "sockets", "-t", "-l", "-r", "-n", "-H", expr)
    took = time.monotonic() - start
    ksft_true(took <= 20, f"-r took {took:.0f} s with a silent resolver")
    got = sorted(line.split()[4] for line in p.stdout.splitlines())
    ksft_eq(got, sorted(f"127.0.0.{7 + i}:{s.getsockname()[1]}"
                        for i, s in enumerate(lst)), "addresses")
    # Not vacuous: the lookup asked the silent server, or vstat gave up
    # waiting (a slow guest may not have sent the query in 1.5 s).
    silent.setblocking(False)
    try:
        silent.recv(512)
        asked = True
    except BlockingIOError:
        asked = False
    ksft_true(asked or took >= 1.5, f"the resolver was asked, or -r took "
              f"1.5 s or more (it took {took:.1f} s)")
    # a name from /etc/hosts
    c = socket.socket()
    defer(c.close)
    c.bind(("127.0.0.1", 0))
    c.connect(lst[0].getsockname())
    rows = vstat_json("-t", "-r", "-n", f"sport = :{c.getsockname()[1]}")
    ksft_eq([r.get("local_host") for r in rows],
            [socket.gethostbyaddr("127.0.0.1")[0]], "local_host")


def vcat_listening(*args):
    """A vcat (ASan build) listening with ARGS, ended at the with block's
    end."""
    return run_bkg(os.path.join(SRC, "build/san/vcat"), *args,
                   exit_wait=False)


def valley_filter():
    """valley sockets are listed with --valley and filtered on their ports
    (by vstat: the kernel's bytecode is inet_diag's).  The vcats end with
    the function, before valley.ko goes."""
    with vcat_listening("-l", 5170), vcat_listening("-u", "-l", 5171), \
            vcat_listening("-s", "-l", 5172):
        ksft_busy_wait(lambda: len(vstat_json("--valley", "-a")) >= 3,
                       sleep=0.05, deadline=30,
                       comment="the vcat listeners show")
        if len(vstat_json("--valley", "-a")) < 3:
            raise KsftFailEx("the vcat listeners never showed")
        for expr, want in (("sport = :5170", [("v_str", "LISTEN", 5170)]),
                           ("sport > :5170 and not sport = :5172",
                            [("v_dgr", "UNCONN", 5171)]),
                           ("dport = :0 and sport >= :5172",
                            [("v_seq", "LISTEN", 5172)]),
                           ("src 127.0.0.1", [])):
            got = [(r["netid"], r["state"], r["local_port"])
                   for r in vstat_json("--valley", "-a", expr)]
            ksft_eq(got, want, f"valley '{expr}'")


def test_without_valley_module():
    """valley sockets filtered on their ports; then without valley.ko: the
    same listing, no valley rows, exit 0."""
    ko = os.environ.get("VALLEY_KO")
    loaded = os.path.exists("/sys/module/valley")
    if loaded and not ko:
        raise KsftFailEx("valley is loaded and VALLEY_KO is not set")
    lst = socket.socket()
    defer(lst.close)
    lst.bind(("127.0.0.1", 0))
    lst.listen()
    if loaded:
        valley_filter()
        run("rmmod", "valley")
        defer(run, "insmod", ko)
    rows = vstat_json("-a")
    ksft_in(ino(lst), {r["inode"] for r in rows}, "the listener")
    ksft_eq([r["netid"] for r in rows if r["netid"].startswith("v_")], [],
            "valley rows without the module")
    ksft_eq(vstat_json("--valley", "-a"), [], "--valley alone")


def main():
    tests = [test_same_sockets_as_ss, test_filters_as_ss,
             test_malformed_filters, test_other_namespace_and_summary,
             test_json_and_extras, test_columns, test_service_names,
             test_sort, test_processes, test_events,
             test_resolver_that_never_answers, test_without_valley_module]
    ksft_run(tests)
    ksft_exit()


if __name__ == "__main__":
    main()
