#!/usr/bin/env bash
# WebSocket echo messages/s: berth vs nginx, same echo backend, one run.
#
#   wsecho client ──> nginx proxy (1 worker, Upgrade/Connection passed) ─┐
#   wsecho client ──> berth proxy ───────────────────────────────────────┴─ TCP ──> wsecho server (echo)
#   wsecho client ──> wsecho server directly, for reference (before and after the rounds)
#
# wsecho (wsecho.c, built here with gcc) is the backend and the load client: one thread, epoll, C.
# The client opens CONNECTIONS WebSockets (the handshake through the proxy, checked: 101 and the
# accept key), keeps INFLIGHT messages of SIZE bytes in flight on each (the next one is sent when
# an echo comes back), and counts the echoes of DURATION seconds after WARMUP_TIME. Plain HTTP (no
# TLS): the proxies' tunnels are measured, not their TLS (tls.sh and h2.sh do that). Rounds
# alternate berth and nginx, the order flipping every round; the table shows medians and ratios.
#
# Environment (defaults): DURATION=10 (s per run), WARMUP_TIME=2 (s, each run), CONNECTIONS=64,
#   INFLIGHT=1 (messages in flight per connection, up to 64), SIZE=13 (bytes per message), ROUNDS=3,
#   WARMUP=20 (s per proxy before the rounds), WARMUP_RUNS=2, NGINX_WORKERS=1, BERTH_ROUTE_EXTRA
#   (lines added to berth's route; WebSockets pass by default), PROXIES="berth nginx", OUT= (a
#   directory for raw outputs, configs, berth's log and results.tsv), BERTH_JAVA_OPTS /
#   BERTH_EXTRA_JAVA_OPTS, BERTH_THREADS, BERTH_TRANSPORT, KEEP_TMP=1.
# Needs: nginx, gcc and OpenSSL's headers (libssl-dev: the handshake's SHA-1 and base64), curl,
#   /usr/bin/python3, JDK 21+ and Maven (berth builds itself).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-10}"
WARMUP_TIME="${WARMUP_TIME:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
INFLIGHT="${INFLIGHT:-1}"
SIZE="${SIZE:-13}"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-20}"
WARMUP_RUNS="${WARMUP_RUNS:-2}"
NGINX_WORKERS="${NGINX_WORKERS:-1}"
PROXIES="${PROXIES:-berth nginx}"
for proxy in $PROXIES; do
  [[ $proxy == berth || $proxy == nginx ]] || die "PROXIES: $proxy (expected: berth, nginx)"
done
read -ra PROXY_LIST <<<"$PROXIES"

need "$NGINX" gcc curl "$PY"
raise_nofile
setup_tmp
if [[ " $PROXIES " == *" berth "* ]]; then build_berth; fi

WSECHO="$TMP/wsecho"
gcc -O2 -o "$WSECHO" "$BENCH_DIR/wsecho.c" -lcrypto || die "gcc could not build wsecho (apt-get install -y libssl-dev)"

read -r ECHO_PORT NGINX_PORT BERTH_PORT < <(free_ports 3)

"$WSECHO" server "$ECHO_PORT" >"$TMP/echo.log" 2>&1 &
PIDS+=($!)
ECHO_PID=$!
wait_port "$ECHO_PORT"

# nginx as a WebSocket proxy, as its docs say (proxy_http_version 1.1, Upgrade and Connection
# passed on), with the fields berth sends upstream (as proxy.sh's nginx), and a read timeout
# longer than any run.
start_nginx_ws() {
  local p="$TMP/nginx-proxy"
  mkdir -p "$p"
  cat >"$p/nginx.conf" <<EOF2
$(nginx_common "$p")
worker_processes ${NGINX_WORKERS};
worker_rlimit_nofile $NOFILE;
events { worker_connections $((NOFILE - 100)); }
http {
$(nginx_http_common "$p")
    upstream echo { server 127.0.0.1:$ECHO_PORT; }
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        location /ws/ {
            proxy_pass http://echo/;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$http_host;
            proxy_set_header X-Forwarded-Port \$server_port;
            proxy_set_header X-Forwarded-Prefix /ws;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
}
EOF2
  "$NGINX" -p "$p" -c "$p/nginx.conf" -e "$p/error.log" >"$p/stdout.log" 2>&1 &
  PIDS+=($!)
  NGINX_PID=$!
  wait_port "$NGINX_PORT"
}

# berth: an app it does not run, on the echo server; the route /ws strips its prefix, as nginx's.
write_berth_ws_config() {
  cat >"$1" <<EOF2
shutdown_timeout = "1s"

[edge]
max_connections = 20000
${BERTH_THREADS:+threads = $BERTH_THREADS}
$([[ -n ${BERTH_TRANSPORT:-} ]] && echo "transport = \"$BERTH_TRANSPORT\"")

[access_log]
enabled = false

[[listeners]]
address = "127.0.0.1:$BERTH_PORT"

[apps.echo]
upstreams = ["127.0.0.1:$ECHO_PORT"]

[[routes]]
path = "/ws"
app = "echo"
strip_prefix = true
${BERTH_ROUTE_EXTRA:-}
EOF2
}

declare -A URL_PORT=([direct]=$ECHO_PORT)
declare -A URL_PATH=([direct]=/)
for proxy in "${PROXY_LIST[@]}"; do
  case $proxy in
    nginx) start_nginx_ws; URL_PORT[nginx]=$NGINX_PORT ;;
    berth)
      mkdir -p "$TMP/berth"
      write_berth_ws_config "$TMP/berth/berth.toml"
      start_berth "$TMP/berth/berth.toml"
      log "$(grep -m1 'berth: serving on' "$BERTH_LOG")"
      URL_PORT[berth]=$BERTH_PORT ;;
  esac
  URL_PATH[$proxy]=/ws/
done
log "echo :$ECHO_PORT; $(for p in "${PROXY_LIST[@]}"; do printf '%s :%s ' "$p" "${URL_PORT[$p]}"; done)"

mkdir -p "$TMP/runs"
RESULTS="$TMP/results.tsv"
: >"$RESULTS"

proxy_pids() {
  case $1 in
    berth) echo "$BERTH_PID" ;;
    nginx) pgrep -P "$NGINX_PID" ;;
    direct) ;;
  esac
}

# run TARGET ROUND SECONDS [WARMUP_TIME]: one wsecho client run; records it unless ROUND is "warm".
run() {
  local target=$1 round=$2 secs=$3 wt=${4:-$WARMUP_TIME} out line pids u0 s0 u1 s1 eu0 es0 eu1 es1 idle0 idle1
  out="$TMP/runs/$target-$round.txt"
  mapfile -t pids < <(proxy_pids "$target")
  read -r u0 s0 < <(cpu_ticks "${pids[@]}")
  read -r eu0 es0 < <(cpu_ticks "$ECHO_PID")
  idle0=$(idle_ticks)
  log "wsecho client ${URL_PORT[$target]} ${URL_PATH[$target]} $CONNECTIONS $wt $secs $SIZE $INFLIGHT  ($target, round $round)"
  "$WSECHO" client "${URL_PORT[$target]}" "${URL_PATH[$target]}" "$CONNECTIONS" "$wt" "$secs" "$SIZE" "$INFLIGHT" >"$out" 2>&1 &
  PIDS+=($!)
  wait $! || { cat "$out" >&2; die "wsecho client failed against $target"; }
  forget_pid $!
  read -r u1 s1 < <(cpu_ticks "${pids[@]}")
  read -r eu1 es1 < <(cpu_ticks "$ECHO_PID")
  idle1=$(idle_ticks)
  line="$(grep '^RESULT ' "$out")" || { cat "$out" >&2; die "no RESULT line from wsecho"; }
  log "  ${line#RESULT }"
  if [[ "$round" != warm ]]; then
    echo -e "$target\t$round\t$(echo "${line#RESULT }" | sed 's/[a-z0-9_]*=//g' | tr ' ' '\t')\t$((u1 - u0))\t$((s1 - s0))\t$((eu1 + es1 - eu0 - es0))\t$((idle1 - idle0))" >>"$RESULTS"
  fi
}

started=$SECONDS
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
run direct before "$DURATION"
warm_secs=$(((WARMUP + WARMUP_RUNS - 1) / WARMUP_RUNS))
for ((w = 1; w <= WARMUP_RUNS; w++)); do
  for proxy in "${PROXY_LIST[@]}"; do run "$proxy" warm "$warm_secs" 1; done
done
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order=("${PROXY_LIST[@]}"); else order=(); for ((i = ${#PROXY_LIST[@]} - 1; i >= 0; i--)); do order+=("${PROXY_LIST[i]}"); done; fi
  for proxy in "${order[@]}"; do run "$proxy" "$r" "$DURATION"; done
done
run direct after "$DURATION"

echo
echo "## WebSocket echo: $CONNECTIONS connections, $INFLIGHT message(s) of $SIZE bytes in flight on each, ${DURATION}s runs, $ROUNDS rounds, medians"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), $("$NGINX" -v 2>&1 | sed 's/.*: //') (worker_processes $NGINX_WORKERS)$([[ -n ${BERTH_PID:-} ]] && echo ", $(BERTH_JAVA_OPTS='' "$BERTH_HOME/berth" --version 2>/dev/null) at $(git -C "$BERTH_HOME" rev-parse --short HEAD 2>/dev/null || echo '?')"), client and echo server: bench/wsecho.c"
echo
"$PY" - "$RESULTS" "$(getconf CLK_TCK)" "${PROXY_LIST[@]}" <<'PY'
import statistics, sys
from collections import defaultdict
COLS = ("target round mps p50_us p90_us p99_us p999_us max_us messages conns closed bad"
        " user_ticks sys_ticks echo_ticks idle_ticks").split()
tick_us = 1e6 / int(sys.argv[2])
proxies = sys.argv[3:]
runs = []
for line in open(sys.argv[1]):
    r = dict(zip(COLS, line.rstrip("\n").split("\t")))
    for k in COLS[2:]:
        r[k] = float(r[k])
    runs.append(r)
by = defaultdict(list)
for r in runs:
    by[r["target"]].append(r)
med = lambda p, f: statistics.median(r[f] for r in by[p])
per_msg = lambda p, f: statistics.median(r[f] * tick_us / max(r["messages"], 1) for r in by[p])
ms = lambda us: f"{us / 1000:.2f}"
both = "berth" in by and "nginx" in by
print("| through | runs | messages/s (median) | p50 ms | p99 ms | berth/nginx msg/s | berth/nginx p99 | proxy CPU µs/msg user + sys | echo server CPU µs/msg | machine idle µs/msg |")
print("|---|---|---|---|---|---|---|---|---|---|")
for p in proxies + ["direct"]:
    if p not in by:
        continue
    ratio = ("", "")
    if p == "berth" and both:
        ratio = (f"**{med('berth', 'mps') / med('nginx', 'mps'):.2f}x**", f"**{med('berth', 'p99_us') / med('nginx', 'p99_us'):.2f}x**")
    cpu = f"{per_msg(p, 'user_ticks'):.1f} + {per_msg(p, 'sys_ticks'):.1f}" if p != "direct" else "–"
    print(f"| {p} | {len(by[p])} | {med(p, 'mps'):,.0f} | {ms(med(p, 'p50_us'))} | {ms(med(p, 'p99_us'))} | {ratio[0]} | {ratio[1]} "
          f"| {cpu} | {per_msg(p, 'echo_ticks'):.1f} | {per_msg(p, 'idle_ticks'):.1f} |")
if both:
    print()
    print(f"The issue's target, berth's messages/s >= nginx's (medians): {'met' if med('berth', 'mps') >= med('nginx', 'mps') else 'NOT met'}.")
    nginx = {r["round"]: r for r in by["nginx"]}
    rr = [(r["mps"] / nginx[r["round"]]["mps"], r["p99_us"] / nginx[r["round"]]["p99_us"]) for r in by["berth"] if r["round"] in nginx]
    if rr:
        m, p = [x[0] for x in rr], [x[1] for x in rr]
        print()
        print(f"berth/nginx within each round (median over rounds, min–max): messages/s {statistics.median(m):.2f}x "
              f"({min(m):.2f}–{max(m):.2f}), p99 {statistics.median(p):.2f}x ({min(p):.2f}–{max(p):.2f})")
if "direct" in by:
    fastest = max((med(p, "mps") for p in proxies if p in by), default=0)
    d = min(r["mps"] for r in by["direct"])
    verdict = "clearly faster than" if fastest and d >= 1.3 * fastest else "NOT clearly faster than"
    print()
    print(f"Direct to the echo server (the client and backend's own ceiling): {d:,.0f} messages/s at the least, "
          f"{verdict} the fastest proxy ({fastest:,.0f}): "
          + ("the client and backend are not the bottleneck." if verdict.startswith("clearly") else "the proxies may be measured against the client's limit."))
print()
print("Every run:")
print()
print("| through | round | messages/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | messages | closed | bad echoes |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in runs:
    print(f"| {r['target']} | {r['round']} | {r['mps']:,.0f} | {ms(r['p50_us'])} | {ms(r['p90_us'])} | {ms(r['p99_us'])} "
          f"| {ms(r['p999_us'])} | {ms(r['max_us'])} | {r['messages']:.0f} | {r['closed']:.0f} | {r['bad']:.0f} |")
PY
echo
echo "Load phase took $((SECONDS - started)) s. Load average (1/5/15 min) before it: $LOAD_START; after: $(cut -d' ' -f1-3 /proc/loadavg) (client + proxy + echo server alone make about 2)."
if [[ -n ${BERTH_LOG:-} ]] && grep -vq '^berth: ' "$BERTH_LOG"; then
  echo
  echo "berth printed $(grep -vc '^berth: ' "$BERTH_LOG") other line(s) during the run; the first 20:"
  grep -v '^berth: ' "$BERTH_LOG" | head -20 | sed 's/^/    /'
fi
if [[ -s "$TMP/nginx-proxy/error.log" ]]; then echo; echo "nginx error.log (first 5 lines):"; head -5 "$TMP/nginx-proxy/error.log" | sed 's/^/    /'; fi

if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  cp -r "$TMP/runs" "$RESULTS" "$OUT/"
  if [[ -f "$TMP/nginx-proxy/nginx.conf" ]]; then cp "$TMP/nginx-proxy/nginx.conf" "$OUT/nginx-proxy.conf"; fi
  if [[ -n ${BERTH_CONF:-} ]]; then cp "$BERTH_CONF" "$BERTH_LOG" "$OUT/"; fi
  log "raw outputs in $OUT"
fi
