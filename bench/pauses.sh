#!/usr/bin/env bash
# berth's young collections under load: how many, and how long each stops the event loop (the time
# at the safepoint, from -Xlog:safepoint), over a measured wrk run after a warm-up. Pause lengths
# depend far less on the rest of the machine than a p99 does, so this judges a collector setting
# (BERTH_EXTRA_JAVA_OPTS) in one run. Same backend and berth config as bench/proxy.sh.
# Environment: UPSTREAM=unix|tcp (unix), WARMUP=20, DURATION=10 (s), BERTH_EXTRA_JAVA_OPTS.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UPSTREAM="${UPSTREAM:-unix}"
WARMUP="${WARMUP:-20}"
DURATION="${DURATION:-10}"

need "$NGINX" wrk curl "$PY"
raise_nofile
setup_tmp
build_berth

# shellcheck disable=SC2034  # lib.sh uses them
read -r BACKEND_PORT NGINX_PORT BERTH_PORT < <(free_ports 3)
start_backend
extra="${BERTH_EXTRA_JAVA_OPTS:-}"
export BERTH_EXTRA_JAVA_OPTS="$extra -Xlog:safepoint:file=$TMP/safepoints.log"
start_berth
url="http://127.0.0.1:$BERTH_PORT/$UPSTREAM/"
log "warm-up: wrk ${WARMUP} s on $url"
wrk -t1 -c64 -d"${WARMUP}s" "$url" >/dev/null
seen=$(wc -l <"$TMP/safepoints.log")
log "measured: wrk ${DURATION} s"
out=$(wrk -t1 -c64 -d"${DURATION}s" "$url")
requests=$(awk '/requests in/ {print $1}' <<<"$out")
# [..] Safepoint "SerialCollectForAllocation", Time since last: N ns, Reaching safepoint: N ns, At safepoint: N ns, ...
tail -n +"$((seen + 1))" "$TMP/safepoints.log" | grep 'CollectForAllocation' |
  sed -E 's/.*At safepoint: ([0-9]+) ns.*/\1/' | sort -n |
  awk -v r="$requests" -v u="$UPSTREAM" -v o="${extra:-(none)}" -v d="$DURATION" '
    { a[NR] = $1; sum += $1 }
    END {
      if (NR == 0) { printf "%s upstream, extra options %s: %d requests, no young collection\n", u, o, r; exit }
      p90 = int(NR * 0.9)
      if (p90 < 1) p90 = 1
      printf "%s upstream, extra options %s: %d requests, %d young collections (one per %.0f requests); at the safepoint: median %.0f us, p90 %.0f us, max %.0f us, %.2f%% of the run\n",
        u, o, r, NR, r / NR, a[int((NR + 1) / 2)] / 1000, a[p90] / 1000, a[NR] / 1000, sum / 1e9 / d * 100
    }'
grep -E 'Requests/sec' <<<"$out" | sed 's/^/  (not a benchmark: /; s/$/)/'
