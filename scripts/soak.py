#!/usr/bin/env python3
"""Churn client for scripts/soak.sh: a plain UDP socket, no OSC library.

usage: soak.py PORT SECONDS MODE SYNTHDEF_FILE
MODE synths: /s_new + /n_free of synths in a paused group, 500 + 500 a second, and 500
/n_set a second on live ones. MODE groups: the same with empty groups in a group of their
own, whose last few hundred stay at the end. Synths and groups are never churned together:
scsynth 3.13 crashes on that mix (see REFERENCE.md). Prints how many commands it sent.
"""
import socket
import struct
import sys
import time


def pad(b: bytes) -> bytes:
    return b + b"\0" * (4 - len(b) % 4)


def osc(addr: str, *args) -> bytes:
    tags, data = ",", b""
    for a in args:
        if isinstance(a, bool):
            raise TypeError(a)
        if isinstance(a, int):
            tags += "i"
            data += struct.pack(">i", a)
        elif isinstance(a, float):
            tags += "f"
            data += struct.pack(">f", a)
        elif isinstance(a, bytes):
            tags += "b"
            data += struct.pack(">i", len(a)) + a + b"\0" * (-len(a) % 4)
        else:
            tags += "s"
            data += pad(str(a).encode())
    return pad(addr.encode()) + pad(tags.encode()) + data


def main() -> None:
    port, seconds, mode, synthdef = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(5)

    def ask(addr: str, *args) -> None:
        s.send(osc(addr, *args))
        s.send(osc("/sync", 77))
        while True:
            reply = s.recv(65536)
            if reply.startswith(b"/synced"):
                return

    # Ids far above the app's own client ranges' first ids, and a home group of our own.
    home = 900_000 if mode == "synths" else 900_001
    base = 1_000_000 if mode == "synths" else 2_000_000
    with open(synthdef, "rb") as f:
        ask("/d_recv", f.read())
    ask("/g_new", home, 1, 0)
    if mode == "synths":
        # No DSP: the benchmark measures the panel, not 250 oscillators.
        ask("/n_run", home, 0)

    per_tick, tick = 5, 0.01
    live, next_id, sent = [], base, 0
    start = time.monotonic()
    t = start
    while t - start < seconds:
        for _ in range(per_tick):
            if mode == "synths":
                s.send(osc("/s_new", "scpanel-sine", next_id, 1, home, "freq", 440.0))
            else:
                s.send(osc("/g_new", next_id, 1, home))
            live.append(next_id)
            next_id += 1
            sent += 1
        # Each node lives about half a second.
        while len(live) > 50 * per_tick:
            s.send(osc("/n_free", live.pop(0)))
            sent += 1
        for k in range(per_tick):
            s.send(osc("/n_set", live[(k * 37 + next_id) % len(live)], "freq", 220.0 + k))
            sent += 1
        t += tick
        delay = t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    if mode == "synths":
        for n in live:
            s.send(osc("/n_free", n))
        ask("/n_free", home)
    else:
        # The last groups stay, so the end-of-run comparison of the app's mirror with the
        # server's tree has a few hundred nodes to compare.
        ask("/status")
    elapsed = time.monotonic() - start
    print(f"{mode}: {sent} commands in {elapsed:.1f} s ({sent / elapsed:.0f}/s)")


if __name__ == "__main__":
    main()
