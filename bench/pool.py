#!/usr/bin/python3
"""Pools the rounds of several proxy.sh outputs: berth/nginx within each round, over all of them.

Usage: pool.py OUTPUT.txt... (proxy.sh's printed output, as kept in bench/results/). For each
upstream kind it prints the median of the within-round ratios (req/s and p99), a 95% interval for
that median (bootstrap, 2000 resamples, fixed seed), and how many rounds berth's req/s was at or
above nginx's. One run of 8 rounds is too few to tell 1.00x from 1.03x on this machine; 32 are
enough to see whether the interval holds 1.0.
"""
import random
import re
import statistics
import sys

RUN = re.compile(r"\| (berth|nginx) \| (tcp|unix) \| (\d+) \| ([\d,]+) \| [\d.]+ \| ([\d.]+) \|")

def ratios(paths, kind):
    rps, p99 = [], []
    for path in paths:
        runs = {}
        with open(path) as f:
            for line in f:
                m = RUN.match(line)
                if m and m.group(2) == kind:
                    runs[(m.group(1), m.group(3))] = (float(m.group(4).replace(",", "")), float(m.group(5)))
        for (proxy, rnd), (r, p) in runs.items():
            other = runs.get(("nginx", rnd))
            if proxy == "berth" and other:
                rps.append(r / other[0])
                p99.append(p / other[1])
    return rps, p99

def interval(values, rng):
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(2000))
    return medians[50], medians[1949]

def main(paths):
    rng = random.Random(1)
    print("| upstream | rounds | req/s, median (95% interval) | p99, median (95% interval) | rounds with req/s >= nginx's |")
    print("|---|---|---|---|---|")
    for kind in ("tcp", "unix"):
        rps, p99 = ratios(paths, kind)
        if not rps:
            continue
        (rl, rh), (pl, ph) = interval(rps, rng), interval(p99, rng)
        print(f"| {kind} | {len(rps)} | {statistics.median(rps):.3f}x ({rl:.3f}–{rh:.3f}) "
              f"| {statistics.median(p99):.3f}x ({pl:.3f}–{ph:.3f}) | {sum(r >= 1 for r in rps)} |")

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
