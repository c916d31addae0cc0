#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# vstat's live view driven in a pseudo-terminal: it takes the alternate
# screen, answers its keys, redraws at once on a resize, and gives the
# terminal back as it found it on q, on Ctrl-C and on SIGTERM; with
# vstat ports attached, it shows the busiest ports.
# Needs VALLEY_SRC; runs the ASan/UBSan build of vstat.  Runs on the net
# selftests' library of linux-source-6.12 (tests/ksft.sh); output is KTAP.

import fcntl
import os
import pty
import select
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

from lib.py import (KsftFailEx, cmd, defer, ksft_eq,  # noqa: E402
                    ksft_exit, ksft_lt, ksft_run)

VSTAT = os.environ.get("VSTAT", os.path.join(SRC, "build/san/vstat"))

ENTER = b"\x1b[?1049h"
LEAVE = b"\x1b[?25h\x1b[?1049l"
CLEAR = b"\x1b[H\x1b[2J"


class Term:
    """vstat -i INTERVAL in a pty, then `stty -a` from the same shell."""

    def __init__(self, interval):
        env = dict(os.environ, TERM="xterm")
        env.pop("LD_PRELOAD", None)
        env["ASAN_OPTIONS"] = "detect_leaks=1:exitcode=99"
        env["UBSAN_OPTIONS"] = "halt_on_error=1:exitcode=98"
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            # The shell ignores Ctrl-C (vstat sets its own handler) so
            # that it lives on to report.
            os.execve("/bin/sh", ["sh", "-c", "trap '' INT; "
                                  f'"$0" -i {interval}; '
                                  'echo "vstat-exit=$?"; stty -a', VSTAT],
                      env)
        self.out = b""
        self.resize(30, 100)

    def read_until(self, what, timeout=10.0, start=0):
        """Read until WHAT shows, at START or later in the output."""
        end = time.monotonic() + timeout
        while what not in self.out[start:]:
            left = end - time.monotonic()
            if left <= 0:
                raise KsftFailEx(f"no {what!r} in {timeout}s; got "
                                 f"{self.out[-300:]!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    raise KsftFailEx(f"pty closed before {what!r}; got "
                                     f"{self.out[-300:]!r}")
                self.out += data

    def mark(self):
        return len(self.out)

    def since(self, mark):
        return self.out[mark:]

    def send(self, keys):
        os.write(self.fd, keys)

    def resize(self, rows, cols):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))

    def finish(self):
        """The exit status of vstat and all the terminal showed."""
        end = time.monotonic() + 20
        while time.monotonic() < end:
            r, _, _ = select.select([self.fd], [], [], 1)
            if not r:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break           # EIO: the shell is gone
            if not data:
                break
            self.out += data
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        if b"vstat-exit=" not in self.out:
            raise KsftFailEx(f"vstat did not exit: {self.out[-300:]!r}")
        tail = self.out[self.out.rindex(b"vstat-exit="):]
        return int(tail.split(b"=")[1].split()[0]), self.out


def check_restored(out, code):
    ksft_eq(code, 0, "vstat's exit status")
    if LEAVE not in out:
        raise KsftFailEx("the alternate screen was not left")
    stty = out[out.rindex(b"vstat-exit="):]
    for flag in (b" icanon", b" echo "):
        if flag not in stty:
            raise KsftFailEx(f"terminal not restored: no{flag.decode()} in "
                             f"{stty[:400]!r}")


def test_keys_and_quit():
    # Something to show: the view lists the rows that moved.
    cmd("ping -q -c 2 -i 0.2 127.0.0.1", fail=False)
    # A long interval: every redraw seen comes from a key or a resize.
    t = Term(30)
    t.read_until(ENTER)
    t.read_until(b"q quit")
    # Focus the link layer: the next frame has LINK and no TRANSPORT.
    m = t.mark()
    t.send(b"4")
    t.read_until(b"sort by", 5, m)
    frame = t.since(m)
    frame = frame[frame.rindex(CLEAR):]
    if b"TRANSPORT" in frame or b"LINK" not in frame:
        raise KsftFailEx(f"focus on link: {frame[:300]!r}")
    m = t.mark()
    t.send(b"p")
    t.read_until(b"[paused]", 5, m)
    m = t.mark()
    t.send(b"0")
    t.read_until(b"sort by", 5, m)
    # A resize redraws at once.
    m = t.mark()
    start = time.monotonic()
    t.resize(40, 120)
    t.read_until(CLEAR, 2, m)
    ksft_lt(time.monotonic() - start, 2, "no redraw within 2 s of a resize")
    t.send(b"q")
    code, out = t.finish()
    check_restored(out, code)


def stopped_by(stop):
    t = Term(0.2)
    t.read_until(b"q quit")
    stop(t)
    code, out = t.finish()
    check_restored(out, code)


def test_ctrl_c():
    stopped_by(lambda t: t.send(b"\x03"))


def test_sigterm():
    # vstat is the shell's child: signal it by name.
    stopped_by(lambda t: cmd("pkill -TERM -x vstat", fail=False))


def ports(cmd):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)     # the runner's stdbuf; ASan comes first
    return subprocess.run([VSTAT, "ports", cmd], env=env,
                          capture_output=True, text=True)


def test_ports_block():
    """With vstat ports attached, the view shows the busiest ports."""
    ports("detach")
    p = ports("attach")
    defer(ports, "detach")
    if p.returncode:
        raise KsftFailEx(f"vstat ports attach: {p.stderr.strip()}")
    lst = socket.socket()
    defer(lst.close)
    lst.bind(("127.0.0.1", 5009))
    lst.listen()
    cli = socket.create_connection(("127.0.0.1", 5009))
    defer(cli.close)
    acc, _ = lst.accept()
    defer(acc.close)
    stop = threading.Event()

    def pump():
        while not stop.is_set():
            cli.sendall(b"p" * 1000)
            acc.recv(65536)
            time.sleep(0.01)

    th = threading.Thread(target=pump)
    th.start()
    defer(th.join)
    defer(stop.set)
    t = Term(0.5)
    t.read_until(b"PORTS")
    m = t.mark()
    # A second frame has rates: the server's row and the client's.
    t.read_until(b"5009 -          server", 10, m)
    t.read_until(b"5009 -          client", 10, m)
    t.send(b"q")
    code, out = t.finish()
    check_restored(out, code)


def main():
    tests = [test_keys_and_quit, test_ctrl_c, test_sigterm,
             test_ports_block]
    ksft_run(tests)
    ksft_exit()


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
