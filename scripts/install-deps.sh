#!/usr/bin/env bash
# Installs the Debian packages berth's examples and tests run against, if any is missing:
# gunicorn (Debian's, on /usr/bin/python3) with Flask and Django, curl, setsid/ps (util-linux, procps), and
# for git push deploys git, and OpenSSH's server and client (the tests push over SSH to an sshd of
# their own); for TLS, pebble and pebble-challtestsrv (a real ACME CA and its test DNS) and sslscan;
# for HTTP/2 and WebSockets, nghttp2-client (h2load), python3-h2 and python3-websockets (raw HTTP/2 and
# WebSocket clients and a WebSocket echo app).
# Idempotent and quiet: when everything is there it does nothing.
set -euo pipefail

packages=(gunicorn python3-flask python3-django curl procps util-linux git openssh-server openssh-client pebble sslscan nghttp2-client python3-h2 python3-websockets)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo+=(env DEBIAN_FRONTEND=noninteractive)
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
