#!/usr/bin/env bash
# Two berth builds, or one build under two sets of JVM options, against each other: an alternating
# A/B on bench/proxy.sh's topology (same backend, same config, wrk -c64), to judge one change.
# Prints each run (req/s, p50/p99 µs, CPU µs per request user + sys, then p90/p99.9/max µs) and
# then B/A: the median over rounds of each round's ratio. CPU per request is the steadiest of these
# on a shared machine (an A/A run moved it by about 1%, its p99 by 8%): judge a change by it first.
#
# Environment (defaults): A_HOME and B_HOME (this checkout; each a checkout with target/ built, e.g.
#   `git worktree add /tmp/base HEAD~1` then `./berth --version` there), A_OPTS and B_OPTS (extra
#   JVM options, BERTH_EXTRA_JAVA_OPTS), A_JAVA_OPTS and B_JAVA_OPTS (instead of the launcher's
#   defaults, BERTH_JAVA_OPTS: another collector, say), UPSTREAM=unix|tcp (unix), ROUNDS=10,
#   DURATION=7 (s per run), WARMUP=8 (s, twice per side), KEEP_TMP=1, A_ACCEPT_ENCODING and
#   B_ACCEPT_ENCODING (an Accept-Encoding for that side's requests: one build, B with "gzip", is
#   what asking for compression costs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UPSTREAM="${UPSTREAM:-unix}"
ROUNDS="${ROUNDS:-10}"
DURATION="${DURATION:-7}"
WARMUP="${WARMUP:-8}"
A_HOME="${A_HOME:-$BERTH_HOME}"
B_HOME="${B_HOME:-$BERTH_HOME}"

need "$NGINX" wrk curl "$PY"
raise_nofile
setup_tmp
for home in "$A_HOME" "$B_HOME"; do
  # shellcheck disable=SC2034  # lib.sh uses it
  BERTH_HOME="$home"
  build_berth
done

# shellcheck disable=SC2034  # lib.sh uses them
read -r BACKEND_PORT NGINX_PORT PORT_A PORT_B < <(free_ports 4)
start_backend
declare -A PID
for v in A B; do
  port_var="PORT_$v" home_var="${v}_HOME" opts_var="${v}_OPTS"
  # shellcheck disable=SC2034  # lib.sh uses them
  BERTH_PORT="${!port_var}" BERTH_HOME="${!home_var}"
  mkdir -p "$TMP/$v"
  write_berth_config "$TMP/$v/berth.toml"
  java_opts_var="${v}_JAVA_OPTS"
  BERTH_JAVA_OPTS="${!java_opts_var:-}" BERTH_EXTRA_JAVA_OPTS="${!opts_var:-}" start_berth "$TMP/$v/berth.toml"
  PID[$v]=$BERTH_PID
done

run() {  # $1 = A or B, $2 = seconds
  local port_var="PORT_$1" encoding_var="${1}_ACCEPT_ENCODING" u0 s0 u1 s1 line
  local -a header=()
  [[ -n "${!encoding_var:-}" ]] && header=(-H "Accept-Encoding: ${!encoding_var}")
  read -r u0 s0 < <(cpu_ticks "${PID[$1]}")
  line=$(wrk -t1 -c64 -d"$2s" --latency "${header[@]}" -s "$BENCH_DIR/report.lua" "http://127.0.0.1:${!port_var}/$UPSTREAM/" | grep '^RESULT')
  read -r u1 s1 < <(cpu_ticks "${PID[$1]}")
  # Clock ticks are 10 ms: ticks * 1e4 / requests is µs per request.
  awk -v v="$1" -v du=$((u1 - u0)) -v ds=$((s1 - s0)) '{
      for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
      printf "%s rps=%.0f p50=%d p99=%d cpu_us=%.2f+%.2f p90=%d p999=%d max=%d\n", v, r["rps"], r["p50_us"], r["p99_us"],
        du * 1e4 / r["requests"], ds * 1e4 / r["requests"], r["p90_us"], r["p999_us"], r["max_us"]
    }' <<<"$line"
}

log "warm-up: ${WARMUP} s twice per side"
for v in A B; do run "$v" "$WARMUP" >/dev/null; run "$v" "$WARMUP" >/dev/null; done
log "A: ${A_HOME} ${A_OPTS:-} ${A_ACCEPT_ENCODING:+Accept-Encoding: $A_ACCEPT_ENCODING}; B: ${B_HOME} ${B_OPTS:-} ${B_ACCEPT_ENCODING:+Accept-Encoding: $B_ACCEPT_ENCODING}; $UPSTREAM upstream, $ROUNDS rounds of ${DURATION} s"
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order="A B"; else order="B A"; fi
  for v in $order; do run "$v" "$DURATION"; done
done | tee "$TMP/runs.txt"

"$PY" - "$TMP/runs.txt" <<'EOF'
import re, statistics, sys
rounds, cur = [], {}
for line in open(sys.argv[1]):
    m = re.match(r'([AB]) rps=(\d+) p50=(\d+) p99=(\d+) cpu_us=([\d.]+)\+([\d.]+) p90=(\d+) p999=(\d+)', line)
    if not m:
        continue
    rps, p50, p99, user, sys_, p90, p999 = (float(x) for x in m.groups()[1:])
    cur[m.group(1)] = (rps, p50, p99, user, sys_, user + sys_, p90, p999)
    if len(cur) == 2:
        rounds.append(cur)
        cur = {}
ratio = lambda i: statistics.median(r['B'][i] / r['A'][i] for r in rounds)
print(f"B/A over {len(rounds)} rounds (median of each round's ratio): req/s {ratio(0):.3f}, p50 {ratio(1):.3f}, "
      f"p90 {ratio(6):.3f}, p99 {ratio(2):.3f}, p99.9 {ratio(7):.3f}, CPU per request {ratio(5):.3f} "
      f"(user {ratio(3):.3f}, sys {ratio(4):.3f})")
EOF
