#!/usr/bin/env python3
"""Scripted /status responders for scripts/bench-wall-idle.sh: N stand-ins for scsynth on
127.0.0.1 that answer what a watching (not logged-in) scpanel sends, in one process.

    benches/status_responders.py N PORTFILE

binds N UDP sockets on free ports, writes their ports to PORTFILE (one a line, written to a
temporary name and renamed once all are bound) and serves until killed. It exits by itself
when its parent process goes away, so it never outlives the script that started it.

Answers (as benches/support/responders.rs does): /status -> /status.reply (int 1, ugens,
synths, groups, synthdefs, avg cpu f32, peak cpu f32, nominal sr f64, actual sr f64),
/g_queryTree -> an empty root group, /version -> scsynth 3.13.0, /sync id -> /synced id,
/notify -> /done /notify. Anything else is ignored.
"""

import os
import select
import socket
import struct
import sys


def pad(b):
    return b + b"\0" * (4 - len(b) % 4)


def osc_string(s):
    return pad(s.encode())


def message(addr, *args):
    tags, data = ",", b""
    for kind, v in args:
        tags += kind
        if kind == "i":
            data += struct.pack(">i", v)
        elif kind == "f":
            data += struct.pack(">f", v)
        elif kind == "d":
            data += struct.pack(">d", v)
        elif kind == "s":
            data += osc_string(v)
    return osc_string(addr) + osc_string(tags) + data


def read_string(b, at):
    end = b.index(b"\0", at)
    return b[at:end].decode(errors="replace"), (end // 4 + 1) * 4


def messages(b):
    """(address, first int argument or None) of each message in a packet or bundle."""
    if b.startswith(b"#bundle\0"):
        at = 16
        while at + 4 <= len(b):
            (size,) = struct.unpack(">i", b[at : at + 4])
            yield from messages(b[at + 4 : at + 4 + size])
            at += 4 + size
        return
    addr, at = read_string(b, 0)
    first = None
    if at < len(b):
        tags, at = read_string(b, at)
        if tags[1:2] == "i" and at + 4 <= len(b):
            (first,) = struct.unpack(">i", b[at : at + 4])
    yield addr, first


def answer(addr, first, n):
    if addr == "/status":
        cpu = 2.0 + (n % 7) * 0.3
        return message(
            "/status.reply",
            ("i", 1), ("i", 12), ("i", 3), ("i", 2), ("i", 40),
            ("f", cpu), ("f", cpu + 1.5), ("d", 48000.0), ("d", 48000.0 + (n % 5) * 0.01),
        )
    if addr == "/g_queryTree":
        return message("/g_queryTree.reply", ("i", 0), ("i", 0), ("i", 0))
    if addr == "/version":
        return message(
            "/version.reply",
            ("s", "scsynth"), ("i", 3), ("i", 13), ("s", ".0"), ("s", "Version-3.13.0"), ("s", "0000000"),
        )
    if addr == "/sync":
        return message("/synced", ("i", first or 0))
    if addr == "/notify":
        return message("/done", ("s", "/notify"), ("i", 1), ("i", 64))
    return None


def main():
    count, port_file = int(sys.argv[1]), sys.argv[2]
    parent = os.getppid()
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    with open(port_file + ".tmp", "w") as f:
        f.write("".join(f"{s.getsockname()[1]}\n" for s in socks))
    os.rename(port_file + ".tmp", port_file)
    n = 0
    while True:
        ready, _, _ = select.select(socks, [], [], 1.0)
        if os.getppid() != parent:
            return
        for s in ready:
            try:
                data, peer = s.recvfrom(65536)
            except OSError:
                continue
            try:
                for addr, first in messages(data):
                    n += 1
                    reply = answer(addr, first, n)
                    if reply:
                        s.sendto(reply, peer)
            except (ValueError, struct.error):
                continue


if __name__ == "__main__":
    main()
