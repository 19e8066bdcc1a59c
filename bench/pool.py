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
from collections import defaultdict

from summarize import round_ratios

# A row of proxy.sh's "Every run" table: proxy, upstream, round, req/s, p50 ms, p99 ms.
RUN = re.compile(r"\| (berth|nginx) \| (tcp|unix) \| (\d+) \| ([\d,]+) \| [\d.]+ \| ([\d.]+) \|")

def ratios(paths, kind):
    """The within-round ratios of every file, each file's rounds paired among themselves."""
    rps, p99 = [], []
    for path in paths:
        by = defaultdict(list)
        with open(path) as f:
            for m in filter(None, map(RUN.match, f)):
                by[(m.group(1), m.group(2))].append(
                    {"round": m.group(3), "rps": float(m.group(4).replace(",", "")), "p99_us": float(m.group(5))})
        rps += round_ratios(by, kind, "rps")
        p99 += round_ratios(by, kind, "p99_us")
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
