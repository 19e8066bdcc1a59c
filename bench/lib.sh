# shellcheck shell=bash
# Shared by the bench/ scripts: a temp dir, free ports, and the processes they start (a backend
# nginx, nginx as a proxy, berth), all stopped by cleanup on exit.
# Sourced, not run. Needs: nginx, wrk, curl, /usr/bin/python3 (stdlib only), and a JDK 21+ for berth.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BERTH_HOME="$(cd "$BENCH_DIR/.." && pwd)"
PY=/usr/bin/python3
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"

PIDS=()   # every process started here, stopped in reverse order on exit

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || die "$c not found (apt-get install -y nginx-light wrk curl)"
  done
}

cleanup() {
  local rc=$? i pid
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # berth drains for up to shutdown_timeout (1s here) and may write a JFR recording; nginx stops at once.
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "${TMP:-}" && -d "$TMP" ]]; then
    if [[ -n "${KEEP_TMP:-}" ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  fi
  exit "$rc"
}

setup_tmp() {
  TMP="$(mktemp -d /tmp/berth-bench.XXXXXX)"
  chmod 755 "$TMP"   # nginx workers may run as another user when started as root
  # A root berth with no state_dir keeps its state in /var/lib/berth (or $STATE_DIRECTORY): keep
  # every berth a bench starts inside the temp dir, removed with it.
  export STATE_DIRECTORY="$TMP/state"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# N distinct free TCP ports on 127.0.0.1 (asked of the kernel now; never 8080).
free_ports() {
  "$PY" - "$1" <<'PY'
import socket, sys
n, socks, ports = int(sys.argv[1]), [], []
while len(ports) < n:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    socks.append(s)
    if p != 8080: ports.append(p)
print(" ".join(map(str, ports)))
PY
}

# Waits until something accepts TCP connections on 127.0.0.1:$1 (up to $2 seconds, default 10).
wait_port() {
  "$PY" - "$1" "${2:-10}" <<'PY' || die "nothing listens on 127.0.0.1:$1"
import socket, sys, time
port, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY
}

# Open files: as many as the hard limit allows (10k idle connections need more than the usual 1024).
raise_nofile() {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  NOFILE="$(ulimit -n)"
  if [[ "$NOFILE" == unlimited ]]; then NOFILE=1048576; fi
}

nginx_user_line() { if [[ $EUID -eq 0 ]]; then echo "user root;"; fi; }

nginx_common() {  # $1 = its prefix dir
  cat <<EOF2
$(nginx_user_line)
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
EOF2
}

nginx_http_common() {  # $1 = its prefix dir
  cat <<EOF2
    access_log off;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
EOF2
}

# The fixed backend: nginx, 1 worker, "hello\n" (or BACKEND_BODY, as nginx's `return` reads it:
# tls.sh's 'hello, world\n' is 13 bytes) on TCP $BACKEND_PORT and on $TMP/backend.sock,
# closing every connection after its response with BACKEND_CLOSES=1 (as gunicorn's sync workers
# do, so that the proxies connect anew for each request), and /big (a 1 GiB sparse file, created only if BIG_FILE=1) for the streaming test.
start_backend() {
  local p="$TMP/backend" body=${BACKEND_BODY:-'hello\n'}
  mkdir -p "$p"
  BACKEND_SOCK="$TMP/backend.sock"
  if [[ "${BIG_FILE:-0}" == 1 ]]; then truncate -s 1G "$TMP/big.bin"; fi
  cat >"$p/nginx.conf" <<EOF2
$(nginx_common "$p")
worker_processes 1;
worker_rlimit_nofile $NOFILE;
events { worker_connections $((NOFILE - 100)); }
http {
$(nginx_http_common "$p")
    sendfile on;
    server {
        listen 127.0.0.1:$BACKEND_PORT backlog=4096;
        listen unix:$BACKEND_SOCK backlog=4096;
$(if [[ "${BACKEND_CLOSES:-0}" == 1 ]]; then echo '        keepalive_timeout 0;'; fi)
        location / { default_type text/plain; return 200 "$body"; }
        location = /backend_status { stub_status; }
        location = /big { default_type application/octet-stream; alias $TMP/big.bin; }
    }
}
EOF2
  "$NGINX" -p "$p" -c "$p/nginx.conf" -e "$p/error.log" >"$p/stdout.log" 2>&1 &
  PIDS+=($!)
  # shellcheck disable=SC2034  # for the scripts that source this
  BACKEND_PID=$!
  wait_port "$BACKEND_PORT"
  for _ in $(seq 100); do [[ -S "$BACKEND_SOCK" ]] && break; sleep 0.05; done
  [[ -S "$BACKEND_SOCK" ]] || die "backend socket $BACKEND_SOCK did not appear"
}

# nginx as a proxy on $NGINX_PORT: /tcp/ -> backend TCP, /unix/ -> backend unix socket, both with
# upstream keepalive (UPSTREAM_KEEPALIVE idle connections cached per worker, default 64: what berth
# keeps per instance and event loop by default, so that the two compare at equal settings). Workers:
# $NGINX_WORKERS (default 1).
start_nginx_proxy() {
  local p="$TMP/nginx-proxy"
  mkdir -p "$p"
  cat >"$p/nginx.conf" <<EOF2
$(nginx_common "$p")
worker_processes ${NGINX_WORKERS:-1};
worker_rlimit_nofile $NOFILE;
events { worker_connections $((NOFILE - 100)); }
http {
$(nginx_http_common "$p")
    upstream backend_tcp  { server 127.0.0.1:$BACKEND_PORT; keepalive ${UPSTREAM_KEEPALIVE:-64}; keepalive_requests 1000000; }
    upstream backend_unix { server unix:$BACKEND_SOCK;     keepalive ${UPSTREAM_KEEPALIVE:-64}; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        # What berth sends upstream by default (the client's Host as it came, and X-Forwarded-For,
        # -Proto, -Host, -Port and -Prefix), so that both proxies, and the backend behind them, do
        # the same header work.
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_set_header X-Forwarded-Host \$http_host;
        proxy_set_header X-Forwarded-Port \$server_port;
        proxy_set_header X-Forwarded-Prefix \$mount;
        location /tcp/  { set \$mount /tcp;  proxy_pass http://backend_tcp/; }
        location /unix/ { set \$mount /unix; proxy_pass http://backend_unix/; }
    }
}
EOF2
  "$NGINX" -p "$p" -c "$p/nginx.conf" -e "$p/error.log" >"$p/stdout.log" 2>&1 &
  PIDS+=($!)
  # shellcheck disable=SC2034  # for the scripts that source this
  NGINX_PID=$!
  wait_port "$NGINX_PORT"
}

# One ECDSA P-256 certificate for the proxies (tls.sh, h2.sh): a throwaway root (for curl's --cacert)
# and a leaf for localhost and 127.0.0.1 it signs, made with openssl in $TMP/cert. Sets CERT, KEY,
# ROOT, and CERT_AND_KEY (the leaf and its key in one file, as HAProxy's `crt` reads them).
make_certificate() {
  local d="$TMP/cert"
  mkdir -p "$d"
  (
    cd "$d"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key
    openssl req -x509 -new -key root.key -sha256 -days 2 -subj "/CN=berth bench root" -out root.pem
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key
    openssl req -new -key leaf.key -subj "/CN=localhost" -out leaf.csr
    printf '%s\n' "subjectAltName = DNS:localhost, IP:127.0.0.1" "basicConstraints = CA:FALSE" \
      "keyUsage = digitalSignature" "extendedKeyUsage = serverAuth" >leaf.ext
    openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -CAcreateserial -sha256 -days 2 \
      -extfile leaf.ext -out leaf.pem
  ) >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; die "openssl could not make the certificate"; }
  chmod 644 "$d"/*.key  # nginx's workers run as another user unless started as root
  cat "$d/leaf.pem" "$d/leaf.key" >"$d/leaf-and-key.pem"
  # shellcheck disable=SC2034  # for the scripts that source this
  CERT="$d/leaf.pem" KEY="$d/leaf.key" ROOT="$d/root.pem" CERT_AND_KEY="$d/leaf-and-key.pem"
}

# nginx as an HTTPS proxy: proxy.sh's proxy (same upstream keepalive, same fields sent upstream)
# on a TLS listener with berth's TLS settings (docs/tls.md): TLS 1.2 and 1.3, Mozilla's
# "intermediate" ciphers and groups, the server's order for 1.2, session tickets (nginx's default;
# no session cache, its default too). HTTP/1.1 only, as berth, unless NGINX_LISTEN_EXTRA adds
# `http2` to its listen line (h2.sh: nginx 1.22 has no `http2 on`). Needs make_certificate first.
start_nginx_tls() {
  local p="$TMP/nginx-proxy"
  mkdir -p "$p"
  cat >"$p/nginx.conf" <<EOF2
$(nginx_common "$p")
worker_processes ${NGINX_WORKERS:-1};
worker_rlimit_nofile $NOFILE;
events { worker_connections $((NOFILE - 100)); }
http {
$(nginx_http_common "$p")
    upstream backend_tcp  { server 127.0.0.1:$BACKEND_PORT; keepalive ${UPSTREAM_KEEPALIVE:-64}; keepalive_requests 1000000; }
    upstream backend_unix { server unix:$BACKEND_SOCK;     keepalive ${UPSTREAM_KEEPALIVE:-64}; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$NGINX_PORT ssl ${NGINX_LISTEN_EXTRA:+$NGINX_LISTEN_EXTRA }backlog=4096;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ecdh_curve X25519:prime256v1:secp384r1;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305;
        ssl_prefer_server_ciphers on;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_set_header X-Forwarded-Host \$http_host;
        proxy_set_header X-Forwarded-Port \$server_port;
        proxy_set_header X-Forwarded-Prefix \$mount;
        location /tcp/  { set \$mount /tcp;  proxy_pass http://backend_tcp/; }
        location /unix/ { set \$mount /unix; proxy_pass http://backend_unix/; }
    }
}
EOF2
  "$NGINX" -p "$p" -c "$p/nginx.conf" -e "$p/error.log" >"$p/stdout.log" 2>&1 &
  PIDS+=($!)
  # shellcheck disable=SC2034  # for the scripts that source this
  NGINX_PID=$!
  wait_port "$NGINX_PORT"
}

# The berth config: apps berth does not run, on the same backend, same paths as nginx.
write_berth_config() {  # $1 = file
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

[apps.tcp]
upstreams = ["127.0.0.1:$BACKEND_PORT"]
${BERTH_KEEPALIVE:+keepalive = $BERTH_KEEPALIVE}

[apps.unix]
upstreams = ["unix:$BACKEND_SOCK"]
${BERTH_KEEPALIVE:+keepalive = $BERTH_KEEPALIVE}

[[routes]]
path = "/tcp"
app = "tcp"
strip_prefix = true

[[routes]]
path = "/unix"
app = "unix"
strip_prefix = true
EOF2
}

build_berth() {
  log "building berth if needed: ./berth --version"
  BERTH_JAVA_OPTS='' "$BERTH_HOME/berth" --version >&2 || die "berth did not build"
  prime_start_cache
}

# The launcher's start-up cache (./berth): the first `berth up` after a build records what it loads,
# and the next one builds the cache from that (JDK 25; an older JDK archives at the first stop).
# Every later start uses it, so measured runs should too: up to two short runs of a static-only
# config come first, until the cache is there.
prime_start_cache() {
  local dir="$TMP/prime" target="$BERTH_HOME/target" port i
  for ((i = 1; i <= 2; i++)); do
    # What an older jar left is stale: the launcher removes it at the next `berth up`.
    for f in "$target/berth-up.aot" "$target/berth-up.jsa.ok"; do
      [[ -f "$f" && ! "$f" -ot "$target/berth.jar" ]] && return 0
    done
    mkdir -p "$dir/www"
    echo ok >"$dir/www/index.html"
    read -r port < <(free_ports 1)
    cat >"$dir/berth.toml" <<EOF2
[[listeners]]
address = "127.0.0.1:$port"

[[routes]]
path = "/"
static = "$dir/www"
EOF2
    log "priming the launcher's start-up cache (run $i, not measured)"
    "$PY" "$BENCH_DIR/conns.py" startup "$port" / -- "$BERTH_HOME/berth" up -c "$dir/berth.toml" >"$dir/out.txt" 2>&1 ||
      die "priming run failed: $(cat "$dir/out.txt")"
  done
}

# Starts berth and waits for "berth: serving on", which it prints once every app it runs has started.
# $1: its config; without it, write_berth_config's (the proxy on $BERTH_PORT), in $TMP/berth. Its
# output goes to berth.log beside the config. Sets BERTH_CONF, BERTH_LOG and BERTH_PID (the java
# process: ./berth execs java).
start_berth() {
  BERTH_CONF="${1:-$TMP/berth/berth.toml}"
  if [[ $# -eq 0 ]]; then
    mkdir -p "$TMP/berth"
    write_berth_config "$BERTH_CONF"
  fi
  BERTH_LOG="$(dirname "$BERTH_CONF")/berth.log"
  "$BERTH_HOME/berth" up -c "$BERTH_CONF" >"$BERTH_LOG" 2>&1 &
  PIDS+=($!)
  BERTH_PID=$!
  # Up to 60 s: with apps to start (gunicorn importing Flask), a busy machine takes a while.
  for _ in $(seq 1200); do
    grep -q 'berth: serving on' "$BERTH_LOG" && break
    kill -0 "$BERTH_PID" 2>/dev/null || { cat "$BERTH_LOG" >&2; die "berth exited"; }
    sleep 0.05
  done
  grep -q 'berth: serving on' "$BERTH_LOG" || { cat "$BERTH_LOG" >&2; die "berth did not say 'serving on'"; }
  [[ "$(cat /proc/$BERTH_PID/comm)" == java ]] || log "warning: berth pid $BERTH_PID is $(cat /proc/$BERTH_PID/comm), not java"
}

# Connections the backend has accepted so far (its stub_status), counting this request's own.
backend_accepts() {
  curl -sS --max-time 5 "http://127.0.0.1:$BACKEND_PORT/backend_status" | awk 'NR == 3 {print $1}'
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Checks that a URL answers 200 "hello".
check_hello() {
  local body
  body="$(curl -sS --max-time 5 "$1")" || die "GET $1 failed"
  [[ "$body" == hello ]] || die "GET $1 answered '$body', not 'hello'"
}

# Stops one process started here (SIGTERM, SIGKILL after 10 s) and forgets it.
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

# Drops a pid that has exited from PIDS.
forget_pid() {
  local i
  for i in "${!PIDS[@]}"; do if [[ "${PIDS[i]}" == "$1" ]]; then unset 'PIDS[i]'; fi; done
  PIDS=("${PIDS[@]}")
}

# CPU time (user and system clock ticks, summed) of the given processes so far: "USER SYS".
cpu_ticks() {
  local u=0 s=0 pid a b
  for pid in "$@"; do
    read -r a b < <(awk '{print $14, $15}' "/proc/$pid/stat" 2>/dev/null || echo 0 0)
    u=$((u + a)) s=$((s + b))
  done
  echo "$u $s"
}

# Idle time of the whole machine so far, all cores (idle and iowait clock ticks, /proc/stat).
idle_ticks() { awk '/^cpu / {print $5 + $6}' /proc/stat; }

# Sum of VmRSS (KiB) of an nginx master and its workers.
nginx_rss_kib() {
  local master=$1 total kid
  total=$(rss_kib "$master")
  for kid in $(pgrep -P "$master"); do total=$((total + $(rss_kib "$kid"))); done
  echo "$total"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
