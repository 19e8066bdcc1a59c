#!/usr/bin/env bash
# One-off for 2026-11-24-jit (not part of bench/): every proxy runs at the same time, and the wrk runs
# rotate between them, so the shared machine's load swings hit all of them alike.
#   HOMES="name=/path/to/berth-home[=extra JVM opts, separated by |] ..."  each home has ./berth and target/berth.jar+lib
# nginx (proxy, 1 worker, keepalive 32) is always included. Reuses bench/lib.sh (backend, nginx, cleanup).
set -euo pipefail
source /work/wt-bench/bench/lib.sh
ROUNDS="${ROUNDS:-4}"; DURATION="${DURATION:-10}"; WARMUP="${WARMUP:-10}"
D="-XX:+UseSerialGC -Xms8m -Xmx256m -Xmn24m -Xlog:gc+ergo=off -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=25 -XX:+ExitOnOutOfMemoryError -Dio.netty.leakDetection.level=disabled -Dio.netty.jfr.enabled=false -XX:TrimNativeHeapInterval=1000 -XX:+UseCompactObjectHeaders"
need "$NGINX" wrk curl "$PY"
raise_nofile
setup_tmp
read -r BACKEND_PORT NGINX_PORT < <(free_ports 2)
start_backend
start_nginx_proxy
declare -A URLBASE
NAMES=(nginx)
URLBASE[nginx]="http://127.0.0.1:$NGINX_PORT"
for spec in $HOMES; do
  IFS='=' read -r name home extra <<<"$spec"
  extra="${extra//|/ }"
  read -r BERTH_PORT < <(free_ports 1)
  mkdir -p "$TMP/$name"
  write_berth_config "$TMP/$name/berth.toml"
  BERTH_JAVA_OPTS="$D $extra" "$home/berth" up -c "$TMP/$name/berth.toml" >"$TMP/$name/berth.log" 2>&1 &
  PIDS+=($!); pid=$!
  for _ in $(seq 300); do grep -q 'berth: serving on' "$TMP/$name/berth.log" && break; sleep 0.05; done
  grep -q 'berth: serving on' "$TMP/$name/berth.log" || { cat "$TMP/$name/berth.log" >&2; die "$name did not start"; }
  log "$name: pid $pid, :$BERTH_PORT, $home, opts: defaults $extra"
  NAMES+=("$name"); URLBASE[$name]="http://127.0.0.1:$BERTH_PORT"
done
for n in "${NAMES[@]}"; do for k in tcp unix; do [[ "$(curl -s "${URLBASE[$n]}/$k/")" == hello ]] || die "$n/$k does not answer hello"; done; done
RES="$TMP/results.tsv"; : >"$RES"
run() { # name kind round secs
  local out="$TMP/wrk-$1-$2-$3.txt"
  wrk -t1 -c64 -d"$4"s --latency -s "$BENCH_DIR/report.lua" "${URLBASE[$1]}/$2/" >"$out" 2>&1
  local line; line="$(grep '^RESULT ' "$out")"
  log "$1/$2 round $3: $(grep 'Requests/sec' "$out" | tr -s ' ') load $(cut -d' ' -f1 /proc/loadavg)"
  [[ $3 == warm ]] || echo -e "$1\t$2\t$3\t$(echo "${line#RESULT }" | sed 's/[a-z0-9_]*=//g' | tr ' ' '\t')" >>"$RES"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${NAMES[@]}"; do for k in tcp unix; do run "$n" "$k" warm "$WARMUP"; done; done
N=${#NAMES[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  for k in tcp unix; do
    for ((i = 0; i < N; i++)); do run "${NAMES[(i + r - 1) % N]}" "$k" "$r" "$DURATION"; done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${NAMES[@]}"; do [[ $n == nginx ]] && continue; for p in $(pgrep -f "$TMP/$n/berth.toml"); do [[ $(cat /proc/$p/comm) == java ]] && echo "$n RSS at end: $(( $(rss_kib $p) / 1024 )) MiB"; done; done
cp "$RES" "${OUT:-/tmp}/interleave-results.tsv" 2>/dev/null || true
"$PY" - "$RES" <<'PY'
import sys, statistics as st, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
d = collections.defaultdict(list)
for r in rows: d[(r[0], r[1])].append((float(r[3]), int(r[4]) / 1000, int(r[6]) / 1000))
names = list(dict.fromkeys(r[0] for r in rows))
print("| upstream | proxy | runs | req/s median | p50 ms | p99 ms median | req/s vs nginx | p99 vs nginx | req/s per run | p99 per run |")
print("|---|---|---|---|---|---|---|---|---|---|")
for k in ("tcp", "unix"):
    ng = d[("nginx", k)]; nr = st.median(x[0] for x in ng); np = st.median(x[2] for x in ng)
    for n in names:
        v = d[(n, k)]; rr = st.median(x[0] for x in v); p50 = st.median(x[1] for x in v); p99 = st.median(x[2] for x in v)
        print(f"| {k} | {n} | {len(v)} | {rr:,.0f} | {p50:.2f} | {p99:.2f} | {rr/nr:.2f}x | {p99/np:.2f}x | {' '.join(f'{x[0]/1000:.1f}k' for x in v)} | {' '.join(f'{x[2]:.1f}' for x in v)} |")
PY
