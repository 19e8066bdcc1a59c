#!/usr/bin/env bash
# berth's memory and start-up time, on the same backend as bench/proxy.sh:
#   1. time from launching `./berth up` (jar already built) to the first request it answers with
#      200, through a proxied route (median of STARTS runs, default 3);
#   2. RSS (VmRSS of the java process) idle after start, then with IDLE_CONNS (default 10000)
#      idle keep-alive client connections open, each having sent one request: the max over 15 s and
#      the settled value (median of the last 5 s); nginx (as a proxy, master + workers) measured the
#      same way for reference;
#   3. max RSS while streaming a 1 GiB body from the backend through berth to curl (a fresh berth).
# Environment: IDLE_CONNS=10000, STARTS=3, BERTH_JAVA_OPTS, NGINX_WORKERS=1, KEEP_TMP=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IDLE_CONNS="${IDLE_CONNS:-10000}"
STARTS="${STARTS:-3}"

need "$NGINX" curl "$PY"
raise_nofile
((NOFILE > IDLE_CONNS + 200)) || log "warning: open files limit $NOFILE is too low for $IDLE_CONNS connections"
setup_tmp
build_berth

read -r BACKEND_PORT NGINX_PORT BERTH_PORT START_PORT < <(free_ports 4)
BIG_FILE=1 start_backend
log "backend :$BACKEND_PORT + $BACKEND_SOCK"

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# --- 1. start-up time --------------------------------------------------------------------------
mkdir -p "$TMP/start"
saved_port=$BERTH_PORT
BERTH_PORT=$START_PORT write_berth_config "$TMP/start/berth.toml"
starts=() servings=()
for ((i = 1; i <= STARTS; i++)); do
  "$PY" "$BENCH_DIR/conns.py" startup "$START_PORT" /tcp/ -- "$BERTH_HOME/berth" up -c "$TMP/start/berth.toml" \
    >"$TMP/start/out.txt" 2>&1 &
  PIDS+=($!)
  wait $! || die "start-up run $i failed: $(cat "$TMP/start/out.txt")"
  forget_pid $!
  out="$(cat "$TMP/start/out.txt")"
  read -r ms serving <<<"$out"
  starts+=("${ms#ms=}")
  servings+=("${serving#serving_on_ms=}")
  log "start-up run $i: ${ms#ms=} ms to the first 200 (it said 'serving on' at ${serving#serving_on_ms=} ms)"
done
START_MEDIAN=$(median "${starts[@]}")
SERVING_MEDIAN=$(median "${servings[@]}")

# --- 2. RSS idle and with idle keep-alive connections -------------------------------------------
idle_conns() {  # PORT LABEL RSS_FUNCTION PID -> sets CONNS_LINE, RSS_OPEN (max of samples)
  local port=$1 label=$2 rssf=$3 pid=$4 f="$TMP/idle-$2.txt" hp r
  "$PY" "$BENCH_DIR/conns.py" idle "$port" /tcp/ "$IDLE_CONNS" >"$f" 2>&1 &
  hp=$!
  PIDS+=("$hp")
  for _ in $(seq 1200); do
    grep -q '^open=' "$f" && break
    kill -0 "$hp" 2>/dev/null || { cat "$f" >&2; die "conns.py idle exited"; }
    sleep 0.1
  done
  CONNS_LINE="$(grep '^open=' "$f")" || die "conns.py idle did not finish opening connections"
  # 15 s with all of them open: the max (the first seconds carry what opening them cost: garbage,
  # compilations) and the median of the last 5 samples, once nothing happens any more.
  RSS_OPEN=0
  local samples=()
  for _ in $(seq 15); do
    r=$($rssf "$pid"); if ((r > RSS_OPEN)); then RSS_OPEN=$r; fi
    samples+=("$r")
    sleep 1
  done
  RSS_SETTLED=$(median "${samples[@]:10}")
  log "$label: $CONNS_LINE; RSS max $(mib "$RSS_OPEN") MiB, settled $(mib "$RSS_SETTLED") MiB"
  SERVER_CLOSED="$(grep -c 'server closed' "$f" || true)"
  stop_pid "$hp"
}

BERTH_PORT=$saved_port
start_berth
sleep 1
BERTH_IDLE=$(rss_kib "$BERTH_PID")
check_hello "http://127.0.0.1:$BERTH_PORT/tcp/"
BERTH_ONE=$(rss_kib "$BERTH_PID")
idle_conns "$BERTH_PORT" berth rss_kib "$BERTH_PID"
BERTH_CONNS_LINE=$CONNS_LINE BERTH_CONNS_RSS=$RSS_OPEN BERTH_CONNS_SETTLED=$RSS_SETTLED BERTH_CLOSED=$SERVER_CLOSED
sleep 1
BERTH_AFTER=$(rss_kib "$BERTH_PID")
BERTH_EXTRA="$(grep -v '^berth: ' "$BERTH_LOG" | head -5 || true)"
stop_pid "$BERTH_PID"

start_nginx_proxy
sleep 0.5
NGINX_IDLE=$(nginx_rss_kib "$NGINX_PID")
idle_conns "$NGINX_PORT" nginx nginx_rss_kib "$NGINX_PID"
NGINX_CONNS_LINE=$CONNS_LINE NGINX_CONNS_RSS=$RSS_OPEN NGINX_CONNS_SETTLED=$RSS_SETTLED
stop_pid "$NGINX_PID"

# --- 3. streaming 1 GiB through a fresh berth (and nginx, for reference) ------------------------
stream() {  # URL RSS_FUNCTION PID -> sets STREAM_BEFORE, STREAM_MAX, STREAM_AFTER, STREAM_RESULT
  local url=$1 rssf=$2 pid=$3 curl_pid r code bytes speed
  STREAM_BEFORE=$($rssf "$pid")
  curl -sS -o /dev/null -w '%{http_code} %{size_download} %{speed_download}\n' "$url" >"$TMP/curl.txt" 2>&1 &
  curl_pid=$!
  PIDS+=("$curl_pid")
  STREAM_MAX=0
  while kill -0 "$curl_pid" 2>/dev/null; do
    r=$($rssf "$pid"); if ((r > STREAM_MAX)); then STREAM_MAX=$r; fi
    sleep 0.02
  done
  wait "$curl_pid" || true
  forget_pid "$curl_pid"
  read -r code bytes speed <"$TMP/curl.txt" || true
  STREAM_AFTER=$($rssf "$pid")
  STREAM_RESULT="HTTP ${code:-?}, ${bytes:-?} bytes, $(awk -v s="${speed:-0}" 'BEGIN {printf "%.0f", s / 1048576}') MiB/s"
  [[ "$bytes" == 1073741824 ]] || log "warning: $url gave $(cat "$TMP/curl.txt")"
}

start_berth
sleep 1
stream "http://127.0.0.1:$BERTH_PORT/tcp/big" rss_kib "$BERTH_PID"
B_STREAM=("$STREAM_BEFORE" "$STREAM_MAX" "$STREAM_AFTER" "$STREAM_RESULT")
stop_pid "$BERTH_PID"
start_nginx_proxy
sleep 0.5
stream "http://127.0.0.1:$NGINX_PORT/tcp/big" nginx_rss_kib "$NGINX_PID"
N_STREAM=("$STREAM_BEFORE" "$STREAM_MAX" "$STREAM_AFTER" "$STREAM_RESULT")
stop_pid "$NGINX_PID"

echo
echo "## berth memory and start-up"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), $(BERTH_JAVA_OPTS= "$BERTH_HOME/berth" --version 2>/dev/null), BERTH_JAVA_OPTS=${BERTH_JAVA_OPTS:-(default)}"
echo
echo "| measure | berth | target | nginx (proxy, master+workers) |"
echo "|---|---|---|---|"
echo "| start to first proxied 200 (median of $STARTS: ${starts[*]} ms) | ${START_MEDIAN} ms | < 1000 ms | |"
echo "| start to 'berth: serving on' (median of $STARTS: ${servings[*]} ms) | ${SERVING_MEDIAN} ms | | |"
echo "| RSS idle after start | $(mib "$BERTH_IDLE") MiB (after 1 request: $(mib "$BERTH_ONE")) | | $(mib "$NGINX_IDLE") MiB |"
echo "| RSS with $IDLE_CONNS idle keep-alive connections, settled (median of seconds 11-15) | $(mib "$BERTH_CONNS_SETTLED") MiB | <= 96 MiB | $(mib "$NGINX_CONNS_SETTLED") MiB |"
echo "| RSS with $IDLE_CONNS idle keep-alive connections, max over those 15 s | $(mib "$BERTH_CONNS_RSS") MiB | | $(mib "$NGINX_CONNS_RSS") MiB |"
echo "| RSS 1 s after they closed | $(mib "$BERTH_AFTER") MiB | | |"
echo "| RSS streaming 1 GiB, max (before / after) | $(mib "${B_STREAM[1]}") MiB ($(mib "${B_STREAM[0]}") / $(mib "${B_STREAM[2]}")) | | $(mib "${N_STREAM[1]}") MiB ($(mib "${N_STREAM[0]}") / $(mib "${N_STREAM[2]}")) |"
echo
echo "- idle connections to berth: $BERTH_CONNS_LINE; closed by berth while held: $BERTH_CLOSED"
echo "- idle connections to nginx: $NGINX_CONNS_LINE"
echo "- 1 GiB stream through berth: ${B_STREAM[3]}; through nginx: ${N_STREAM[3]}"
if [[ -n "$BERTH_EXTRA" ]]; then
  echo "- berth printed (first lines other than its own 'berth:' lines):"
  printf '%s\n' "$BERTH_EXTRA" | sed 's/^/    /'
fi
