#!/usr/bin/env bash
# Which objects berth allocates per proxied request, class by class: berth runs without a collector
# (Epsilon, which never frees), so the class histogram taken before and after a measured wrk run
# counts every object made in between; each class's count and bytes are divided by the requests.
# Exact where bench/alloc.sh estimates, and it names what to cut. Same backend and berth config as
# bench/proxy.sh, the launcher's JVM options otherwise.
# Environment: UPSTREAM=unix|tcp (unix), WARMUP=30 (s: the JIT decides whether some of Netty's small
#   objects are made at all, and it keeps compiling the event loop's outer methods for 20-30 s),
#   DURATION=3 (s measured), TOP=20 (classes listed).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UPSTREAM="${UPSTREAM:-unix}"
WARMUP="${WARMUP:-30}"
DURATION="${DURATION:-3}"
TOP="${TOP:-20}"

need "$NGINX" wrk curl "$PY" jcmd
raise_nofile
setup_tmp
build_berth

# shellcheck disable=SC2034  # lib.sh uses them
read -r BACKEND_PORT NGINX_PORT BERTH_PORT < <(free_ports 3)
start_backend
# The launcher's options, then Epsilon instead of Serial (the later flag wins) and a heap that the
# warm-up and the run cannot fill (0.6-1 KiB a request at up to 100k requests a second).
export BERTH_EXTRA_JAVA_OPTS="${BERTH_EXTRA_JAVA_OPTS:-} -XX:-UseSerialGC -XX:+UnlockExperimentalVMOptions -XX:+UseEpsilonGC -Xmx16g"
start_berth
url="http://127.0.0.1:$BERTH_PORT/$UPSTREAM/"
log "warm-up: wrk ${WARMUP} s on $url"
wrk -t1 -c64 -d"${WARMUP}s" "$url" >/dev/null
jcmd "$BERTH_PID" GC.class_histogram -all >"$TMP/before.txt"
log "measured: wrk ${DURATION} s"
out=$(wrk -t1 -c64 -d"${DURATION}s" "$url")
jcmd "$BERTH_PID" GC.class_histogram -all >"$TMP/after.txt"
requests=$(awk '/requests in/ {print $1}' <<<"$out")
"$PY" - "$TMP/before.txt" "$TMP/after.txt" "$requests" "$UPSTREAM" "$TOP" <<'PY'
import re, sys

def histogram(path):
    counts = {}
    for line in open(path):
        m = re.match(r'\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)', line)
        if m:
            counts[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return counts

before, after = histogram(sys.argv[1]), histogram(sys.argv[2])
requests, upstream, top = int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
rows = []
for name, (count, size) in after.items():
    count0, size0 = before.get(name, (0, 0))
    if size > size0:
        rows.append(((size - size0) / requests, (count - count0) / requests, name))
rows.sort(reverse=True)
print(f"{upstream} upstream: {requests} requests, {sum(r[0] for r in rows):.0f} bytes allocated per request "
      "(TLAB fillers included: jdk.internal.vm.FillerElement)")
print("| bytes per request | objects per request | class |")
print("|---|---|---|")
for size, count, name in rows[:top]:
    print(f"| {size:.1f} | {count:.2f} | `{name}` |")
PY
