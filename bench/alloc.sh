#!/usr/bin/env bash
# Bytes berth allocates per proxied request, from its GC log: a number that, unlike req/s, does not
# depend on what else the machine runs, so it tells whether a change to the request path made it
# leaner. Also how long its young collections held the event loop, which judges a collector
# setting (BERTH_EXTRA_JAVA_OPTS). Same backend and berth config as bench/proxy.sh; wrk with 64
# keep-alive connections, a warm-up, then a measured run. Every young collection empties eden, so
# what was allocated between two collections is the heap's size before the second minus its size
# after the first.
# Environment: UPSTREAM=unix|tcp (default unix), DURATION=10, WARMUP=5 (s; the JIT keeps compiling
#   the event loop's outer methods for 20-30 s, and what it inlines decides whether some of Netty's
#   small objects are allocated at all: 40 for a steady state), BERTH_JAVA_OPTS (the launcher's
#   defaults otherwise), BERTH_EXTRA_JAVA_OPTS (-Xlog:gc+heap and -Xlog:safepoint are added to it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UPSTREAM="${UPSTREAM:-unix}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-5}"

need "$NGINX" wrk curl "$PY"
raise_nofile
setup_tmp
build_berth

# shellcheck disable=SC2034  # lib.sh uses them
read -r BACKEND_PORT NGINX_PORT BERTH_PORT < <(free_ports 3)
start_backend
# gc+heap gives the young generation's occupancy in KiB; gc's own "23M->5M" rounds to whole MiB,
# which with a 7 MiB eden moved the result by several hundred bytes per request.
# safepoint gives how long each collection held the event loop.
extra="${BERTH_EXTRA_JAVA_OPTS:-}"
export BERTH_EXTRA_JAVA_OPTS="$extra -Xlog:gc+heap=info:file=$TMP/gc.log -Xlog:safepoint:file=$TMP/safepoints.log"
start_berth
url="http://127.0.0.1:$BERTH_PORT/$UPSTREAM/"
log "warm-up: wrk ${WARMUP} s on $url"
wrk -t1 -c64 -d"${WARMUP}s" "$url" >/dev/null
before=$(wc -l <"$TMP/gc.log")
seen=$(wc -l <"$TMP/safepoints.log")
log "measured: wrk ${DURATION} s"
out=$(wrk -t1 -c64 -d"${DURATION}s" "$url")
requests=$(awk '/requests in/ {print $1}' <<<"$out")
# "... GC(12) DefNew: 6592K(7360K)->768K(7360K) Eden: ..." (one per young collection)
tail -n +"$((before + 1))" "$TMP/gc.log" | grep -E 'DefNew: [0-9]+K' | sed -E 's/.*DefNew: ([0-9]+)K\([0-9]+K\)->([0-9]+)K.*/\1 \2/' |
  awk -v r="$requests" -v u="$UPSTREAM" '
    NR > 1 { bytes += ($1 - after) * 1024 }
    { after = $2; n++ }
    END { printf "%s upstream: %d requests, %d young collections, %.0f bytes allocated per request\n", u, r, n, (n > 1 ? bytes / r * n / (n - 1) : 0) }'
# [..] Safepoint "SerialCollectForAllocation", Time since last: N ns, Reaching safepoint: N ns, At safepoint: N ns, ...
tail -n +"$((seen + 1))" "$TMP/safepoints.log" | grep 'CollectForAllocation' |
  sed -E 's/.*At safepoint: ([0-9]+) ns.*/\1/' | sort -n |
  awk -v o="${extra:-(none)}" -v d="$DURATION" '
    { a[NR] = $1; sum += $1 }
    END {
      if (NR == 0) exit
      p90 = int(NR * 0.9)
      if (p90 < 1) p90 = 1
      printf "  young pauses (at the safepoint): median %.0f us, p90 %.0f us, max %.0f us, %.2f%% of the run; extra JVM options: %s\n",
        a[int((NR + 1) / 2)] / 1000, a[p90] / 1000, a[NR] / 1000, sum / 1e9 / d * 100, o
    }'
grep -E 'Requests/sec' <<<"$out" | sed 's/^/  (not a benchmark: /; s/$/)/'
