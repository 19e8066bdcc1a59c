#!/usr/bin/python3
"""Reads the runs proxy.sh recorded (a TSV) and prints the markdown tables: medians and ratios.

Usage: summarize.py RESULTS.tsv [CLK_TCK]. The last four columns are clock ticks over the run: the
proxy's CPU time (user, system), the backend's (both) and the machine's idle time (all cores);
CLK_TCK (default 100) turns them into microseconds per request.
"""
import statistics
import sys
from collections import defaultdict

COLS = ("proxy kind round rps p50_us p90_us p99_us max_us requests non2xx connect read write timeout p999_us upconns"
        " user_ticks sys_ticks backend_ticks idle_ticks").split()
TICK_US = 1e6 / 100

def load(path):
    runs = []
    with open(path) as f:
        for line in f:
            if line.strip():
                r = dict(zip(COLS, line.split("\t")))
                for k in COLS[3:]:
                    # Files from before the backend and idle columns lack them.
                    r[k] = float(r.get(k, "nan"))
                runs.append(r)
    return runs

def per_k(runs):
    """Median, over runs, of connections the backend accepted per 1000 requests."""
    return f"{statistics.median(1000 * r['upconns'] / max(r['requests'], 1) for r in runs):.0f}"

def cpu(runs, field):
    """Median, over runs, of ticks per request in microseconds (the proxy's user or sys, the backend's, idle)."""
    value = statistics.median(r[field] * TICK_US / max(r['requests'], 1) for r in runs)
    return "–" if value != value else f"{value:.1f}"

def round_ratios(by, kind, field):
    """berth/nginx for one field, each round's pair on its own (also used by pool.py).

    The two proxies of a round ran back to back, so a machine that slows down over the run moves
    both; the ratio of the medians mixes rounds taken at different speeds.
    """
    nginx = {r["round"]: r[field] for r in by.get(("nginx", kind), [])}
    return [r[field] / nginx[r["round"]] for r in by.get(("berth", kind), []) if nginx.get(r["round"])]

def paired(by, kind, field):
    """Median, min and max over rounds of round_ratios."""
    ratios = round_ratios(by, kind, field)
    if not ratios:
        return ""
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}–{max(ratios):.2f})"

def ms(us):
    return f"{us / 1000:.2f}"

def main(path):
    runs = load(path)
    by = defaultdict(list)
    for r in runs:
        by[(r["proxy"], r["kind"])].append(r)
    med = lambda key, field: statistics.median(r[field] for r in by[key])
    print("| upstream | proxy | runs | req/s (median) | p50 ms | p99 ms | berth/nginx req/s | berth/nginx p99 "
          "| CPU µs/req user + sys | backend CPU µs/req | machine idle µs/req | new backend conns per 1000 req |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    pairs = []
    for kind in ("tcp", "unix"):
        b, n = ("berth", kind), ("nginx", kind)
        if b not in by or n not in by:
            continue
        rps_ratio = med(b, "rps") / med(n, "rps")
        p99_ratio = med(b, "p99_us") / med(n, "p99_us")
        for key in (b, n):
            ratio = (f"**{rps_ratio:.2f}x**", f"**{p99_ratio:.2f}x**") if key == b else ("", "")
            print(f"| {kind} | {key[0]} | {len(by[key])} | {med(key, 'rps'):,.0f} | {ms(med(key, 'p50_us'))} "
                  f"| {ms(med(key, 'p99_us'))} | {ratio[0]} | {ratio[1]} "
                  f"| {cpu(by[key], 'user_ticks')} + {cpu(by[key], 'sys_ticks')} | {cpu(by[key], 'backend_ticks')} "
                  f"| {cpu(by[key], 'idle_ticks')} | {per_k(by[key])} |")
        pairs.append(f"| {kind} | {paired(by, kind, 'rps')} | {paired(by, kind, 'p99_us')} |")
    if ("backend", "tcp") in by:
        k = ("backend", "tcp")
        print(f"| tcp | backend alone | {len(by[k])} | {med(k, 'rps'):,.0f} | {ms(med(k, 'p50_us'))} "
              f"| {ms(med(k, 'p99_us'))} | | | | {cpu(by[k], 'backend_ticks')} | {cpu(by[k], 'idle_ticks')} "
              f"| {per_k(by[k])} |")
    if pairs:
        print()
        print("berth/nginx within each round (median over rounds, min–max):")
        print()
        print("| upstream | req/s | p99 |")
        print("|---|---|---|")
        print("\n".join(pairs))
    print()
    print("Every run (req/s, p50/p99 ms; errors as wrk counts them):")
    print()
    print("| proxy | upstream | round | req/s | p50 ms | p99 ms | max ms | requests | non-2xx/3xx | socket errors c/r/w/t | backend conns |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(f"| {r['proxy']} | {r['kind']} | {r['round']} | {r['rps']:,.0f} | {ms(r['p50_us'])} | {ms(r['p99_us'])} "
              f"| {ms(r['max_us'])} | {r['requests']:.0f} | {r['non2xx']:.0f} "
              f"| {r['connect']:.0f}/{r['read']:.0f}/{r['write']:.0f}/{r['timeout']:.0f} | {r['upconns']:.0f} |")

if __name__ == "__main__":
    if len(sys.argv) > 2:
        TICK_US = 1e6 / int(sys.argv[2])
    main(sys.argv[1])
