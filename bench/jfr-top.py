#!/usr/bin/python3
"""Top hot spots of a JFR recording, from its jdk.ExecutionSample events (stdlib only).

  jfr-top.py RECORDING.jfr [N]

Prints the N (default 15) methods most often on top of the stack (self time), the N most often
anywhere on the stack (total time), and the stacks where exceptions were created
(jdk.JavaExceptionThrow, with settings=profile). Uses `jfr print --json` from $JFR or the newest
JDK under /usr/lib/jvm (a workaround for `jfr view hot-methods`, which fails on some recordings).
"""
import collections
import glob
import json
import os
import subprocess
import sys


def jfr_tool():
    if os.environ.get("JFR"):
        return os.environ["JFR"]
    tools = sorted(glob.glob("/usr/lib/jvm/*/bin/jfr"))
    return next((t for t in tools if "25" in t), tools[-1] if tools else "jfr")


def events(path, name):
    out = subprocess.run([jfr_tool(), "print", "--json", "--stack-depth", "64", "--events", name, path],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["recording"]["events"]


def frame_name(f):
    m = f["method"]
    t = m["type"]["name"]
    return f"{t}.{m['name']}"


def main(path, n):
    samples = events(path, "jdk.ExecutionSample")
    total = len(samples)
    self_c, incl_c, berth_c = collections.Counter(), collections.Counter(), collections.Counter()
    for e in samples:
        frames = (e["values"].get("stackTrace") or {}).get("frames") or []
        if not frames:
            continue
        self_c[frame_name(frames[0])] += 1
        seen = set(frame_name(f) for f in frames)
        for name in seen:
            incl_c[name] += 1
        # The innermost berth frame: which of berth's code the sample is under.
        for f in frames:
            if frame_name(f).startswith("dev.berth."):
                berth_c[frame_name(f)] += 1
                break
    print(f"{total} execution samples\n")
    for title, c in (("self (top of stack)", self_c), ("total (anywhere on the stack)", incl_c),
                     ("innermost berth frame", berth_c)):
        print(f"## {title}")
        for name, k in c.most_common(n):
            print(f"{100 * k / total:6.1f}%  {k:6d}  {name}")
        print()
    exc = events(path, "jdk.JavaExceptionThrow")
    by = collections.Counter()
    for e in exc:
        v = e["values"]
        cls = (v.get("thrownClass") or {}).get("name", "?")
        frames = (v.get("stackTrace") or {}).get("frames") or []
        where = " <- ".join(frame_name(f) for f in frames if not frame_name(f).startswith(("java.", "jdk.")))[:400]
        by[(cls, where)] += 1
    print(f"## exceptions created ({len(exc)})")
    for (cls, where), k in by.most_common(n // 2):
        print(f"{k:6d}  {cls}\n        at {where}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15)
