#!/usr/bin/env bash
# RSS with many idle client connections: HTTP/1.1, HTTP/1.1 over TLS and HTTP/2 over TLS, side by
# side in one run, berth and nginx (as a proxy, master + worker, for reference).
#
# For each KIND, a fresh proxy (a plain listener for http1; a TLS one with tls.sh's ECDSA P-256
# certificate for the others), its RSS 1 s after start, then IDLE_CONNS connections
# opened (in batches), one GET /tcp/ on each (the backend's 13 bytes, read whole), and all kept
# open. RSS is then sampled every second for 15 s: the max (the first seconds carry what opening
# them cost) and the settled value, the median of the last 5 samples, as memory.sh's figure.
#   http1   conns.py idle: memory.sh's connections (plain HTTP/1.1 keep-alive)
#   https1  h2conns.py https1: TLS, ALPN http/1.1
#   h2      h2conns.py h2: TLS, ALPN h2, the client preface and SETTINGS (python3-h2's defaults),
#           the server's SETTINGS acknowledged, one request on stream 1; the connection then kept
#           and read (a PING or SETTINGS answered)
# Environment (defaults): IDLE_CONNS=10000, KINDS="http1 https1 h2", PROXIES="berth nginx",
#   BERTH_JAVA_OPTS / BERTH_EXTRA_JAVA_OPTS, OUT= (keeps the clients' outputs, configs, logs),
#   KEEP_TMP=1.
# Needs: nginx (with http_v2), openssl, /usr/bin/python3 with python3-h2, JDK 21+ and Maven.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IDLE_CONNS="${IDLE_CONNS:-10000}"
KINDS="${KINDS:-http1 https1 h2}"
PROXIES="${PROXIES:-berth nginx}"
for kind in $KINDS; do
  [[ $kind == http1 || $kind == https1 || $kind == h2 ]] || die "KINDS: $kind (expected: http1, https1, h2)"
done
for proxy in $PROXIES; do
  [[ $proxy == berth || $proxy == nginx ]] || die "PROXIES: $proxy (expected: berth, nginx)"
done

need "$NGINX" openssl curl "$PY"
"$PY" -c 'import h2' 2>/dev/null || die "python3-h2 not found for $PY (apt-get install -y python3-h2)"
raise_nofile
((NOFILE > IDLE_CONNS + 200)) || log "warning: open files limit $NOFILE is too low for $IDLE_CONNS connections"
setup_tmp
if [[ " $PROXIES " == *" berth "* ]]; then build_berth; fi

read -r BACKEND_PORT NGINX_PORT BERTH_PORT BERTH_TLS_PORT < <(free_ports 4)
make_certificate
BACKEND_BODY='hello, world\n' start_backend
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# berth: proxy.sh's config for http1; for the TLS kinds the same with its listener over TLS (the
# certificate files), alone: a plain listener beside a TLS one would answer 308 to https for the
# hosts the certificate names (docs/tls.md), 127.0.0.1 among them. keepalive_timeout (and so
# http2_idle_timeout, which defaults to it) as nginx's here (300 s): opening 10,000 TLS
# connections from Python takes minutes on a loaded machine, past berth's default 75 s.
mkdir -p "$TMP/berth" "$TMP/berth-tls"
write_berth_config "$TMP/berth/berth.toml"
sed -i 's/^\[edge\]$/&\nkeepalive_timeout = "300s"/' "$TMP/berth/berth.toml"
grep -q '^keepalive_timeout = "300s"' "$TMP/berth/berth.toml" || die "could not set berth's keepalive_timeout"
BERTH_PORT=$BERTH_TLS_PORT write_berth_config "$TMP/berth-tls/berth.toml"
sed -i 's/^\[edge\]$/&\nkeepalive_timeout = "300s"/' "$TMP/berth-tls/berth.toml"
sed -i "s|^address = \"127.0.0.1:$BERTH_TLS_PORT\"\$|&\ntls = { certificate = \"$CERT\", key = \"$KEY\" }|" "$TMP/berth-tls/berth.toml"
grep -q '^tls = ' "$TMP/berth-tls/berth.toml" || die "could not add tls to berth's listener"

# start PROXY KIND: a fresh proxy; sets PID, PORT, RSSF
start() {
  case $1 in
    berth)
      if [[ $2 == http1 ]]; then
        start_berth "$TMP/berth/berth.toml"; PORT=$BERTH_PORT
      else
        start_berth "$TMP/berth-tls/berth.toml"; PORT=$BERTH_TLS_PORT
      fi
      PID=$BERTH_PID RSSF=rss_kib ;;
    nginx)
      if [[ $2 == http1 ]]; then start_nginx_proxy; else NGINX_LISTEN_EXTRA=http2 start_nginx_tls; fi
      PID=$NGINX_PID PORT=$NGINX_PORT RSSF=nginx_rss_kib ;;
  esac
}

declare -A RESULT
mkdir -p "$TMP/clients"
for kind in $KINDS; do
  for proxy in $PROXIES; do
    start "$proxy" "$kind"
    sleep 1
    idle=$($RSSF "$PID")
    f="$TMP/clients/$proxy-$kind.txt"
    case $kind in
      http1) "$PY" "$BENCH_DIR/conns.py" idle "$PORT" /tcp/ "$IDLE_CONNS" >"$f" 2>&1 & ;;
      *) "$PY" "$BENCH_DIR/h2conns.py" "$kind" "$PORT" /tcp/ "$IDLE_CONNS" >"$f" 2>&1 & ;;
    esac
    hp=$!
    PIDS+=("$hp")
    for _ in $(seq 3000); do
      grep -q '^open=' "$f" && break
      kill -0 "$hp" 2>/dev/null || { cat "$f" >&2; die "the client exited"; }
      sleep 0.1
    done
    line="$(grep '^open=' "$f")" || die "$proxy/$kind: the client did not finish opening connections"
    max=0 samples=()
    for _ in $(seq 15); do
      r=$($RSSF "$PID"); if ((r > max)); then max=$r; fi
      samples+=("$r")
      sleep 1
    done
    settled=$(median "${samples[@]:10}")
    closed="$(grep -c 'server closed' "$f" || true)"
    log "$proxy/$kind: ${line%% statuses=*}; RSS idle $(mib "$idle") MiB, with the connections max $(mib "$max"), settled $(mib "$settled") MiB; closed by the server while held: $closed"
    if grep -q '^  [0-9]* x ' "$f"; then grep '^  [0-9]* x ' "$f" | sed "s|^|  $proxy/$kind: |" >&2; fi
    RESULT[$proxy,$kind]="$idle $max $settled $closed ${line%% statuses=*}"
    stop_pid "$hp"
    stop_pid "$PID"
    if [[ $proxy == berth && -n ${OUT:-} ]]; then cp "$BERTH_LOG" "$TMP/clients/berth-$kind.log"; fi
  done
done

label() {
  case $1 in
    http1) echo "HTTP/1.1 keep-alive (memory.sh's)" ;;
    https1) echo "HTTP/1.1 over TLS" ;;
    h2) echo "HTTP/2 over TLS" ;;
  esac
}
echo
echo "## RSS with $IDLE_CONNS idle connections, by protocol"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), $("$NGINX" -v 2>&1 | sed 's/.*: //')$([[ " $PROXIES " == *" berth "* ]] && echo ", $(BERTH_JAVA_OPTS='' "$BERTH_HOME/berth" --version 2>/dev/null) at $(git -C "$BERTH_HOME" rev-parse --short HEAD 2>/dev/null || echo '?'), BERTH_JAVA_OPTS=${BERTH_JAVA_OPTS:-(default)}")"
echo
echo "| connections | proxy | RSS idle after start | settled (median of seconds 11-15) | max over the 15 s | per connection, settled − idle | closed by the server | client |"
echo "|---|---|---|---|---|---|---|---|"
for kind in $KINDS; do
  for proxy in $PROXIES; do
    read -r idle max settled closed line <<<"${RESULT[$proxy,$kind]}"
    echo "| $(label "$kind") | $proxy | $(mib "$idle") MiB | **$(mib "$settled") MiB** | $(mib "$max") MiB | $(awk -v a="$settled" -v b="$idle" -v n="$IDLE_CONNS" 'BEGIN {printf "%.1f KiB", (a - b) / n}') | $closed | $line |"
  done
done
if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  cp -r "$TMP/clients" "$OUT/"
  cp "$TMP/berth/berth.toml" "$OUT/berth-http1.toml"
  cp "$TMP/berth-tls/berth.toml" "$OUT/berth-tls.toml"
  log "raw outputs in $OUT"
fi
