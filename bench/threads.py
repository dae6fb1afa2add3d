#!/usr/bin/env python3
"""Per-thread CPU use of a process (and optionally one more), every 100 ms, until killed:
one line per interval with each thread group's share of a core (bench/delivery.sh THREADS=1)."""
import os, sys, time, signal

pids = [p for p in sys.argv[1:] if p]
tick = os.sysconf("SC_CLK_TCK")
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))

def sample():
    out = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except FileNotFoundError:
            continue
        for tid in tids:
            try:
                st = open(f"/proc/{pid}/task/{tid}/stat").read()
            except FileNotFoundError:
                continue
            name = st[st.index("(") + 1 : st.rindex(")")]
            f = st[st.rindex(")") + 2 :].split()
            key = f"{pid}:{name}"
            out[key] = out.get(key, 0) + int(f[11]) + int(f[12])
    return out

prev, t0 = sample(), time.time()
while True:
    time.sleep(0.1)
    cur = sample()
    keys = sorted(set(cur) | set(prev))
    parts = []
    for k in keys:
        d = (cur.get(k, 0) - prev.get(k, 0)) / tick / 0.1
        if d > 0.05:
            parts.append(f"{k.split(':', 1)[1]}={d:.0%}")
    print(f"{time.time() - t0:5.1f}s " + " ".join(parts), flush=True)
    prev = cur
