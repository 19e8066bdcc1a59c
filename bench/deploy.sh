#!/usr/bin/env bash
# Failed requests during a deploy: berth vs the usual nginx + gunicorn ways of putting new code live.
#
# Six scenarios, each in a fresh setup and under the same wrk load (keep-alive connections, a fixed
# window, the operation started AT seconds in and waited for inside the window):
#
#   restart  wrk -> nginx -> unix socket -> gunicorn (3 workers). As supervisord or systemd restart
#            a program: TERM the gunicorn master, wait for it to exit, start gunicorn on the new code.
#   hup      the same stack, gunicorn started with --chdir on a `current` symlink: switch the
#            symlink to the new release, then `kill -HUP` the master (gunicorn's own reload).
#   berth    wrk -> berth -> gunicorn (3 workers, berth's unix socket): `berth deploy APP NEWDIR`.
#
# each with a good release (v2: same app, another body) and a broken one (wsgi.py raises at import).
# All three releases are copies of bench/deployapp/ made in the temp dir.
#
# A failed request is what wrk sees: a response that is not 2xx, or a socket error (connect, read,
# write, timeout: no answer within TIMEOUT s, wrk's default 2). After each window the script asks the
# site once more (curl) and reports the status and which release answered.
#
# Environment (defaults): WINDOW=12 (s of load per scenario), AT=2 (s into the window when the
#   operation starts), CONNECTIONS=32, THREADS=1, TIMEOUT=2 (s; wrk), WORKERS=3 (gunicorn workers),
#   SCENARIOS="restart hup berth" (any subset, in that order), OUT= (a directory to keep results.tsv,
#   the raw wrk outputs, every log and config in), ACCESS_LOG=1 (nginx and berth write access logs
#   with request times, to see when slow or failed requests happened), BERTH_JAVA_OPTS (berth's
#   JVM), KEEP_TMP=1.
# Needs: nginx, wrk, curl, Debian's /usr/bin/gunicorn with python3-flask, JDK 21+ and Maven for berth.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WINDOW="${WINDOW:-12}"
AT="${AT:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-1}"
TIMEOUT="${TIMEOUT:-2}"
WORKERS="${WORKERS:-3}"
ACCESS_LOG="${ACCESS_LOG:-0}"
SCENARIOS="${SCENARIOS:-restart hup berth}"
GUNICORN=/usr/bin/gunicorn
APP=deployapp

need "$NGINX" wrk curl "$PY" "$GUNICORN"
"$PY" -c 'import flask' 2>/dev/null || die "$PY has no flask (apt-get install -y python3-flask)"
for s in $SCENARIOS; do
  [[ "$s" =~ ^(restart|hup|berth)$ ]] || die "unknown scenario '$s' in SCENARIOS (restart, hup, berth)"
done
((AT < WINDOW)) || die "AT ($AT) must be less than WINDOW ($WINDOW)"
raise_nofile
setup_tmp
if [[ " $SCENARIOS " == *" berth "* ]]; then build_berth; fi

RESULTS="$TMP/results.tsv"
# Absolute, since the copy at the end runs in each scenario's directory.
if [[ -n "${OUT:-}" ]]; then OUT="$(realpath -m "$OUT")"; fi
: >"$RESULTS"

now() { echo "$EPOCHREALTIME"; }
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }

# make_releases DIR: DIR/v1, DIR/v2 and DIR/broken, each a copy of bench/deployapp/.
make_releases() {
  local dir=$1 r
  for r in v1 v2 broken; do
    mkdir -p "$dir/$r"
    cp "$BENCH_DIR/deployapp/app.py" "$BENCH_DIR/deployapp/wsgi.py" "$dir/$r/"
    echo "$r" >"$dir/$r/VERSION"
  done
  # The mistake a deploy must survive: the module gunicorn imports raises (a bad import, a typo).
  echo 'raise RuntimeError("deployapp: this release is broken on purpose (bench/deploy.sh)")' >>"$dir/broken/wsgi.py"
}

# ask [CURL_ARGS...] URL: prints "STATUS BODY" (status 000 when nothing answered; the body's first line).
ask() {
  local body status
  body="$(mktemp "$TMP/ask.XXXXXX")"
  status="$(curl -sS -o "$body" -w '%{http_code}' --max-time 5 "$@" 2>/dev/null)" || true
  echo "${status:-000} $(head -n 1 "$body" | tr -d '\r' | head -c 100)"
  rm -f "$body"
}

# --- nginx -> gunicorn -------------------------------------------------------------------------

# start_gunicorn DIR: gunicorn on DIR/gunicorn.sock, its code in DIR/current (a symlink), in the
# background. Sets GUNICORN_PID. Waits until it answers, or dies if it exits first.
start_gunicorn() {
  local dir=$1
  # --chdir on the symlink, not on where it points: gunicorn runs chdir again at each HUP, so that is
  # how a HUP picks up a switched symlink. No --preload, so each new worker imports the code afresh.
  "$GUNICORN" --workers "$WORKERS" --bind "unix:$dir/gunicorn.sock" --chdir "$dir/current" \
    wsgi:app >>"$dir/gunicorn.log" 2>&1 &
  PIDS+=($!)
  GUNICORN_PID=$!
  wait_gunicorn "$dir" 30 || die "gunicorn did not come up: $(tail -5 "$dir/gunicorn.log")"
}

# wait_gunicorn DIR SECONDS [VERSION]: until gunicorn answers 200 on its socket (with VERSION's body,
# if given). Returns 1 when $GUNICORN_PID exits first or time runs out.
wait_gunicorn() {
  local dir=$1 deadline=$((SECONDS + $2)) want=${3:-} status body
  while ((SECONDS < deadline)); do
    kill -0 "$GUNICORN_PID" 2>/dev/null || return 1
    read -r status body < <(ask --unix-socket "$dir/gunicorn.sock" http://localhost/)
    if [[ "$status" == 200 && ( -z "$want" || "$body" == "$APP $want" ) ]]; then return 0; fi
    sleep 0.1
  done
  return 1
}

# The proxy_pass setup of gunicorn's own deployment docs ("Deploying Gunicorn", nginx configuration).
start_nginx_to_gunicorn() {
  local dir=$1 p="$1/nginx"
  mkdir -p "$p"
  cat >"$p/nginx.conf" <<EOF2
$(nginx_common "$p")
worker_processes 1;
worker_rlimit_nofile $NOFILE;
events { worker_connections $((NOFILE - 100)); }
http {
$(nginx_http_common "$p")
    upstream app_server { server unix:$dir/gunicorn.sock fail_timeout=0; }
    log_format timed '\$time_iso8601 \$msec \$status \$request_time \$upstream_response_time';
    server {
        listen 127.0.0.1:$PORT backlog=4096;
        $(if [[ "$ACCESS_LOG" == 1 ]]; then echo "access_log $p/access.log timed;"; fi)
        location / {
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_redirect off;
            proxy_pass http://app_server;
        }
    }
}
EOF2
  "$NGINX" -p "$p" -c "$p/nginx.conf" -e "$p/error.log" >"$p/stdout.log" 2>&1 &
  PIDS+=($!)
  SERVER_PID=$!
  wait_port "$PORT"
}

# switch_current DIR RELEASE: points DIR/current at DIR/releases/RELEASE in one rename, as
# capistrano-style deploy scripts do.
switch_current() {
  ln -sfn "releases/$2" "$1/current.new"
  mv -T "$1/current.new" "$1/current"
}

setup_nginx() {
  local dir=$1
  make_releases "$dir/releases"
  switch_current "$dir" v1
  start_gunicorn "$dir"
  start_nginx_to_gunicorn "$dir"
}

# The restart as supervisord (stopsignal TERM, stopwaitsecs 10, then KILL) and systemd
# (KillSignal=SIGTERM, then start) do it. Ends once the new gunicorn serves or has exited.
op_restart() {
  local dir=$1 release=$2 old=$GUNICORN_PID code=0
  switch_current "$dir" "$release"
  kill -TERM "$old"
  for _ in $(seq 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$old" 2>/dev/null || true
  wait "$old" 2>/dev/null || true
  forget_pid "$old"
  "$GUNICORN" --workers "$WORKERS" --bind "unix:$dir/gunicorn.sock" --chdir "$dir/current" \
    wsgi:app >>"$dir/gunicorn.log" 2>&1 &
  PIDS+=($!)
  GUNICORN_PID=$!
  if wait_gunicorn "$dir" 20 "$release"; then
    OP_RESULT="serves $release"
  else
    wait "$GUNICORN_PID" 2>/dev/null || code=$?
    OP_RESULT="new gunicorn exited ($code)"
  fi
}

# gunicorn's reload: on HUP the master starts new workers (which import the code anew) and stops the
# old ones gracefully. Ends once the new code serves or the master has exited.
op_hup() {
  local dir=$1 release=$2 code=0
  switch_current "$dir" "$release"
  kill -HUP "$GUNICORN_PID"
  if wait_gunicorn "$dir" 20 "$release"; then
    OP_RESULT="serves $release"
  else
    wait "$GUNICORN_PID" 2>/dev/null || code=$?
    OP_RESULT="gunicorn exited ($code)"
  fi
}

# --- berth -------------------------------------------------------------------------------------

setup_berth() {
  local dir=$1
  make_releases "$dir/src"
  mkdir -p "$dir/berth"
  cat >"$dir/berth/berth.toml" <<EOF2
shutdown_timeout = "1s"

[access_log]
enabled = $(if [[ "$ACCESS_LOG" == 1 ]]; then echo true; else echo false; fi)

[[listeners]]
address = "127.0.0.1:$PORT"

[apps.$APP]
dir = "$dir/src/v1"
command = "$GUNICORN --workers $WORKERS wsgi:app"
$(if [[ $EUID -eq 0 ]]; then echo 'user = "root"'; fi)
# The old generation finishes its requests (each a few ms) well within the window.
drain_timeout = "5s"

[[routes]]
path = "/"
app = "$APP"
EOF2
  start_berth "$dir/berth/berth.toml"
  SERVER_PID=$BERTH_PID
}

op_berth() {
  local dir=$1 release=$2 code=0
  # In the background and waited for, so that a signal stops the script at once.
  BERTH_CONFIG="$BERTH_CONF" "$BERTH_HOME/berth" deploy "$APP" "$dir/src/$release" >"$dir/deploy.out" 2>&1 &
  PIDS+=($!)
  wait $! || code=$?
  forget_pid $!
  OP_RESULT="berth deploy exited $code"
}

# error_kinds NGINX_ERROR_LOG: its messages without time, ids and request, counted, most frequent first.
error_kinds() {
  sed -E 's/^[^[]*\[([a-z]+)\] [0-9#]+: (\*[0-9]+ )?/[\1] /; s/, client:.*//; s/ while .*//; s|unix:/[^ ]*/|unix:|' "$1" |
    sort | uniq -c | sort -rn
}

# --- one scenario ------------------------------------------------------------------------------

# scenario KIND RELEASE: a fresh setup, WINDOW s of wrk, the operation at AT s; appends to $RESULTS.
scenario() {
  local kind=$1 release=$2 dir="$TMP/$1-$2" wrk_pid started op_start op_secs line after status body
  mkdir -p "$dir"
  read -r PORT < <(free_ports 1)
  log "$kind / $release: setting up on 127.0.0.1:$PORT"
  case $kind in
    restart | hup) setup_nginx "$dir" ;;
    berth) setup_berth "$dir" ;;
  esac
  read -r status body < <(ask "http://127.0.0.1:$PORT/")
  [[ "$status $body" == "200 $APP v1" ]] || die "$kind: the site answered '$status $body' before the deploy, not '200 $APP v1'"

  log "$kind / $release: wrk -t$THREADS -c$CONNECTIONS -d${WINDOW}s, the operation at ${AT}s"
  started=$(now)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WINDOW}s" --timeout "${TIMEOUT}s" -s "$BENCH_DIR/deploy.lua" \
    "http://127.0.0.1:$PORT/" >"$dir/wrk.txt" 2>&1 &
  wrk_pid=$!
  PIDS+=("$wrk_pid")
  sleep "$AT"
  op_start=$(now)
  "op_$kind" "$dir" "$release"
  op_secs=$(secs_since "$op_start")
  log "$kind / $release: $OP_RESULT, after ${op_secs}s"
  wait "$wrk_pid" || { cat "$dir/wrk.txt" >&2; die "wrk failed"; }
  forget_pid "$wrk_pid"
  # An operation that outlasts the window is reported, not hidden: its failures were not all counted.
  if awk -v a="$started" -v b="$(now)" -v w="$WINDOW" 'BEGIN {exit !(b - a > w + 1)}'; then
    OP_RESULT="$OP_RESULT (ended after the window)"
  fi
  after="$(ask "http://127.0.0.1:$PORT/")"
  line="$(grep '^RESULT ' "$dir/wrk.txt")" || { cat "$dir/wrk.txt" >&2; die "no RESULT line from wrk"; }
  log "$kind / $release: ${line#RESULT }; then: $after"
  # kind release op_result op_secs requests non2xx connect read write timeout statuses serving_after
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$release" "$OP_RESULT" "$op_secs" \
    "$(echo "${line#RESULT }" | sed 's/[a-z0-9_]*=//g' | tr ' ' '\t')" "$after" >>"$RESULTS"

  if [[ -s "$dir/nginx/error.log" ]]; then error_kinds "$dir/nginx/error.log" >"$dir/nginx/error-kinds.txt"; fi

  # Tear down before the next scenario, so that each starts alone on the machine.
  if [[ "$kind" != berth ]]; then stop_pid "$GUNICORN_PID"; fi
  stop_pid "$SERVER_PID"
}

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
for kind in $SCENARIOS; do
  for release in v2 broken; do scenario "$kind" "$release"; done
done

# --- the table ---------------------------------------------------------------------------------
echo
echo "## Failed requests during a deploy: wrk -t$THREADS -c$CONNECTIONS -d${WINDOW}s --timeout ${TIMEOUT}s, the operation at ${AT}s, gunicorn --workers $WORKERS"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), $("$NGINX" -v 2>&1 | sed 's/.*: //'), gunicorn $("$GUNICORN" --version 2>&1 | awk '{print $NF}' | tr -d ')')$(if [[ " $SCENARIOS " == *" berth "* ]]; then echo ", $(BERTH_JAVA_OPTS='' "$BERTH_HOME/berth" --version 2>/dev/null)"; fi)"
echo "Load average (1/5/15 min) before: $LOAD_START; after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
"$PY" - "$RESULTS" <<'PY'
import sys

NAMES = {
    "restart": "nginx -> gunicorn: restart (TERM, wait, start)",
    "hup": "nginx -> gunicorn: symlink + HUP",
    "berth": "berth -> gunicorn: berth deploy",
}
print("| scenario | release | operation | requests | failed | failures | serving after |")
print("|---|---|---|---|---|---|---|")
for row in open(sys.argv[1]):
    kind, release, op, secs, requests, non2xx, connect, read, write, timeout, statuses, after = row.rstrip("\n").split("\t")
    counts = dict(s.split(":") for s in statuses.split(",") if s)
    ok = sum(int(n) for status, n in counts.items() if status.startswith("2"))
    # wrk's own non2xx counts only >= 400; every response not 2xx is a failure here.
    bad = {status: int(n) for status, n in counts.items() if not status.startswith("2")}
    errors = {"connect": int(connect), "read": int(read), "write": int(write), "timeout": int(timeout)}
    failed = int(requests) - ok + sum(errors.values())
    what = [f"{n:,} x {status}" for status, n in sorted(bad.items())]
    what += [f"{n:,} {name} errors" for name, n in errors.items() if n]
    status, _, body = after.partition(" ")
    if status == "200" and body.startswith("deployapp "):
        after = f"200, {body.split()[1]}"
    elif status == "000":
        after = "no answer"
    else:
        after = status
    print(f"| {NAMES[kind]} | {release} | {op}, {secs} s | {int(requests):,} | **{failed:,}** | {'; '.join(what) or '-'} | {after} |")
PY

# What nginx said about the failed requests (error.log, by message).
for f in "$TMP"/*/nginx/error-kinds.txt; do
  [[ -e "$f" ]] || continue
  [[ -n "${said:-}" ]] || { echo; echo "nginx's error.log, by message:"; said=1; }
  scn="${f#"$TMP"/}"
  echo "- ${scn%%/*}: $(awk '{n = $1; $1 = ""; printf "%s%d x%s", (NR > 1 ? "; " : ""), n, $0}' "$f")"
done

if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  cp "$RESULTS" "$OUT/"
  for d in "$TMP"/*-v2 "$TMP"/*-broken; do
    [[ -d "$d" ]] || continue
    # The scenario's outputs, logs and configs; not the app's copies nor berth's sockets.
    mkdir -p "$OUT/$(basename "$d")"
    (cd "$d" && find . \( -name '*.txt' -o -name '*.log' -o -name '*.out' -o -name '*.conf' -o -name '*.toml' \) \
      -not -path './src/*' -not -path './releases/*' -exec cp --parents {} "$OUT/$(basename "$d")/" \;)
    # nginx logs a line per 502: a broken release makes 100 MB of them. Keep both ends and the counts.
    f="$OUT/$(basename "$d")/nginx/error.log"
    if [[ -f "$f" ]] && (($(stat -c %s "$f") > 1048576)); then
      { head -20 "$f"; echo "... ($(wc -l <"$f") lines in all; error-kinds.txt counts them)"; tail -20 "$f"; } >"$f.excerpt"
      rm "$f"
    fi
  done
  log "raw outputs in $OUT"
fi
