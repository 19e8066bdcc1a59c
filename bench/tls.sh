#!/usr/bin/env bash
# berth vs nginx over HTTPS, same certificate, same backend, same topology, one run.
#
#   wrk -> nginx (TLS, 1 worker, keepalive 64 upstream) -> backend nginx ("hello, world\n", 13 bytes)
#   wrk -> berth (TLS listener, certificate files)      -> the same backend (TCP, or UPSTREAM=unix)
#
# The script makes one ECDSA P-256 certificate (a throwaway root, and a leaf for localhost and
# 127.0.0.1 signed by it) with openssl in the temp dir, and gives it to both proxies. Three kinds of
# load (KINDS), each alternating berth/nginx over ROUNDS rounds (the order flips every round):
#   keepalive  wrk -c64 over https, keep-alive: TLS records on open connections (req/s, p99)
#   resumed    the same with `Connection: close`: each request is a new TCP connection and a TLS
#              handshake. wrk reuses its SSL object (SSL_shutdown + SSL_clear), which keeps the
#              session: every handshake but a connection slot's first RESUMES the previous one
#              (TLS 1.3 PSK with X25519, no certificate, no signature); issue 23's handshake numbers
#              were most likely these.
#   full       the same with a tiny LD_PRELOAD shim for wrk (made here with gcc: SSL_clear, then
#              SSL_set_session(NULL)), so that every handshake is a full one (X25519 and an
#              ECDSA P-256 signature on the server side)
# Before the load both proxies must answer over HTTPS (curl --cacert the root) and resume a session
# (openssl s_client -sess_out/-sess_in), and berth must say at start that its TLS is
# OpenSSL/BoringSSL (netty-tcnative), not the JDK's engine (ALLOW_JDK_TLS=1 measures the JDK's
# anyway). The table shows medians and berth/nginx ratios.
#
# Environment (defaults): DURATION=10 (s per run), CONNECTIONS=64, THREADS=1 (wrk), ROUNDS=3,
#   WARMUP=30 (s per proxy and kind), WARMUP_RUNS=3, NGINX_WORKERS=1 (or auto), UPSTREAM=tcp (or
#   unix), KINDS="keepalive resumed full", OUT= (a directory to keep raw wrk outputs, configs,
#   berth's log and results.tsv in), BERTH_JAVA_OPTS / BERTH_EXTRA_JAVA_OPTS (berth's JVM; JFR
#   goes in the second), BERTH_THREADS, BERTH_TRANSPORT, KEEP_TMP=1.
# Needs: nginx, wrk, curl, openssl, gcc (for "full"), /usr/bin/python3, JDK 21+ and Maven (berth
#   builds itself).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-1}"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-30}"
WARMUP_RUNS="${WARMUP_RUNS:-3}"
NGINX_WORKERS="${NGINX_WORKERS:-1}"
UPSTREAM="${UPSTREAM:-tcp}"
KINDS="${KINDS:-keepalive resumed full}"
[[ "$UPSTREAM" == tcp || "$UPSTREAM" == unix ]] || die "UPSTREAM=$UPSTREAM (expected: tcp or unix)"
for kind in $KINDS; do
  [[ $kind == keepalive || $kind == resumed || $kind == full ]] || die "KINDS: $kind (expected: keepalive, resumed, full)"
done

need "$NGINX" wrk curl openssl "$PY"
if [[ " $KINDS " == *" full "* ]]; then need gcc; fi
raise_nofile
setup_tmp
build_berth

read -r BACKEND_PORT NGINX_PORT BERTH_PORT < <(free_ports 3)

# wrk keeps each connection slot's TLS session across reconnects (SSL_clear keeps it), so its
# `Connection: close` handshakes are resumed ones. For full handshakes, this shim drops the session
# after each SSL_clear: the next SSL_connect offers none. wrk is linked to libssl dynamically, so an
# LD_PRELOAD of it is enough.
make_noresume_shim() {
  NORESUME="$TMP/noresume.so"
  cat >"$TMP/noresume.c" <<'EOF2'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;
int SSL_set_session(SSL *s, SSL_SESSION *session);
int SSL_clear(SSL *s) {
  static int (*real)(SSL *);
  if (!real) real = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_clear");
  int r = real(s);
  SSL_set_session(s, NULL);
  return r;
}
EOF2
  gcc -O2 -shared -fPIC -o "$NORESUME" "$TMP/noresume.c" -ldl || die "gcc could not build the no-resumption shim"
}

make_certificate
if [[ " $KINDS " == *" full "* ]]; then make_noresume_shim; fi
BACKEND_BODY='hello, world\n' start_backend
start_nginx_tls
# proxy.sh's berth config, its listener made an HTTPS one with the same certificate files.
mkdir -p "$TMP/berth"
write_berth_config "$TMP/berth/berth.toml"
sed -i "s|^address = \"127.0.0.1:$BERTH_PORT\"\$|&\ntls = { certificate = \"$CERT\", key = \"$KEY\" }|" "$TMP/berth/berth.toml"
grep -q '^tls = ' "$TMP/berth/berth.toml" || die "could not add tls to berth's listener"
start_berth "$TMP/berth/berth.toml"
BERTH_START_LINE="$(grep -m1 'berth: serving on' "$BERTH_LOG")"
log "backend :$BACKEND_PORT + $BACKEND_SOCK, nginx :$NGINX_PORT ($NGINX_WORKERS worker(s)), berth :$BERTH_PORT (pid $BERTH_PID)"
log "$BERTH_START_LINE"
case "$BERTH_START_LINE" in
  *"TLS by the JDK"*)
    if [[ "${ALLOW_JDK_TLS:-0}" != 1 ]]; then die "berth uses the JDK's TLS engine, not OpenSSL: not a fair run (ALLOW_JDK_TLS=1 runs it anyway)"; fi
    log "warning: berth uses the JDK's TLS engine (ALLOW_JDK_TLS=1)" ;;
  *"TLS by "*) ;;
  *) die "berth's start line does not say which TLS engine it uses" ;;
esac

declare -A URL=(
  [berth]="https://localhost:$BERTH_PORT/$UPSTREAM/"
  [nginx]="https://localhost:$NGINX_PORT/$UPSTREAM/"
)
# Both answer the 13 bytes over HTTPS, with a certificate that verifies against the root; and what
# each one negotiates with OpenSSL's client (wrk's library).
declare -A NEGOTIATED
for proxy in berth nginx; do
  body="$(curl -sS --max-time 5 --cacert "$ROOT" "${URL[$proxy]}")" || die "GET ${URL[$proxy]} failed"
  [[ "$body" == "hello, world" ]] || die "GET ${URL[$proxy]} answered '$body', not 'hello, world'"
  port=${URL[$proxy]#https://localhost:}; port=${port%%/*}
  NEGOTIATED[$proxy]="$(openssl s_client -connect "127.0.0.1:$port" -servername localhost -CAfile "$ROOT" </dev/null 2>/dev/null |
    awk '/^New, / {v=$2; c=$NF} /Server Temp Key:/ {sub(/.*Server Temp Key: /, ""); k=$0} /Verify return code:/ {sub(/.*Verify return code: /, ""); r=$0} END {print v, c ", key exchange " k ", verify: " r}')"
  # A session saved from one connection and offered on the next: does the proxy resume it? With a
  # request on each: BoringSSL sends its TLS 1.3 tickets with its first application data, so a
  # connection that asks nothing gets none.
  request="GET /$UPSTREAM/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
  # shellcheck disable=SC2059
  printf "$request" | timeout 10 openssl s_client -ign_eof -connect "127.0.0.1:$port" -servername localhost -sess_out "$TMP/$proxy.sess" >/dev/null 2>&1 || true
  # shellcheck disable=SC2059
  if printf "$request" | timeout 10 openssl s_client -ign_eof -connect "127.0.0.1:$port" -servername localhost -sess_in "$TMP/$proxy.sess" 2>/dev/null | grep -q '^Reused'; then
    NEGOTIATED[$proxy]+=", resumes a session: yes"
  else
    NEGOTIATED[$proxy]+=", resumes a session: no"
  fi
  log "$proxy: ${URL[$proxy]} answers 'hello, world' over HTTPS; $(printf '%s' "${NEGOTIATED[$proxy]}")"
done

mkdir -p "$TMP/wrk"
RESULTS="$TMP/results.tsv"
: >"$RESULTS"

# run PROXY KIND ROUND SECONDS: one wrk run; records it unless ROUND is "warm". The TSV has
# proxy.sh's columns (summarize.py reads them), KIND being keepalive or handshake.
run() {
  local proxy=$1 kind=$2 round=$3 secs=$4 out line accepts pids u0 s0 u1 s1 bu0 bs0 bu1 bs1 idle0 idle1 backend extra=() preload=
  if [[ $kind == full ]]; then preload=$NORESUME; fi
  out="$TMP/wrk/$proxy-$kind-$round.txt"
  case $proxy in
    berth) pids=("$BERTH_PID") ;;
    nginx) mapfile -t pids < <(pgrep -P "$NGINX_PID") ;;
  esac
  if [[ $kind != keepalive ]]; then extra=(-H "Connection: close"); fi
  mapfile -t backend < <(pgrep -P "$BACKEND_PID")
  accepts=$(backend_accepts)
  read -r u0 s0 < <(cpu_ticks "${pids[@]}")
  read -r bu0 bs0 < <(cpu_ticks "${backend[@]}")
  idle0=$(idle_ticks)
  log "${preload:+LD_PRELOAD=noresume.so }wrk -t$THREADS -c$CONNECTIONS -d${secs}s --latency ${extra[*]:+-H '${extra[1]}' }${URL[$proxy]}  ($proxy/$kind, round $round)"
  LD_PRELOAD="$preload" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency "${extra[@]}" -s "$BENCH_DIR/report.lua" "${URL[$proxy]}" >"$out" 2>&1 &
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
    echo -e "$proxy\t$kind\t$round\t$(echo "${line#RESULT }" | sed 's/[a-z0-9_]*=//g' | tr ' ' '\t')\t$accepts\t$((u1 - u0))\t$((s1 - s0))\t$((bu1 + bs1 - bu0 - bs0))\t$((idle1 - idle0))" >>"$RESULTS"
  fi
}

started=$SECONDS
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
warm_secs=$(((WARMUP + WARMUP_RUNS - 1) / WARMUP_RUNS))
for kind in $KINDS; do
  for ((w = 1; w <= WARMUP_RUNS; w++)); do
    run berth "$kind" warm "$warm_secs"
    run nginx "$kind" warm "$warm_secs"
  done
done
BERTH_RSS_AFTER_WARMUP=$(rss_kib "$BERTH_PID")
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order=(berth nginx); else order=(nginx berth); fi
  for kind in $KINDS; do
    for proxy in "${order[@]}"; do run "$proxy" "$kind" "$r" "$DURATION"; done
  done
done
BERTH_RSS_END=$(rss_kib "$BERTH_PID")

echo
echo "## berth vs nginx over HTTPS: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, $ROUNDS rounds, medians"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), nginx worker_processes $NGINX_WORKERS, $UPSTREAM upstream (keepalive ${UPSTREAM_KEEPALIVE:-64}), 13-byte answer, ECDSA P-256 certificate, $("$NGINX" -v 2>&1 | sed 's/.*: //') ($(openssl version | cut -d' ' -f1-2) here), $(BERTH_JAVA_OPTS='' "$BERTH_HOME/berth" --version 2>/dev/null), at $(git -C "$BERTH_HOME" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "- berth: ${BERTH_START_LINE#berth: }"
echo "- negotiated with OpenSSL's client: berth ${NEGOTIATED[berth]}; nginx ${NEGOTIATED[nginx]}"
echo "- keepalive: $CONNECTIONS keep-alive connections. resumed: \`-H 'Connection: close'\`, a new connection and TLS handshake per request, resuming the slot's previous session (wrk's SSL_clear keeps it). full: the same with the LD_PRELOAD shim, a full handshake per request. For both, req/s = handshakes/s and CPU µs/req = per handshake."
echo
"$PY" - "$RESULTS" "$(getconf CLK_TCK)" "$BENCH_DIR" $KINDS <<'PY'
# summarize.py's tables, for the kinds of this script instead of tcp/unix.
import statistics, sys
from collections import defaultdict
sys.path.insert(0, sys.argv[3])
import summarize as s
s.TICK_US = 1e6 / int(sys.argv[2])
kinds = sys.argv[4:]
runs = s.load(sys.argv[1])
by = defaultdict(list)
for r in runs:
    by[(r["proxy"], r["kind"])].append(r)
med = lambda key, field: statistics.median(r[field] for r in by[key])
print("| load | proxy | runs | req/s (median) | p50 ms | p99 ms | berth/nginx req/s | berth/nginx p99 "
      "| CPU µs/req user + sys | backend CPU µs/req | machine idle µs/req | new backend conns per 1000 req |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
pairs = []
for kind in kinds:
    b, n = ("berth", kind), ("nginx", kind)
    if b not in by or n not in by:
        continue
    rps_ratio, p99_ratio = med(b, "rps") / med(n, "rps"), med(b, "p99_us") / med(n, "p99_us")
    for key in (b, n):
        ratio = (f"**{rps_ratio:.2f}x**", f"**{p99_ratio:.2f}x**") if key == b else ("", "")
        print(f"| {kind} | {key[0]} | {len(by[key])} | {med(key, 'rps'):,.0f} | {s.ms(med(key, 'p50_us'))} "
              f"| {s.ms(med(key, 'p99_us'))} | {ratio[0]} | {ratio[1]} "
              f"| {s.cpu(by[key], 'user_ticks')} + {s.cpu(by[key], 'sys_ticks')} | {s.cpu(by[key], 'backend_ticks')} "
              f"| {s.cpu(by[key], 'idle_ticks')} | {s.per_k(by[key])} |")
    pairs.append(f"| {kind} | {s.paired(by, kind, 'rps')} | {s.paired(by, kind, 'p99_us')} |")
print()
print("berth/nginx within each round (median over rounds, min–max):")
print()
print("| load | req/s | p99 |")
print("|---|---|---|")
print("\n".join(pairs))
print()
print("Every run (req/s, p50/p99 ms; errors as wrk counts them):")
print()
print("| proxy | load | round | req/s | p50 ms | p99 ms | max ms | requests | non-2xx/3xx | socket errors c/r/w/t | backend conns |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in runs:
    print(f"| {r['proxy']} | {r['kind']} | {r['round']} | {r['rps']:,.0f} | {s.ms(r['p50_us'])} | {s.ms(r['p99_us'])} "
          f"| {s.ms(r['max_us'])} | {r['requests']:.0f} | {r['non2xx']:.0f} "
          f"| {r['connect']:.0f}/{r['read']:.0f}/{r['write']:.0f}/{r['timeout']:.0f} | {r['upconns']:.0f} |")
PY
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
