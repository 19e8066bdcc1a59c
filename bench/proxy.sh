#!/usr/bin/env bash
# berth vs nginx as a reverse proxy, same backend, same topology, one run.
#
#   wrk -> nginx (proxy, keepalive 64 upstream) -> backend nginx ("hello\n") over TCP or a unix socket
#   wrk -> berth (proxy)                        -> the same backend, same two upstream kinds
#   wrk -> backend directly (TCP), for reference
#
# Each proxy is warmed up (WARMUP seconds per upstream kind in WARMUP_RUNS runs: berth's JIT needs
# about 10 s, and new connections more than once, or it deoptimizes in the first rounds), then the
# runs alternate berth/nginx for ROUNDS rounds (the order flips every round). The table shows
# medians over the rounds and the berth/nginx ratios.
#
# Environment (defaults): DURATION=10 (s per run), CONNECTIONS=64, THREADS=1 (wrk), ROUNDS=3,
#   WARMUP=12 (s per proxy and upstream kind), WARMUP_RUNS=3, NGINX_WORKERS=1 (or auto), UPSTREAM_KEEPALIVE=64
#   (nginx's upstream keepalive per worker; berth's default keepalive, so both keep the same idle
#   connections), BACKEND_CLOSES=1 (the backend closes every connection after its
#   response, as gunicorn's sync workers do), OUT= (a directory to keep
#   the raw wrk outputs, berth's log and results.tsv in), BERTH_JAVA_OPTS (passed to berth's JVM),
#   BERTH_KEEPALIVE (berth's upstream keepalive per instance and event loop), BERTH_THREADS and
#   BERTH_TRANSPORT (its [edge] threads and transport; unset: berth's defaults),
#   KEEP_TMP=1 (keep the temp dir), ACCEPT_ENCODING (sent by wrk as Accept-Encoding, e.g. "gzip":
#   berth then decodes the app's response to decide on compression, and compresses what qualifies;
#   unset: no such header, as before).
# Needs: nginx, wrk, curl, /usr/bin/python3, JDK 21+ and Maven (berth builds itself on first use).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-1}"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-12}"
WARMUP_RUNS="${WARMUP_RUNS:-3}"
NGINX_WORKERS="${NGINX_WORKERS:-1}"

need "$NGINX" wrk curl "$PY"
raise_nofile
setup_tmp
build_berth

read -r BACKEND_PORT NGINX_PORT BERTH_PORT < <(free_ports 3)
start_backend
start_nginx_proxy
start_berth
log "backend :$BACKEND_PORT + $BACKEND_SOCK, nginx :$NGINX_PORT ($NGINX_WORKERS worker(s)), berth :$BERTH_PORT (pid $BERTH_PID)"

declare -A URL=(
  [berth-tcp]="http://127.0.0.1:$BERTH_PORT/tcp/"
  [berth-unix]="http://127.0.0.1:$BERTH_PORT/unix/"
  [nginx-tcp]="http://127.0.0.1:$NGINX_PORT/tcp/"
  [nginx-unix]="http://127.0.0.1:$NGINX_PORT/unix/"
  [backend-tcp]="http://127.0.0.1:$BACKEND_PORT/"
)
for k in "${!URL[@]}"; do check_hello "${URL[$k]}"; done

mkdir -p "$TMP/wrk"
RESULTS="$TMP/results.tsv"
: >"$RESULTS"

# run PROXY KIND ROUND SECONDS: one wrk run; records it unless ROUND is "warm".
run() {
  local proxy=$1 kind=$2 round=$3 secs=$4 out line accepts pids u0 s0 u1 s1 bu0 bs0 bu1 bs1 idle0 idle1 backend
  out="$TMP/wrk/$proxy-$kind-$round.txt"
  # The CPU time the proxy spends on the run: berth's java process, or nginx's workers.
  case $proxy in
    berth) pids=("$BERTH_PID") ;;
    nginx) mapfile -t pids < <(pgrep -P "$NGINX_PID") ;;
    *) pids=() ;;
  esac
  mapfile -t backend < <(pgrep -P "$BACKEND_PID")
  accepts=$(backend_accepts)
  read -r u0 s0 < <(cpu_ticks "${pids[@]}")
  read -r bu0 bs0 < <(cpu_ticks "${backend[@]}")
  idle0=$(idle_ticks)
  log "wrk -t$THREADS -c$CONNECTIONS -d${secs}s --latency ${URL[$proxy-$kind]}  ($proxy/$kind, round $round)"
  # In the background and waited for, so that a signal stops the script at once.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency ${ACCEPT_ENCODING:+-H "Accept-Encoding: $ACCEPT_ENCODING"} -s "$BENCH_DIR/report.lua" "${URL[$proxy-$kind]}" >"$out" 2>&1 &
  PIDS+=($!)
  wait $! || { cat "$out" >&2; die "wrk failed"; }
  forget_pid $!
  read -r u1 s1 < <(cpu_ticks "${pids[@]}")
  read -r bu1 bs1 < <(cpu_ticks "${backend[@]}")
  idle1=$(idle_ticks)
  line="$(grep '^RESULT ' "$out")" || { cat "$out" >&2; die "no RESULT line from wrk"; }
  accepts=$(($(backend_accepts) - accepts - 1))  # the status request itself is one
  grep -E 'Non-2xx|Socket errors' "$out" | sed "s|^|  $proxy/$kind round $round: |" >&2 || true
  log "  $(grep 'Requests/sec' "$out" | tr -s ' '); backend accepted $accepts connections"
  if [[ "$round" != warm ]]; then
    # RESULT k=v ... -> tab-separated values after proxy, kind, round
    echo -e "$proxy\t$kind\t$round\t$(echo "${line#RESULT }" | sed 's/[a-z0-9_]*=//g' | tr ' ' '\t')\t$accepts\t$((u1 - u0))\t$((s1 - s0))\t$((bu1 + bs1 - bu0 - bs0))\t$((idle1 - idle0))" >>"$RESULTS"
  fi
}

started=$SECONDS
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
warm_secs=$(((WARMUP + WARMUP_RUNS - 1) / WARMUP_RUNS))  # each warm-up run, rounded up
for kind in tcp unix; do
  for ((w = 1; w <= WARMUP_RUNS; w++)); do
    run berth "$kind" warm "$warm_secs"
    run nginx "$kind" warm "$warm_secs"
  done
done
BERTH_RSS_AFTER_WARMUP=$(rss_kib "$BERTH_PID")
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order=(berth nginx); else order=(nginx berth); fi
  for kind in tcp unix; do
    for proxy in "${order[@]}"; do run "$proxy" "$kind" "$r" "$DURATION"; done
  done
done
run backend tcp 1 "$DURATION"
BERTH_RSS_END=$(rss_kib "$BERTH_PID")

echo
echo "## berth vs nginx: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, $ROUNDS rounds, medians"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC')${ACCEPT_ENCODING:+, Accept-Encoding: $ACCEPT_ENCODING}, $(nproc) cores, $(uname -r), nginx worker_processes $NGINX_WORKERS, keepalive ${UPSTREAM_KEEPALIVE:-64}$([[ "${BACKEND_CLOSES:-0}" == 1 ]] && echo ", backend closes every connection"), $("$NGINX" -v 2>&1 | sed 's/.*: //'), $(BERTH_JAVA_OPTS= "$BERTH_HOME/berth" --version 2>/dev/null)"
echo
"$PY" "$BENCH_DIR/summarize.py" "$RESULTS" "$(getconf CLK_TCK)"
echo
echo "berth RSS: $((BERTH_RSS_AFTER_WARMUP / 1024)) MiB after warm-up, $((BERTH_RSS_END / 1024)) MiB at the end. Load phase took $((SECONDS - started)) s."
echo "Load average (1/5/15 min) before the load phase: $LOAD_START; after: $(cut -d' ' -f1-3 /proc/loadavg) (wrk + proxy + backend alone make about 2)."
if grep -vq '^berth: ' "$BERTH_LOG"; then
  echo
  echo "berth printed $(grep -vc '^berth: ' "$BERTH_LOG") other line(s) during the run; the first 20:"
  grep -v '^berth: ' "$BERTH_LOG" | head -20 | sed 's/^/    /'
fi
for f in "$TMP"/backend/error.log "$TMP"/nginx-proxy/error.log; do
  if [[ -s "$f" ]]; then echo; echo "$f (first 5 lines):"; head -5 "$f" | sed 's/^/    /'; fi
done

if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  cp -r "$TMP/wrk" "$RESULTS" "$BERTH_LOG" "$OUT/"
  cp "$TMP/nginx-proxy/nginx.conf" "$OUT/nginx-proxy.conf"
  cp "$TMP/backend/nginx.conf" "$OUT/backend.conf"
  cp "$BERTH_CONF" "$OUT/berth.toml"
  log "raw outputs in $OUT"
fi
