"""The same measurements as benches/core.rs, made with supriya (pip install supriya), for
comparison on the same machine. Run beside a JACK server:

    scripts/with-jack.sh python3 benches/supriya_compare.py
"""

import statistics
import time

import supriya
from supriya.osc import find_free_port


def ms(v):
    v = sorted(v)
    return f"median {v[len(v) // 2] * 1000:.3f} ms, min {v[0] * 1000:.3f} ms, max {v[-1] * 1000:.3f} ms (n={len(v)})"


def options():
    return dict(
        port=find_free_port(),
        input_bus_channel_count=2,
        output_bus_channel_count=2,
        maximum_node_count=32768,
        memory_size=65536,
        maximum_logins=4,
        # supriya takes the harmless "open directory failed …synthdefs" line for a boot failure.
        load_synthdefs=False,
    )


def main():
    boots = []
    for _ in range(5):
        s = supriya.Server()
        t = time.perf_counter()
        s.boot(**options())
        boots.append(time.perf_counter() - t)
        s.quit()
    print(f"supriya boot → online: {ms(boots)}")

    s = supriya.Server().boot(**options())
    rts = []
    for _ in range(300):
        t = time.perf_counter()
        s.query_status()
        rts.append(time.perf_counter() - t)
    print(f"supriya /status round trip: {ms(rts)}")

    holder = s.add_group()
    s.sync()
    t = time.perf_counter()
    for i in range(10_000):
        s.send(["/g_new", 100_000 + i, 1, int(holder)])
    s.sync()
    dt = time.perf_counter() - t
    print(f"supriya 10,000 /g_new + /sync: {dt * 1000:.1f} ms ({10_000 / dt:.0f} msgs/s)")

    t = time.perf_counter()
    try:
        tree = s.query_tree()
        print(f"supriya query_tree with 10,000 groups: {time.perf_counter() - t:.3f} s, {len(str(tree).splitlines())} lines")
    except Exception as e:  # supriya's 8 KiB read buffer / scsynth's 64 KiB limit
        print(f"supriya query_tree with 10,000 groups: failed after {time.perf_counter() - t:.1f} s ({type(e).__name__}: {e})")
    s.quit()


if __name__ == "__main__":
    main()
