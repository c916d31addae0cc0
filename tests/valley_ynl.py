#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own YNL tools talk to valley.ko with kmod/valley.yaml: the
# spec describes the family as the module speaks it.  The library and the
# CLI (tools/net/ynl), the spec schema and the test library this runs on
# (tools/testing/selftests/net/lib/py) are linux-source-6.12's, taken by
# tests/ksft.sh.  Counts are exact: the traffic is a ping on the loopback
# of a namespace of its own.  Needs VALLEY_SRC; output is KTAP.

import json
import os
import sys

SRC = os.environ.get("VALLEY_SRC", os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
KSRC = os.path.join(SRC, "build/linux-src")
sys.path.append(os.path.join(KSRC, "tools/testing/selftests/net"))

from lib.py import (KsftSkipEx, NetNS, NlError, YnlFamily,  # noqa: E402
                    cmd, ksft_eq, ksft_exit, ksft_raises, ksft_run,
                    ksft_true)

SPEC = os.path.join(SRC, "kmod/valley.yaml")
SCHEMA = os.path.join(KSRC, "Documentation/netlink/genetlink-legacy.yaml")
CLI = os.path.join(KSRC, "tools/net/ynl/cli.py")


def cli(ns, *args):
    """The ynl CLI in namespace NS; its JSON output, or None if none."""
    # Python under TCG: allow it time to start.
    out = cmd(f"ip netns exec {ns.name} {sys.executable} {CLI} "
              f"--spec {SPEC} --schema {SCHEMA} --output-json "
              + " ".join(f"'{a}'" for a in args), timeout=300).stdout
    return json.loads(out) if out.strip() else None


def family():
    try:
        return YnlFamily(SPEC, schema=SCHEMA)
    except Exception as e:
        if "not supported by the kernel" in str(e):
            raise KsftSkipEx("valley.ko is not loaded")
        raise


def test_get_info():
    info = family().do("get-info", {})
    with open(os.path.join(SRC, "VERSION")) as f:
        ksft_eq(info["info-version"], f.read().strip())
    ksft_eq(info["info-genl-version"], 1)
    with open("/sys/module/valley/parameters/family") as f:
        ksft_eq(info["info-family"], int(f.read()))
    ksft_eq(info["info-parts"], {"genl", "sockets", "layers"})
    ksft_true(info["info-requests"] >= 1)


def test_sock_stats():
    stats = family().do("get-sock-stats", {})
    ksft_eq(sorted(stats), sorted([
        "sock-stream-open", "sock-dgram-open", "sock-seqpacket-open",
        "sock-connections", "sock-refused", "sock-msgs-out",
        "sock-bytes-out", "sock-msgs-in", "sock-bytes-in"]))


def test_layers_dump_in_namespace():
    with NetNS() as ns:
        layers_dump(ns)


def layers_dump(ns):
    cmd(f"ip -n {ns.name} link set lo up")
    cmd(f"ip netns exec {ns.name} ping -q -c 2 -i 0.2 127.0.0.1")
    rows = cli(ns, "--dump", "get-layers", "--json", '{"layer": 2}')
    ksft_true(rows and all(r["layer"] == "internet" for r in rows))
    by_key = {r["key"]: (r["in"], r["out"], r["fwd"]) for r in rows}
    # Two requests and two replies, each out of one side of lo and in.
    ksft_eq(by_key["icmp.echo_request"], (2, 2, 0))
    ksft_eq(by_key["icmp.echo_reply"], (2, 2, 0))
    ksft_eq(by_key["ipv4.packets"], (4, 4, 0))
    ksft_eq(by_key["remote.loopback"], (4, 4, 0))
    ksft_eq(by_key["ipv6.packets"], (0, 0, 0))
    # The link layer: lo's frames, with its name and index.
    rows = cli(ns, "--dump", "get-layers", "--json", '{"layer": 1}')
    link = {r["key"]: (r["in"], r["out"]) for r in rows
            if r["ifname"] == "lo"}
    ksft_eq(link["ipv4.frames"], (4, 4))
    ksft_eq({r["ifindex"] for r in rows if r["ifname"] == "lo"}, {1})
    ksft_true(all("fwd" not in r for r in rows))


def row_key(msg, ctr):
    """The GET_LAYERS row name of counter CTR of a get-counters MSG."""
    if "proto" in msg:
        return f"proto.{msg['proto']}"
    if "service-name" in msg:
        return f"{msg['service-name']}.{ctr}"
    if msg["layer"] == "link":
        ctr = ctr.removeprefix("link-")
    first, _, rest = ctr.partition("-")
    return first + ("." + rest.replace("-", "_") if rest else "")


def test_typed_counters_are_the_rows():
    with NetNS() as ns:
        typed_counters(ns)


def typed_counters(ns):
    cmd(f"ip -n {ns.name} link set lo up")
    cmd(f"ip netns exec {ns.name} ping -q -c 2 -i 0.2 127.0.0.1")
    cmd(f"ip netns exec {ns.name} ping -q -c 1 ::1")
    rows = {(r["layer"], r.get("ifname"), r["key"]):
            (r["in"], r["out"], r.get("fwd"))
            for r in cli(ns, "--dump", "get-layers")}
    msgs = cli(ns, "--dump", "get-counters")
    typed = {}
    for m in msgs:
        for ctr in m["ctrs-in"]:
            key = (m["layer"], m.get("ifname"), row_key(m, ctr))
            typed[key] = (m["ctrs-in"][ctr], m["ctrs-out"][ctr],
                          m["ctrs-fwd"][ctr] if "ctrs-fwd" in m else None)
    ksft_eq(sorted(typed), sorted(rows))
    ksft_eq(typed, rows)
    ksft_eq(typed[("internet", None, "icmp.echo_request")], (2, 2, 0))
    ksft_eq(typed[("internet", None, "icmpv6.echo_request")], (1, 1, 0))
    # Few messages: one per interface (lo, and the fallback devices of
    # tunnels built in), internet, transport, one per other protocol,
    # each service and "other".
    links = {k[1] for k in rows if k[0] == "link"}
    protos = {k[2] for k in rows if k[2].startswith("proto.")}
    services = {r["service-name"] for r in cli(ns, "--dump", "service-get")}
    ksft_eq(len(msgs), len(links) + 2 + len(protos) + len(services) + 1)
    # The link layer alone; and nothing the kernel sends in a request.
    ksft_eq({m["layer"] for m in cli(ns, "--dump", "get-counters",
                                     "--json", '{"layer": 1}')}, {"link"})
    ynl = family()
    with ksft_raises(NlError) as cm:
        ynl.dump("get-counters", {"key": "tcp.syn"})
    ksft_eq(cm.exception.nl_msg.error, -22)


def test_services_in_namespace():
    with NetNS() as ns:
        services(ns)


def services(ns):
    ksft_eq(cli(ns, "--do", "service-add", "--json",
                '{"service-port": 3000, "service-name": "api"}'), None)
    table = cli(ns, "--dump", "service-get")
    ksft_true({"service-port": 3000, "service-name": "api"} in table)
    ksft_true({"service-port": 22, "service-name": "ssh"} in table)
    ksft_eq(cli(ns, "--do", "service-del", "--json",
                '{"service-port": 3000}'), None)
    table = cli(ns, "--dump", "service-get")
    ksft_true(all(r["service-port"] != 3000 for r in table))


def test_missing_attribute_named():
    ynl = family()
    with ksft_raises(NlError) as cm:
        ynl.do("service-del", {})
    # EPERM for a user without CAP_NET_ADMIN; the suite runs as root.
    ksft_eq(cm.exception.nl_msg.error, -22)
    ksft_eq(cm.exception.nl_msg.extack["miss-type"], "service-port")
    ksft_eq(cm.exception.nl_msg.extack["msg"], "a service port is needed")


def main():
    tests = [test_get_info, test_sock_stats, test_layers_dump_in_namespace,
             test_typed_counters_are_the_rows, test_services_in_namespace,
             test_missing_attribute_named]
    ksft_run(tests)
    ksft_exit()


if __name__ == "__main__":
    main()
