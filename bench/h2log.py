#!/usr/bin/python3
"""One h2load run as a machine-readable line (stdlib only), for bench/h2.sh.

Usage: h2log.py H2LOAD_OUTPUT LOG_FILE

h2load prints req/s and the request counts, but only the min/max/mean/sd of its "time for
request", no percentiles. Its --log-file has one row per request: start time (µs since the
epoch), status (-1: the stream failed), µs to the end of the response. The percentiles come from
the rows, and only from the rows of the measured period: with --warm-up-time, h2load logs the
warm-up's requests too, so the rows kept are the last N by start time, N being what h2load counts
as done in its summary.

Prints: RESULT rps=... p50_us=... p90_us=... p99_us=... p999_us=... max_us=... requests=...
failed=... errored=... timeout=... non2xx=... proto=...
"""
import re
import sys


def main(out_path, log_path):
    text = open(out_path, encoding="utf-8", errors="replace").read()
    rps = float(re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", text).group(1))
    req = re.search(
        r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout",
        text)
    done, failed, errored, timeout = int(req.group(3)), int(req.group(5)), int(req.group(6)), int(req.group(7))
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    non2xx = sum(int(codes.group(i)) for i in (2, 3, 4))
    proto = re.search(r"Application protocol: (\S+)", text)
    rows = []
    with open(log_path) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) >= 3:
                rows.append((int(parts[0]), int(parts[1]), int(parts[2])))
    rows.sort()
    measured = rows[-done:] if done else []
    lat = sorted(r[2] for r in measured if r[1] != -1)
    if not lat:
        sys.exit(f"{log_path}: no successful request logged")

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))]

    print(f"RESULT rps={rps:.1f} p50_us={pct(50)} p90_us={pct(90)} p99_us={pct(99)} p999_us={pct(99.9)} "
          f"max_us={lat[-1]} requests={done} failed={failed} errored={errored} timeout={timeout} "
          f"non2xx={non2xx} proto={proto.group(1) if proto else '?'}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
