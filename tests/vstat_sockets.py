#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# vstat sockets beside ss(8), its independent witness: random sets of TCP,
# UDP, raw and unix sockets in every state the test can hold still, listed
# by both and compared socket by socket (by inode); random filter
# expressions selecting the same sockets; malformed ones refused with
# exit status 2; -N, -s, -p, --events, the JSON field by field, and the
# listing without valley.ko.  Needs root, ss and ip; runs the ASan/UBSan
# build of vstat (VSTAT to change).  Output is KTAP.

import errno
import fcntl
import json
import os
import pty
import random
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

SRC = os.environ.get("VALLEY_SRC", os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.append(os.path.join(SRC,
                             "build/linux-src/tools/testing/selftests/net"))

# The net selftests' library of linux-source-6.12 (tests/ksft.sh).
from lib.py import KsftFailEx as Failed, ksft_exit, ksft_run  # noqa: E402
VSTAT = os.environ.get("VSTAT", os.path.join(SRC, "build/san/vstat"))
SEED = int(os.environ.get("VALLEY_SEED", random.randrange(1 << 30)))
SO_COOKIE = 57
NS = "vsk-test"
# Without raw_diag (a kernel built without it), ss reads /proc/net/raw and
# vstat lists no raw sockets: compare raw sockets only where it is.
RAW_DIAG = subprocess.run(["modprobe", "-q", "raw_diag"]).returncode == 0 \
    or os.path.exists("/sys/module/raw_diag")


def env(extra=None):
    e = dict(os.environ, **(extra or {}))
    e.pop("LD_PRELOAD", None)   # the runner's stdbuf; ASan must come first
    e["ASAN_OPTIONS"] = "detect_leaks=1:exitcode=99"
    e["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1:exitcode=98"
    return e


def run(*args, ok=True, extra=None):
    p = subprocess.run(list(args), capture_output=True, text=True,
                       env=env(extra))
    if ok and p.returncode != 0:
        raise Failed(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def vstat_json(*args, extra=None, pre=()):
    p = run(*pre, VSTAT, "sockets", "--json", *args, extra=extra)
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        raise Failed(f"vstat sockets --json {' '.join(args)}: not JSON: {e}")


def expect(what, got, want):
    if got != want:
        raise Failed(f"{what}: got {got!r}, want {want!r}")


def ino(s):
    return os.fstat(s.fileno()).st_ino


# ---- socket sets ----

class Set:
    """Sockets of every kind the test can hold in a known state."""

    def __init__(self, rng):
        self.rng = rng
        self.socks = []         # kept open
        self.tw = []            # (local, peer) of TIME-WAIT sockets
        self.kinds = set()

    def keep(self, *socks):
        self.socks.extend(socks)

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
        raise Failed("no free port")

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
                lst, c, s = self.tcp_pair(fam, addr, r.randrange(0, 300))
                self.keep(lst, c, s)
                self.kinds |= {"LISTEN", "ESTAB"}
            # close-wait and fin-wait-2: the client closes, the server not
            lst, c, s = self.tcp_pair(fam, addr)
            c.shutdown(socket.SHUT_WR)
            self.keep(lst, c, s)
            # time-wait: the client closes after the server
            lst, c, s = self.tcp_pair(fam, addr)
            self.tw.append((s.getsockname()[:2], s.getpeername()[:2]))
            s.close()
            time.sleep(0.05)
            c.close()
            self.keep(lst)
            self.kinds.add("TIME-WAIT")
            # syn-sent: a listener whose accept queue is full drops SYNs
            lst = socket.socket(fam)
            self.bind_free(lst, addr)
            lst.listen(0)
            first = socket.create_connection(lst.getsockname()[:2])
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
                v.send(b"y" * r.randrange(1, 100))
                self.keep(v)
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
        path = f"/tmp/vsk-{os.getpid()}-{r.randrange(1 << 20)}"
        u = socket.socket(socket.AF_UNIX)
        u.bind(path)
        u.listen(3)
        os.unlink(path)
        self.keep(u, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
        time.sleep(0.1)         # the last ACKs and datagrams land

    def inodes(self):
        return {ino(s) for s in self.socks}

    def close(self):
        for s in self.socks:
            s.close()


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
    missing = [k for k in ours if k not in ss or k not in vs]
    if missing:
        raise Failed(f"{what}: sockets {missing[:5]} not in "
                     f"{'ss' if missing[0] not in ss else 'vstat'}")
    for k in ours:
        for f in FIELDS:
            a, b = ss[k].get(f), vs[k].get(f)
            if f == "peer_inode":
                a, b = a or 0, b or 0
            if f == "uid" and ss[k]["netid"].startswith("u_"):
                continue        # ss -e shows no uid for unix sockets
            if a != b:
                raise Failed(f"{what}: socket {k} {f}: ss {a!r}, vstat {b!r}")


def ours_keys(st, ss):
    keys = set(st.inodes())
    for (l, p) in st.tw:
        for k in ss:
            if isinstance(k, tuple) and k[1] == l and k[2] == p:
                keys.add(k)
    return keys


# ---- tests ----

def test_same_sockets_as_ss():
    """Every socket of a random set, field by field, in both listings."""
    rng = random.Random(SEED)
    st = Set(rng)
    try:
        st.build()
        # some sockets of another user
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.setresuid(65534, 65534, 65534)
            s1 = socket.socket()
            s1.bind(("127.0.0.1", 0))
            s1.listen()
            s2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            os.write(w, f"{ino(s1)} {ino(s2)}\n".encode())
            time.sleep(600)
            os._exit(0)
        try:
            other = [int(x) for x in os.read(r, 100).split()]
            args = ("-a", "-t", "-u", "-w", "-x")
            ss = ss_rows(*args)
            vs = vstat_rows(*args)
            ours = ours_keys(st, ss) | set(other)
            if len(ours) < 30 or len(st.tw) < 2:
                raise Failed(f"only {len(ours)} sockets to compare")
            compare(ours, ss, vs, f"seed {SEED}")
            for i in other:
                expect(f"uid of {i}", vs[i]["uid"], 65534)
            # an unprivileged user sees what ss shows them
            ss = ss_rows(*args, pre=NOBODY)
            vs = vstat_rows(*args, pre=NOBODY)
            compare(ours, ss, vs, f"seed {SEED}, as nobody")
            states = {vs[k]["state"] for k in ours}
            for want in ("LISTEN", "ESTAB", "CLOSE-WAIT", "FIN-WAIT-2",
                         "TIME-WAIT", "SYN-SENT", "UNCONN"):
                if want not in states:
                    raise Failed(f"no {want} socket among ours: {states}")
            # the default: connected sockets only, as ss without -a
            ss = ss_rows("-t", "-u", "-x")
            vs = vstat_rows("-t", "-u", "-x")
            compare(ours_keys(st, ss) & set(ss), ss, vs, "default states")
            if any(vs[k]["state"] in ("LISTEN", "UNCONN", "TIME-WAIT")
                   for k in vs):
                raise Failed("the default listing has unconnected sockets")
            ss = ss_rows("-l", "-t", "-u", "-x")
            vs = vstat_rows("-l", "-t", "-u", "-x")
            expect("-l sockets", set(vs) & ours, set(ss) & ours)
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    finally:
        st.close()


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
    try:
        st.build()
        ss_all = ss_rows("-a", "-t", "-u")
        ours = ours_keys(st, ss_all)
        # first, while the TIME-WAIT sockets last (60 s, and a debug
        # kernel is slow)
        for st_name in ("time-wait", "established", "listening",
                        "connected", "bucket"):
            ss = set(ss_rows("-t", "-u", "state", st_name)) & ours
            vs = set(vstat_rows("-t", "-u", "state", st_name)) & ours
            expect(f"state {st_name}", vs, ss)
            if not ss:
                raise Failed(f"none of ours is {st_name}")
        # TIME-WAIT sockets may go between two listings: not those
        ours = {k for k in ours if not isinstance(k, tuple)}
        ports = sorted({ss_all[k]["local"][1] for k in ours if k in ss_all})
        sizes = set()
        for _ in range(40):
            e = random_expr(rng, ports)
            ss = set(ss_rows("-a", "-t", "-u", e)) & ours
            vs = set(vstat_rows("-a", "-t", "-u", e)) & ours
            if ss != vs:
                raise Failed(f"seed {SEED + 1}: '{e}': ss has "
                             f"{sorted(map(str, ss - vs))[:4]} more, vstat "
                             f"{sorted(map(str, vs - ss))[:4]} more")
            sizes.add(len(ss))
        if len(sizes) < 4:
            raise Failed(f"the expressions chose too alike: sizes {sizes}")
    finally:
        st.close()


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
        p = run(VSTAT, "sockets", "-t", expr, ok=False)
        expect(f"'{expr}' exit status", p.returncode, 2)
        expect(f"'{expr}' stdout", p.stdout, "")
        expect(f"'{expr}' message", p.stderr.splitlines(),
               [msg, "  " + expr, "  " + caret])
    p = run(VSTAT, "sockets", "--bogus", ok=False)
    expect("unknown option status", p.returncode, 2)
    p = run(VSTAT, "sockets", "-x", "-4", ok=False)
    expect("-x -4 status", p.returncode, 2)


def ns_python(code):
    """python3 -c CODE in namespace NS; its first line of output."""
    p = subprocess.Popen(["ip", "netns", "exec", NS, "python3", "-c", code],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line:
        p.kill()
        raise Failed("the process in the namespace said nothing")
    return p, line.split()


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


def test_other_namespace_and_summary():
    """-N NAME lists NAME's sockets, exactly, and -s counts them."""
    run("ip", "netns", "add", NS)
    proc = None
    try:
        run("ip", "-n", NS, "link", "set", "lo", "up")
        proc, inos = ns_python(NS_CODE)
        l, m, c, s, u = map(int, inos)
        rows = {r["inode"]: r for r in vstat_json("-N", NS, "-a", "-n")}
        expect("inodes", set(rows), {l, m, c, s, u})
        expect("listener", rows[l], {
            "netid": "tcp", "state": "LISTEN", "recv_q": 0, "send_q": 7,
            "local_address": "127.0.0.1", "local_port": 7001,
            "peer_address": "0.0.0.0", "peer_port": 0, "inode": l,
            "uid": 0, "cookie": rows[l]["cookie"]})
        expect("v6 listener address", (rows[m]["local_address"],
                                       rows[m]["local_port"]), ("::1", 7002))
        expect("server recv_q", rows[s]["recv_q"], 5)
        expect("client peer", (rows[c]["peer_address"], rows[c]["peer_port"],
                               rows[c]["state"]), ("127.0.0.1", 7001, "ESTAB"))
        expect("udp", (rows[u]["netid"], rows[u]["state"],
                       rows[u]["local_port"]), ("udp", "UNCONN", 7003))
        ss = run("ip", "netns", "exec", NS, "ss", "-H", "-t", "-a",
                 "-n").stdout.splitlines()
        text = run(VSTAT, "sockets", "-N", NS, "-t", "-a", "-n",
                   "-H").stdout.splitlines()
        expect("text lines", len(text), len(ss))
        want = "tcp   LISTEN      0      7 127.0.0.1:7001"
        if not any(t.startswith(want + " ") for t in text):
            raise Failed(f"no line '{want}' in {text}")
        here = {r["inode"] for r in vstat_json("-a")}
        if here & {l, m, c, s, u}:
            raise Failed("the namespace's sockets show outside it")
        summ = vstat_json("-N", NS, "-s", "-t", "-u")
        expect("total", summ["total"], 5)
        by = {n["netid"]: n for n in summ["netids"]}
        expect("tcp", (by["tcp"]["total"], by["tcp"]["states"]),
               (4, {"ESTAB": 2, "LISTEN": 2}))
        expect("udp", (by["udp"]["total"], by["udp"]["states"]),
               (1, {"UNCONN": 1}))
        p = run(VSTAT, "sockets", "-N", "vsk-none", ok=False)
        expect("unknown namespace", (p.returncode, p.stderr.strip()),
               (1, "vstat: no network namespace 'vsk-none' "
                "(/run/netns/vsk-none: No such file or directory)"))
    finally:
        if proc:
            proc.kill()
            proc.wait()
        run("ip", "netns", "del", NS, ok=False)


def test_json_and_extras():
    """-e, -m, -i, -o: text and JSON from the same sockets agree."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(3)
    port = lst.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", port))
    s, _ = lst.accept()
    c.send(b"q" * 1000)
    s.recv(10)
    time.sleep(0.1)
    try:
        e = f"sport = :{port} or dport = :{port}"
        rows = {r["inode"]: r for r in vstat_json("-t", "-a", "-e", "-m",
                                                  "-i", "-o", e)}
        expect("inodes", set(rows), {ino(lst), ino(c), ino(s)})
        rs = rows[ino(s)]
        expect("recv_q", rs["recv_q"], 990)
        expect("rcvbuf", rs["skmem"]["rcvbuf"],
               s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        expect("sndbuf", rs["skmem"]["sndbuf"],
               s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
        expect("cookie", rs["cookie"], int.from_bytes(
            s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8), "little"))
        rc = rows[ino(c)]
        expect("bytes_acked", rc["tcp_info"]["bytes_acked"], 1001)
        expect("bytes_received", rs["tcp_info"]["bytes_received"], 1000)
        expect("mss", rc["tcp_info"]["mss"], c.getsockopt(
            socket.IPPROTO_TCP, socket.TCP_MAXSEG))
        expect("congestion", rc["tcp_info"]["congestion"], c.getsockopt(
            socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0")
            .decode())
        expect("listener timer", rows[ino(lst)]["timer"]["name"], "off")
        # -O: one line a socket; the columns as wide as their widest cell
        # or title ("Local Address:Port")
        text = run(VSTAT, "sockets", "-t", "-a", "-n", "-e", "-m", "-H",
                   "-O", e).stdout
        line = [t for t in text.splitlines() if f"ino:{ino(s)} " in t]
        expect("text lines for the server", len(line), 1)
        want = f"tcp   ESTAB     990      0 {f'127.0.0.1:{port}':18} "
        if not line[0].startswith(want) or \
           f" uid:0 sk:{rs['cookie']:x} skmem:(r" not in line[0] or \
           f",rb{rs['skmem']['rcvbuf']}," not in line[0]:
            raise Failed(f"text line: {line[0]!r}, want {want!r}...")
        # without -O, as ss: memory and TCP information on a line of their
        # own, after a tab; -e, -o and -p stay on the socket's line
        for opts, n in ((("-e", "-m", "-i", "-o", "-p"), 6),
                        (("-e", "-m", "-i", "-o", "-p", "-O"), 3),
                        (("-e", "-o", "-p"), 3)):
            text = run(VSTAT, "sockets", "-t", "-a", "-n", "-H", *opts,
                       e).stdout.splitlines()
            expect(f"lines with {' '.join(opts)}", len(text), n)
            first = [i for i, t in enumerate(text) if f"ino:{ino(s)} " in t]
            expect(f"server's lines with {' '.join(opts)}", len(first), 1)
            t = text[first[0]]
            for w in ("timer:(", f"uid:0 sk:{rs['cookie']:x}",
                      f'users:(("python3",pid={os.getpid()},fd={s.fileno()}))'):
                if w not in t:
                    raise Failed(f"{' '.join(opts)}: no {w!r} in {t!r}")
            if "-m" not in opts:
                if "skmem" in "".join(text) or "rtt:" in "".join(text):
                    raise Failed(f"{' '.join(opts)}: {text}")
            elif "-O" in opts:
                if " skmem:(r" not in t or " rtt:" not in t:
                    raise Failed(f"-O: not on one line: {t!r}")
            else:
                nxt = text[first[0] + 1]
                if " skmem" in t or not nxt.startswith("\t skmem:(r") \
                   or " rtt:" not in nxt or \
                   " bytes_received:1000 " not in nxt:
                    raise Failed(f"the line after the server's: {nxt!r}")
        # ports by name without -n
        text = run(VSTAT, "sockets", "-t", "-l", "-H",
                   f"sport = :{port}").stdout
        expect("numeric without a name", text.split()[4],
               f"127.0.0.1:{port}")
    finally:
        for x in (lst, c, s):
            x.close()


NOBODY_HOLDS = """
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.fileno(), s.getsockname()[1], flush=True)
time.sleep(600)
"""


def test_processes():
    """-p names the pid, name and fd holding each socket: in a thread, in
    a forked child."""
    main = socket.socket()
    main.bind(("127.0.0.1", 0))
    main.listen()
    got = {}
    many = []

    def thread():
        got["t"] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        got["t"].bind(("127.0.0.1", 0))
    t = threading.Thread(target=thread)
    t.start()
    t.join()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        main.close()
        got["t"].close()
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        os.dup2(s.fileno(), 77)
        os.write(w, f"{ino(s)} {s.fileno()}\n".encode())
        time.sleep(600)
        os._exit(0)
    try:
        child_ino, child_fd = map(int, os.read(r, 100).split())
        me = os.getpid()
        # the BPF iterator (which every test kernel can run), the /proc scan
        for how in ({"VALLEY_PROCS": "bpf"}, {"VALLEY_PROCS": "proc"}):
            rows = {x["inode"]: x for x in vstat_json("-a", "-p", "-t", "-u",
                                                      extra=how)}
            expect(f"main {how}", rows[ino(main)].get("processes"),
                   [{"name": "python3", "pid": me, "fd": main.fileno()}])
            expect(f"thread {how}", rows[ino(got["t"])].get("processes"),
                   [{"name": "python3", "pid": me,
                     "fd": got["t"].fileno()}])
            procs = rows[child_ino].get("processes")
            expect(f"child {how}", sorted((p["pid"], p["fd"])
                                          for p in procs),
                   [(pid, child_fd), (pid, 77)])
            text = run(VSTAT, "sockets", "-a", "-p", "-t", "-H", "-n",
                       f"sport = :{main.getsockname()[1]}", extra=how).stdout
            want = f'users:(("python3",pid={me},fd={main.fileno()}))'
            if not text.rstrip().endswith(want):
                raise Failed(f"text: {text!r}, want it to end with {want}")
        # Many sockets: the dump's replies come in many datagrams, which
        # vstat keeps while the process map is made, then hands on.
        for _ in range(600):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("127.0.0.1", 0))
            many.append(u)
        for how in ({"VALLEY_PROCS": "bpf"}, {"VALLEY_PROCS": "proc"}):
            rows = vstat_json("-a", "-p", "-u", "-4", extra=how)
            by_ino = {x["inode"]: x.get("processes") for x in rows}
            wrong = [u.fileno() for u in many if by_ino.get(ino(u)) !=
                     [{"name": "python3", "pid": me, "fd": u.fileno()}]]
            expect(f"600 sockets' holders {how}: wrong for fds", wrong[:5],
                   [])
        # Unprivileged: no BPF, so the /proc scan, which sees the caller's
        # own processes only (as ss -p)
        held = subprocess.Popen(NOBODY + (sys.executable, "-c", NOBODY_HOLDS),
                                stdout=subprocess.PIPE, text=True)
        try:
            fd, port = map(int, held.stdout.readline().split())
            rows = vstat_json("-t", "-l", "-p", f"sport = :{port} or sport = "
                              f":{main.getsockname()[1]}", pre=NOBODY)
            expect("unprivileged -p", sorted(
                (r["local_port"], r.get("processes")) for r in rows),
                sorted([(port, [{"name": "python3", "pid": held.pid,
                                 "fd": fd}]),
                        (main.getsockname()[1], None)]))
            p = run(*NOBODY, VSTAT, "sockets", "-t", "-p", ok=False,
                    extra={"VALLEY_PROCS": "bpf"})
            expect("unprivileged, BPF only", (p.returncode, p.stderr.strip()),
                   (1, "vstat: cannot tell which processes hold the sockets"))
        finally:
            held.kill()
            held.wait()
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        main.close()
        got["t"].close()
        for u in many:
            u.close()


def test_sort():
    """--sort: by local port, by queue (fullest first), by state."""
    rng = random.Random(SEED + 2)
    st = Set(rng)
    socks = []
    try:
        for _ in range(4):
            lst, c, s = st.tcp_pair(socket.AF_INET, "127.0.0.1",
                                    rng.randrange(1, 2000))
            socks += [lst, c, s]
        time.sleep(0.1)
        mine = {ino(x) for x in socks}
        expr = " or ".join(f"sport = :{x.getsockname()[1]}" for x in socks)
        order = {"ESTAB": 1, "LISTEN": 10}
        for key, value, rev in (
                ("port", lambda r: r["local_port"], False),
                ("queue", lambda r: r["recv_q"] + r["send_q"], True),
                ("state", lambda r: order[r["state"]], False)):
            rows = [r for r in vstat_json("-t", "-a", "-n", "--sort", key,
                                          expr) if r["inode"] in mine]
            expect(f"--sort {key} sockets", len(rows), 12)
            got = [value(r) for r in rows]
            expect(f"--sort {key}", got, sorted(got, reverse=rev))
            if len(set(got)) < 2:
                raise Failed(f"--sort {key}: all alike, {got}")
        p = run(VSTAT, "sockets", "--sort", "size", ok=False)
        expect("--sort size", (p.returncode, p.stderr.strip()),
               (2, "vstat: --sort takes state, port, queue, rtt or bytes, "
                "not 'size'"))
    finally:
        for x in socks:
            x.close()


def pty_run(args, cols):
    """ARGS with its stdout on a terminal COLS wide (no COLUMNS)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols,
                                                       0, 0))
    e = env()
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
        raise Failed(f"{' '.join(args)}: exit {p.returncode}")
    return out.decode().replace("\r\n", "\n")


def test_columns():
    """Columns as wide as their widest cell or title, fitted to the
    terminal (COLUMNS, else the terminal's width, else 80): addresses give
    up their room, down to their titles' width."""
    lst = socket.socket(socket.AF_INET6)
    lst.bind(("::ffff:127.0.0.1", 0))
    lst.listen(5)
    port = lst.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", port))
    s, _ = lst.accept()
    try:
        addr = f"[::ffff:127.0.0.1]:{port}"
        peer = f"[::ffff:127.0.0.1]:{c.getsockname()[1]}"
        args = (VSTAT, "sockets", "-t", "-a", "-n", f"sport = :{port}")
        wide = max(len(addr), len(peer))

        def lines(cols, pty_cols=None):
            if pty_cols:
                return pty_run(args, pty_cols).splitlines()
            extra = {"COLUMNS": str(cols)} if cols else {}
            e = env(extra)
            if not cols:
                e.pop("COLUMNS", None)
            return subprocess.run(args, capture_output=True, text=True,
                                  env=e, check=True).stdout.splitlines()

        # wide enough: the data's widths
        want_wide = [
            f"Netid State  Recv-Q Send-Q {'Local Address:Port':{wide}} "
            f"{'Peer Address:Port':{len(peer)}} ",
            f"tcp   LISTEN      0      5 {addr:{wide}} {'*:*':{len(peer)}} ",
            f"tcp   ESTAB       0      0 {addr:{wide}} {peer:{len(peer)}} "]
        # 60 columns: 28 for the first four, 30 for the addresses, and
        # never narrower than their titles
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
            expect(what, sorted(got), sorted(want))
    finally:
        for x in (lst, c, s):
            x.close()


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
        raise Failed("no port of /etc/services free to bind")
    lst.listen()
    loaded = os.path.exists("/sys/module/valley")
    args = (VSTAT, "sockets", "-t", "-l", "-H", f"sport = :{port}")

    def local(*more):
        return run(*args[:-1], *more, args[-1]).stdout.split()[4]
    try:
        expect("/etc/services", local(), f"127.0.0.1:{known[port]}")
        expect("-n", local("-n"), f"127.0.0.1:{port}")
        if not loaded:
            return
        run(VSTAT, "service", "add", str(port), "vsk-svc")
        try:
            expect("valley's table first", local(), "127.0.0.1:vsk-svc")
            expect("-n with the table", local("-n"), f"127.0.0.1:{port}")
            rows = vstat_json("-t", "-l", f"sport = :{port}")
            expect("JSON keeps the number", rows[0]["local_port"], port)
        finally:
            run(VSTAT, "service", "del", str(port))
        expect("after del", local(), f"127.0.0.1:{known[port]}")
    finally:
        lst.close()


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
    p = subprocess.Popen([VSTAT, "sockets", "--events", "--json", "-t",
                          "-u"], stdout=subprocess.PIPE, text=True,
                         env=env())
    try:
        deadline = time.monotonic() + 30
        while not listening_for_events(p.pid):
            if time.monotonic() > deadline or p.poll() is not None:
                raise Failed("vstat --events never joined the groups")
            time.sleep(0.05)
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
                line = p.stdout.readline()
                if not line:
                    raise Failed(f"vstat --events ended; saw {seen}")
                r = json.loads(line)
                seen.append((r["cookie"], r["netid"]))
        until(cookies)
        # once each: a socket destroyed after them shows, and none of
        # them twice before it
        last = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        last.bind(("127.0.0.1", 0))
        end = int.from_bytes(last.getsockopt(socket.SOL_SOCKET, SO_COOKIE,
                                             8), "little")
        last.close()
        until([end])
        mine = [x for x in seen if x[0] in cookies]
        expect("events", sorted(mine), sorted(zip(cookies, [
            "tcp", "udp", "tcp", "udp"])))
    finally:
        p.kill()
        p.wait()


def test_resolver_that_never_answers():
    """-r: names from /etc/hosts; a DNS server that never answers costs a
    bounded time once, and the addresses stay numeric."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.9", 53))
    lst = [socket.socket() for _ in range(2)]
    conf = f"/tmp/vsk-resolv-{os.getpid()}"
    try:
        for i, s in enumerate(lst):
            s.bind((f"127.0.0.{7 + i}", 0))
            s.listen()
        with open(conf, "w") as f:
            # without vstat's limit: 5 tries of 30 s for each address
            f.write("nameserver 127.0.0.9\noptions timeout:30 attempts:5\n")
        expr = "src 127.0.0.7 or src 127.0.0.8"
        start = time.monotonic()
        p = run("unshare", "-m", "sh", "-c",
                'mount --bind "$0" /etc/resolv.conf && exec "$@"', conf,
                VSTAT, "sockets", "-t", "-l", "-r", "-n", "-H", expr)
        took = time.monotonic() - start
        if took > 20:
            raise Failed(f"-r took {took:.0f} s with a silent resolver")
        got = sorted(line.split()[4] for line in p.stdout.splitlines())
        expect("addresses", got, sorted(
            f"127.0.0.{7 + i}:{s.getsockname()[1]}" for i, s in
            enumerate(lst)))
        # Not vacuous: the lookup asked the silent server, or vstat gave up
        # waiting (a slow guest may not have sent the query in 1.5 s).
        silent.setblocking(False)
        try:
            silent.recv(512)
        except BlockingIOError:
            if took < 1.5:
                raise Failed(f"the resolver was never asked, and -r took "
                             f"only {took:.1f} s")
        # a name from /etc/hosts
        c = socket.socket()
        c.bind(("127.0.0.1", 0))
        c.connect(lst[0].getsockname())
        rows = vstat_json("-t", "-r", "-n", f"sport = :{c.getsockname()[1]}")
        c.close()
        expect("local_host", [r.get("local_host") for r in rows],
               [socket.gethostbyaddr("127.0.0.1")[0]])
    finally:
        silent.close()
        for s in lst:
            s.close()
        os.unlink(conf)


def valley_filter():
    """valley sockets are listed with --valley and filtered on their ports
    (by vstat: the kernel's bytecode is inet_diag's)."""
    vcat = os.path.join(SRC, "build/san/vcat")
    procs = [subprocess.Popen([vcat] + flags + ["-l", str(port)],
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, env=env())
             for flags, port in (([], 5170), (["-u"], 5171), (["-s"], 5172))]
    try:
        deadline = time.monotonic() + 30
        while len(vstat_json("--valley", "-a")) < 3:
            if time.monotonic() > deadline:
                raise Failed("the vcat listeners never showed")
            time.sleep(0.05)
        for expr, want in (("sport = :5170", [("v_str", "LISTEN", 5170)]),
                           ("sport > :5170 and not sport = :5172",
                            [("v_dgr", "UNCONN", 5171)]),
                           ("dport = :0 and sport >= :5172",
                            [("v_seq", "LISTEN", 5172)]),
                           ("src 127.0.0.1", [])):
            got = [(r["netid"], r["state"], r["local_port"])
                   for r in vstat_json("--valley", "-a", expr)]
            expect(f"valley '{expr}'", got, want)
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_without_valley_module():
    """valley sockets filtered on their ports; then without valley.ko: the
    same listing, no valley rows, exit 0."""
    ko = os.environ.get("VALLEY_KO")
    loaded = os.path.exists("/sys/module/valley")
    if loaded and not ko:
        raise Failed("valley is loaded and VALLEY_KO is not set")
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen()
    try:
        if loaded:
            valley_filter()
            run("rmmod", "valley")
        rows = vstat_json("-a")
        if ino(lst) not in {r["inode"] for r in rows}:
            raise Failed("the listener is missing")
        if any(r["netid"].startswith("v_") for r in rows):
            raise Failed("valley rows without the module")
        expect("--valley alone", vstat_json("--valley", "-a"), [])
    finally:
        lst.close()
        if loaded:
            run("insmod", ko)


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
