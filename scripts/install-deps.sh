#!/usr/bin/env bash
# Installs the Debian packages berth needs, if any is missing. Idempotent and quiet: when everything
# is there it does nothing and exits 0, also for a user without root.
#
#   scripts/install-deps.sh           what running berth and its bundled examples needs: gunicorn
#                                     (Debian's, on /usr/bin/python3) with Flask, and setsid/setpriv
#                                     and ps (util-linux, procps), which berth starts apps with.
#   scripts/install-deps.sh --tests   that, and what the test suite drives: Django, curl; git and
#                                     OpenSSH's server and client (the tests push over SSH to an
#                                     sshd of their own); pebble and pebble-challtestsrv (a real
#                                     ACME CA and its test DNS) and sslscan; nghttp2-client (h2load),
#                                     python3-h2 and python3-websockets (raw HTTP/2 and WebSocket
#                                     clients, a WebSocket echo app); apache2 and nginx (the front
#                                     servers of docs/shared-server.md, configured from its snippets).
#
# Neither installs a JDK or Maven: ./berth says what it needs when they are missing.
set -euo pipefail

packages=(gunicorn python3-flask procps util-linux)
case "${1:-}" in
  "") ;;
  --tests)
    packages+=(python3-django curl git openssh-server openssh-client pebble sslscan nghttp2-client
      python3-h2 python3-websockets apache2 nginx)
    ;;
  *)
    echo "usage: scripts/install-deps.sh [--tests]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  # sudo without a password, or one asked for on a terminal; else no root here (a shared server):
  # say once what to ask the administrator for.
  if ! command -v sudo >/dev/null 2>&1 ||
    ! { sudo -n true 2>/dev/null || { [[ -t 0 ]] && sudo -v; }; }; then
    echo "install-deps: missing Debian packages: ${missing[*]}; ask an administrator to run:" \
      "apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo -n)
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo+=(env DEBIAN_FRONTEND=noninteractive)
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
