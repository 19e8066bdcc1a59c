#!/usr/bin/env bash
# HTTP/2 over TLS (ALPN h2): berth vs nginx vs HAProxy, same certificate, same backend, one run.
#
#   h2load -> nginx   (TLS, `listen ... ssl http2`, 1 worker)  ─┐
#   h2load -> HAProxy (TLS, `bind ... ssl alpn h2,http/1.1`,    ├─ HTTP/1.1, TCP (or UPSTREAM=unix)
#                      nbthread 1)                              │  -> backend nginx ("hello, world\n",
#   h2load -> berth   (TLS listener, certificate files)       ──┘     13 bytes)
#
# Each run is `h2load -t1 -c64 -m10 -D 10 --warm-up-time 2` (64 connections, 10 streams in flight
# on each); the proxies take turns, and the order rotates every round. req/s is h2load's; the
# latency percentiles come from its --log-file (h2load itself prints no percentiles), counting the
# measured period only (h2log.py). The table shows medians and berth/nginx, berth/HAProxy ratios.
# Before the load, each proxy must answer the 13 bytes to `curl --http2` over HTTP/2 with a
# certificate that verifies, and h2load must report "Application protocol: h2" for every run.
#
# Environment (defaults): DURATION=10 (s per run), WARMUP_TIME=2 (h2load's own warm-up in each
#   run, s), CONNECTIONS=64, STREAMS=10 (h2load -m), ROUNDS=3, WARMUP=30 (s per proxy, before the
#   rounds), WARMUP_RUNS=3, PROXIES="berth nginx haproxy", UPSTREAM=tcp (or unix), NGINX_WORKERS=1,
#   HAPROXY_THREADS=1, UPSTREAM_KEEPALIVE and BERTH_KEEPALIVE (idle backend connections kept by
#   nginx and berth: CONNECTIONS x STREAMS, at most 1024), OUT= (a directory to keep raw outputs, configs, berth's log and
#   results.tsv in), BERTH_JAVA_OPTS / BERTH_EXTRA_JAVA_OPTS (berth's JVM; JFR goes in the
#   second), BERTH_THREADS, BERTH_TRANSPORT, ALLOW_H1=1 (a berth that does not speak HTTP/2 yet is
#   measured with `h2load --h1 -m1` instead of stopping the script: to check the script, not a
#   result), PROTOCOL=h1 (every proxy over HTTP/1.1 with `h2load --h1 -m1`: the same load over
#   TLS without HTTP/2, to tell the HTTP/2 layer's cost from the rest), KEEP_TMP=1.
# Needs: nginx (with http_v2), haproxy (2.6: apt-get install -y haproxy), h2load (nghttp2-client),
#   curl with HTTP/2, openssl, /usr/bin/python3, JDK 21+ and Maven (berth builds itself).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-10}"
WARMUP_TIME="${WARMUP_TIME:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
STREAMS="${STREAMS:-10}"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-30}"
WARMUP_RUNS="${WARMUP_RUNS:-3}"
PROXIES="${PROXIES:-berth nginx haproxy}"
UPSTREAM="${UPSTREAM:-tcp}"
NGINX_WORKERS="${NGINX_WORKERS:-1}"
HAPROXY_THREADS="${HAPROXY_THREADS:-1}"
HAPROXY="${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}"
# Up to CONNECTIONS x STREAMS requests are in flight, each on its own HTTP/1.1 connection to the
# backend. nginx keeps `keepalive` idle ones and closes the rest (at 64, the other scripts' value,
# it opened 632 backend connections per 1000 requests: the run measured connection set-up), and
# berth keeps `keepalive` per event loop; HAProxy keeps every idle one by default. So nginx and
# berth keep as many as can be in flight (up to berth's maximum, 1024), and the table shows how
# many connections the backend accepted per 1000 requests.
UPSTREAM_KEEPALIVE="${UPSTREAM_KEEPALIVE:-$((CONNECTIONS * STREAMS > 1024 ? 1024 : CONNECTIONS * STREAMS))}"
BERTH_KEEPALIVE="${BERTH_KEEPALIVE:-$UPSTREAM_KEEPALIVE}"
export UPSTREAM_KEEPALIVE BERTH_KEEPALIVE
[[ "$UPSTREAM" == tcp || "$UPSTREAM" == unix ]] || die "UPSTREAM=$UPSTREAM (expected: tcp or unix)"
for proxy in $PROXIES; do
  [[ $proxy == berth || $proxy == nginx || $proxy == haproxy ]] || die "PROXIES: $proxy (expected: berth, nginx, haproxy)"
done
read -ra PROXY_LIST <<<"$PROXIES"

need "$NGINX" h2load curl openssl "$PY"
if [[ " $PROXIES " == *" haproxy "* ]]; then
  command -v "$HAPROXY" >/dev/null 2>&1 || [[ -x "$HAPROXY" ]] || die "haproxy not found (apt-get install -y haproxy)"
fi
raise_nofile
setup_tmp
if [[ " $PROXIES " == *" berth "* ]]; then build_berth; fi

read -r BACKEND_PORT NGINX_PORT BERTH_PORT HAPROXY_PORT < <(free_ports 4)

# HAProxy as an HTTPS proxy: HTTP/2 and HTTP/1.1 on the bind (ALPN), 1 thread (as nginx's 1 worker
# and berth's 1 event loop on these 2 cores), the same certificate (its `crt` takes the leaf and key
# in one file), TLS 1.2 and 1.3 as the others, no logging. It sends what berth and nginx send
# upstream (X-Forwarded-For, -Proto, -Host, -Port, -Prefix) and strips the /tcp or /unix prefix.
# Keep-alive to the backend with HAProxy's defaults (`http-reuse safe`, idle connections kept).
start_haproxy() {
  local p="$TMP/haproxy" kind server
  mkdir -p "$p"
  {
    cat <<EOF2
global
    nbthread $HAPROXY_THREADS
    maxconn $((NOFILE / 2 - 100))
    ssl-default-bind-options ssl-min-ver TLSv1.2
    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305
    ssl-default-bind-curves X25519:P-256:P-384

defaults
    mode http
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
    option http-keep-alive

frontend https
    bind 127.0.0.1:$HAPROXY_PORT ssl crt $CERT_AND_KEY alpn h2,http/1.1
    maxconn $((NOFILE / 2 - 100))
    use_backend unix if { path_beg /unix/ }
    default_backend tcp
EOF2
    for kind in tcp unix; do
      if [[ $kind == tcp ]]; then server="127.0.0.1:$BACKEND_PORT"; else server="unix@$BACKEND_SOCK"; fi
      cat <<EOF2

backend $kind
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    http-request set-header X-Forwarded-Port %[dst_port]
    http-request set-header X-Forwarded-Prefix /$kind
    http-request replace-path ^/$kind/(.*) /\1
    server backend $server
EOF2
    done
  } >"$p/haproxy.cfg"
  "$HAPROXY" -c -q -f "$p/haproxy.cfg" >"$p/check.log" 2>&1 || { cat "$p/check.log" >&2; die "haproxy rejects its config"; }
  # -db: in the foreground, one process (no master), so that its CPU time is this pid's.
  "$HAPROXY" -db -f "$p/haproxy.cfg" >"$p/stdout.log" 2>&1 &
  PIDS+=($!)
  HAPROXY_PID=$!
  wait_port "$HAPROXY_PORT"
}

make_certificate
BACKEND_BODY='hello, world\n' start_backend
declare -A URL PORT
for proxy in "${PROXY_LIST[@]}"; do
  case $proxy in
    nginx)
      NGINX_LISTEN_EXTRA=http2 start_nginx_tls
      PORT[nginx]=$NGINX_PORT ;;
    haproxy)
      start_haproxy
      PORT[haproxy]=$HAPROXY_PORT ;;
    berth)
      # proxy.sh's berth config, its listener made an HTTPS one with the same certificate files.
      mkdir -p "$TMP/berth"
      write_berth_config "$TMP/berth/berth.toml"
      sed -i "s|^address = \"127.0.0.1:$BERTH_PORT\"\$|&\ntls = { certificate = \"$CERT\", key = \"$KEY\" }|" "$TMP/berth/berth.toml"
      grep -q '^tls = ' "$TMP/berth/berth.toml" || die "could not add tls to berth's listener"
      start_berth "$TMP/berth/berth.toml"
      BERTH_START_LINE="$(grep -m1 'berth: serving on' "$BERTH_LOG")"
      log "$BERTH_START_LINE"
      [[ "$BERTH_START_LINE" != *"TLS by the JDK"* ]] || log "warning: berth uses the JDK's TLS engine, not BoringSSL"
      PORT[berth]=$BERTH_PORT ;;
  esac
  URL[$proxy]="https://localhost:${PORT[$proxy]}/$UPSTREAM/"
done
log "backend :$BACKEND_PORT + $BACKEND_SOCK; $(for p in "${PROXY_LIST[@]}"; do printf '%s :%s ' "$p" "${PORT[$p]}"; done)"

# Each answers the 13 bytes over HTTP/2 (ALPN), with a certificate that verifies against the root.
declare -A H2LOAD_PROTO_OPTS
for proxy in "${PROXY_LIST[@]}"; do
  out="$(curl -sS --max-time 5 --http2 --cacert "$ROOT" -w '\n%{http_version}' "${URL[$proxy]}")" || die "GET ${URL[$proxy]} failed"
  body="$(head -n1 <<<"$out")" version="$(tail -n1 <<<"$out")"
  [[ "$body" == "hello, world" ]] || die "GET ${URL[$proxy]} answered '$body', not 'hello, world'"
  H2LOAD_PROTO_OPTS[$proxy]=""
  if [[ "${PROTOCOL:-h2}" == h1 ]]; then
    H2LOAD_PROTO_OPTS[$proxy]="--h1"
  elif [[ "$version" != 2 ]]; then
    if [[ $proxy == berth && "${ALLOW_H1:-0}" == 1 ]]; then
      log "warning: berth answers over HTTP/$version, not HTTP/2: measured with h2load --h1 -m1 (ALLOW_H1=1), not a result"
      H2LOAD_PROTO_OPTS[$proxy]="--h1"
    else
      die "$proxy answers over HTTP/$version, not HTTP/2"
    fi
  fi
  log "$proxy: ${URL[$proxy]} answers 'hello, world' over HTTP/$version"
done

mkdir -p "$TMP/h2load"
RESULTS="$TMP/results.tsv"
: >"$RESULTS"

proxy_pids() {
  case $1 in
    berth) echo "$BERTH_PID" ;;
    nginx) pgrep -P "$NGINX_PID" ;;
    haproxy) echo "$HAPROXY_PID" ;;
  esac
}

# run PROXY ROUND SECONDS: one h2load run; records it unless ROUND is "warm".
run() {
  local proxy=$1 round=$2 secs=$3 out log line pids backend accepts u0 s0 u1 s1 bu0 bs0 bu1 bs1 idle0 idle1 opts streams=$STREAMS
  out="$TMP/h2load/$proxy-$round.txt"
  log="$TMP/h2load/$proxy-$round.log"
  mapfile -t pids < <(proxy_pids "$proxy")
  mapfile -t backend < <(pgrep -P "$BACKEND_PID")
  opts=${H2LOAD_PROTO_OPTS[$proxy]}
  if [[ -n $opts ]]; then streams=1; fi
  read -r u0 s0 < <(cpu_ticks "${pids[@]}")
  read -r bu0 bs0 < <(cpu_ticks "${backend[@]}")
  idle0=$(idle_ticks)
  accepts=$(backend_accepts)
  log "h2load ${opts:+$opts }-t1 -c$CONNECTIONS -m$streams -D $secs --warm-up-time $WARMUP_TIME ${URL[$proxy]}  ($proxy, round $round)"
  # shellcheck disable=SC2086  # opts is empty or one word
  h2load $opts -t1 -c"$CONNECTIONS" -m"$streams" -D "$secs" --warm-up-time "$WARMUP_TIME" --log-file "$log" "${URL[$proxy]}" >"$out" 2>&1 &
  PIDS+=($!)
  wait $! || { cat "$out" >&2; die "h2load failed"; }
  forget_pid $!
  read -r u1 s1 < <(cpu_ticks "${pids[@]}")
  read -r bu1 bs1 < <(cpu_ticks "${backend[@]}")
  idle1=$(idle_ticks)
  accepts=$(($(backend_accepts) - accepts - 1))  # the status request itself is one
  line="$("$PY" "$BENCH_DIR/h2log.py" "$out" "$log")" || { cat "$out" >&2; die "could not read h2load's output"; }
  rm -f "$log"  # millions of rows; the percentiles are in the line
  log "  ${line#RESULT }; backend accepted $accepts connections"
  [[ -n $opts || "$line" == *" proto=h2"* ]] || die "$proxy: h2load did not negotiate h2: $line"
  if [[ "$line" != *" failed=0 errored=0 timeout=0 non2xx=0 "* ]]; then log "  warning: $proxy round $round had failed requests: $line"; fi
  if [[ "$round" != warm ]]; then
    echo -e "$proxy\t$round\t$(echo "${line#RESULT }" | sed 's/[a-z0-9_]*=//g' | tr ' ' '\t')\t$((u1 - u0))\t$((s1 - s0))\t$((bu1 + bs1 - bu0 - bs0))\t$((idle1 - idle0))\t$accepts" >>"$RESULTS"
  fi
}

started=$SECONDS
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
warm_secs=$(((WARMUP + WARMUP_RUNS - 1) / WARMUP_RUNS))
for ((w = 1; w <= WARMUP_RUNS; w++)); do
  for proxy in "${PROXY_LIST[@]}"; do run "$proxy" warm "$warm_secs"; done
done
if [[ -n ${BERTH_PID:-} ]]; then BERTH_RSS_AFTER_WARMUP=$(rss_kib "$BERTH_PID"); fi
n=${#PROXY_LIST[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  # The order rotates every round, so that no proxy always runs first or right after another.
  for ((i = 0; i < n; i++)); do run "${PROXY_LIST[(i + r - 1) % n]}" "$r" "$DURATION"; done
done

echo
echo "## HTTP/2 over TLS: h2load -t1 -c$CONNECTIONS -m$STREAMS -D $DURATION --warm-up-time $WARMUP_TIME, $ROUNDS rounds, medians"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), $UPSTREAM upstream (keepalive $UPSTREAM_KEEPALIVE nginx, $BERTH_KEEPALIVE berth), 13-byte answer, ECDSA P-256 certificate, $(h2load --version | head -1), $("$NGINX" -v 2>&1 | sed 's/.*: //') (worker_processes $NGINX_WORKERS)$([[ " $PROXIES " == *" haproxy "* ]] && echo ", HAProxy $("$HAPROXY" -v | awk 'NR == 1 {print $3}') (nbthread $HAPROXY_THREADS)")$([[ -n ${BERTH_PID:-} ]] && echo ", $(BERTH_JAVA_OPTS='' "$BERTH_HOME/berth" --version 2>/dev/null) at $(git -C "$BERTH_HOME" rev-parse --short HEAD 2>/dev/null || echo '?')")"
echo
if [[ -n ${BERTH_START_LINE:-} ]]; then echo "- berth: ${BERTH_START_LINE#berth: }"; fi
if [[ "${PROTOCOL:-h2}" == h1 ]]; then echo "- **PROTOCOL=h1: every proxy measured over HTTP/1.1 over TLS (h2load --h1 -m1), the reference for the HTTP/2 runs**"
elif [[ -n ${H2LOAD_PROTO_OPTS[berth]:-} ]]; then echo "- **berth measured over HTTP/1.1 (h2load --h1 -m1, ALLOW_H1=1): not a result**"; fi
echo
"$PY" - "$RESULTS" "$(getconf CLK_TCK)" "${PROXY_LIST[@]}" <<'PY'
import statistics, sys
from collections import defaultdict
COLS = ("proxy round rps p50_us p90_us p99_us p999_us max_us requests failed errored timeout non2xx proto"
        " user_ticks sys_ticks backend_ticks idle_ticks upconns").split()
tick_us = 1e6 / int(sys.argv[2])
proxies = sys.argv[3:]
runs = []
for line in open(sys.argv[1]):
    r = dict(zip(COLS, line.rstrip("\n").split("\t")))
    for k in COLS:
        if k not in ("proxy", "round", "proto"):
            r[k] = float(r[k])
    runs.append(r)
by = defaultdict(list)
for r in runs:
    by[r["proxy"]].append(r)
med = lambda p, f: statistics.median(r[f] for r in by[p])
per_req = lambda p, f: statistics.median(r[f] * tick_us / max(r["requests"], 1) for r in by[p])
ms = lambda us: f"{us / 1000:.2f}"
others = [p for p in proxies if p != "berth"]
def paired(other, f):
    theirs = {r["round"]: r[f] for r in by[other]}
    ratios = [r[f] / theirs[r["round"]] for r in by["berth"] if theirs.get(r["round"])]
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}–{max(ratios):.2f})" if ratios else ""
head = "| proxy | runs | req/s (median) | p50 ms | p99 ms | p99.9 ms |"
head += "".join(f" berth/{o} req/s | berth/{o} p99 |" for o in others if "berth" in by)
head += " CPU µs/req user + sys | backend CPU µs/req | machine idle µs/req | new backend conns per 1000 req |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
for p in proxies:
    if p not in by:
        continue
    cells = [p, str(len(by[p])), f"{med(p, 'rps'):,.0f}", ms(med(p, "p50_us")), ms(med(p, "p99_us")), ms(med(p, "p999_us"))]
    if "berth" in by:
        for o in others:
            if p == "berth":
                cells += [f"**{med('berth', 'rps') / med(o, 'rps'):.2f}x**", f"**{med('berth', 'p99_us') / med(o, 'p99_us'):.2f}x**"]
            else:
                cells += ["", ""]
    cells += [f"{per_req(p, 'user_ticks'):.1f} + {per_req(p, 'sys_ticks'):.1f}", f"{per_req(p, 'backend_ticks'):.1f}",
              f"{per_req(p, 'idle_ticks'):.1f}",
              f"{statistics.median(1000 * r['upconns'] / max(r['requests'], 1) for r in by[p]):.0f}"]
    print("| " + " | ".join(cells) + " |")
if "berth" in by and "nginx" in by:
    goals = [("req/s >= 1.5x nginx's", med("berth", "rps") / med("nginx", "rps") >= 1.5),
             ("p99 <= nginx's", med("berth", "p99_us") <= med("nginx", "p99_us"))]
    if "haproxy" in by:
        goals.insert(1, ("req/s >= HAProxy's", med("berth", "rps") >= med("haproxy", "rps")))
    print()
    print("The issue's targets (medians): " + "; ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals) + ".")
if "berth" in by and others:
    print()
    print("berth against the run next to it in the same round (median over rounds, min–max):")
    print()
    print("| against | req/s | p99 |")
    print("|---|---|---|")
    for o in others:
        print(f"| {o} | {paired(o, 'rps')} | {paired(o, 'p99_us')} |")
print()
print("Every run (h2load's req/s; latency percentiles from its log, measured period only):")
print()
print("| proxy | round | protocol | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | requests | failed/errored/timeout | non-2xx |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in runs:
    print(f"| {r['proxy']} | {r['round']} | {r['proto']} | {r['rps']:,.0f} | {ms(r['p50_us'])} | {ms(r['p90_us'])} | {ms(r['p99_us'])} "
          f"| {ms(r['p999_us'])} | {ms(r['max_us'])} | {r['requests']:.0f} | {r['failed']:.0f}/{r['errored']:.0f}/{r['timeout']:.0f} | {r['non2xx']:.0f} |")
PY
echo
if [[ -n ${BERTH_PID:-} ]]; then
  echo "berth RSS: $((BERTH_RSS_AFTER_WARMUP / 1024)) MiB after warm-up, $(($(rss_kib "$BERTH_PID") / 1024)) MiB at the end."
fi
echo "Load phase took $((SECONDS - started)) s. Load average (1/5/15 min) before it: $LOAD_START; after: $(cut -d' ' -f1-3 /proc/loadavg) (h2load + proxy + backend alone make about 2)."
if [[ -n ${BERTH_LOG:-} ]] && grep -vq '^berth: ' "$BERTH_LOG"; then
  echo
  echo "berth printed $(grep -vc '^berth: ' "$BERTH_LOG") other line(s) during the run; the first 20:"
  grep -v '^berth: ' "$BERTH_LOG" | head -20 | sed 's/^/    /'
fi
for f in "$TMP"/backend/error.log "$TMP"/nginx-proxy/error.log "$TMP"/haproxy/stdout.log; do
  if [[ -s "$f" ]]; then echo; echo "$f (first 5 lines):"; head -5 "$f" | sed 's/^/    /'; fi
done

if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  cp -r "$TMP/h2load" "$RESULTS" "$OUT/"
  cp "$TMP/backend/nginx.conf" "$OUT/backend.conf"
  if [[ -f "$TMP/nginx-proxy/nginx.conf" ]]; then cp "$TMP/nginx-proxy/nginx.conf" "$OUT/nginx-proxy.conf"; fi
  if [[ -f "$TMP/haproxy/haproxy.cfg" ]]; then cp "$TMP/haproxy/haproxy.cfg" "$OUT/"; fi
  if [[ -n ${BERTH_CONF:-} ]]; then cp "$BERTH_CONF" "$BERTH_LOG" "$OUT/"; fi
  log "raw outputs in $OUT"
fi
