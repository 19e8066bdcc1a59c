#!/usr/bin/env bash
# Large bodies: a 1 GiB download (a sparse file the backend nginx sends by sendfile) through berth
# and through nginx, RUNS times each per upstream kind, alternating, on one berth started for the
# run: so the first berth download is on a cold JIT (what bench/memory.sh's stream rate measures)
# and the later ones warm. After each download a small request follows on the same proxy: the
# app connection the download used goes back to the pool and serves it (berth before c5cda28 hung
# there until the 504).
#
# Prints each download (rate, the proxy's CPU in ms) and the follow-up's status, then the median
# warm rate (runs 2 and later) of each proxy and kind.
#
# Environment: RUNS=4, KEEP_TMP=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS="${RUNS:-4}"

need "$NGINX" curl "$PY"
raise_nofile
setup_tmp
build_berth
# shellcheck disable=SC2034  # lib.sh uses them
read -r BACKEND_PORT NGINX_PORT BERTH_PORT < <(free_ports 3)
BIG_FILE=1 start_backend
write_berth_config "$TMP/berth.toml"
start_berth "$TMP/berth.toml"
start_nginx_proxy
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)

declare -A WARM
failures=0
for kind in tcp unix; do
  for ((i = 1; i <= RUNS; i++)); do
    for proxy in berth nginx; do
      if [[ $proxy == berth ]]; then port=$BERTH_PORT pid=$BERTH_PID; else port=$NGINX_PORT pid=$NGINX_WORKER; fi
      read -r u0 s0 < <(cpu_ticks "$pid")
      read -r code bytes speed < <(curl -sS --max-time 120 -o /dev/null -w '%{http_code} %{size_download} %{speed_download}\n' \
        "http://127.0.0.1:$port/$kind/big" 2>/dev/null || echo "000 0 0")
      read -r u1 s1 < <(cpu_ticks "$pid")
      # curl writes 000 itself when it gets no answer.
      next=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/$kind/" 2>/dev/null) || true
      mibs=$(awk -v s="$speed" 'BEGIN {printf "%.0f", s / 1048576}')
      [[ "$code $bytes" == "200 1073741824" && "$next" == 200 ]] || failures=$((failures + 1))
      ((i > 1)) && WARM[$proxy.$kind]+=" $mibs"
      printf '%-5s %-4s run %d: HTTP %s, %s bytes, %5s MiB/s, CPU user %d + sys %d ms; next request: HTTP %s\n' \
        "$proxy" "$kind" "$i" "$code" "$bytes" "$mibs" $(((u1 - u0) * 10)) $(((s1 - s0) * 10)) "$next"
    done
  done
done

echo
echo "Median warm rate (runs 2-$RUNS), MiB/s:"
for kind in tcp unix; do
  # shellcheck disable=SC2086  # word splitting wanted
  printf '  %-4s berth %s, nginx %s\n' "$kind" "$(median ${WARM[berth.$kind]:-0})" "$(median ${WARM[nginx.$kind]:-0})"
done
((failures == 0)) || die "$failures download(s) or follow-up request(s) failed"
